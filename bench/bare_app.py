"""The baseline of bench/load.py: a bare Flask + SQLAlchemy app that upserts one
answer per request, served by the same gunicorn configuration on the same kind
of database (SQLite WAL with the same pragmas, or PostgreSQL).

    BARE_DATABASE_URL=sqlite:////tmp/bare.sqlite3 gunicorn -c deploy/gunicorn.conf.py "bench.bare_app:create_app()"
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import (Column, DateTime, Integer, MetaData, Table, UniqueConstraint, create_engine,
                        event)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

metadata = MetaData()
answer = Table(
    "answer", metadata,
    Column("id", Integer, primary_key=True),
    Column("expert_id", Integer, nullable=False),
    Column("node_id", Integer, nullable=False),
    Column("value", Integer),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("expert_id", "node_id"),
)


def make_engine(url: str):
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            for pragma in ("foreign_keys=ON", "busy_timeout=15000", "journal_mode=WAL", "synchronous=NORMAL"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()
    return engine


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @app.post("/save/<int:expert_id>")
    def save(expert_id: int):
        body = request.get_json(silent=True) or {}
        rows = [{"expert_id": expert_id, "node_id": int(a["node_id"]), "value": int(a["value"]),
                 "updated_at": datetime.now(timezone.utc).replace(tzinfo=None)}
                for a in body.get("answers", [])]
        if not rows:
            return jsonify(error="bad_request"), 400
        stmt = insert(answer).values(rows)
        stmt = stmt.on_conflict_do_update(index_elements=["expert_id", "node_id"],
                                          set_={"value": stmt.excluded.value,
                                                "updated_at": stmt.excluded.updated_at})
        with engine.begin() as conn:
            conn.execute(stmt)
        return jsonify(ok=True)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
