"""PostgreSQL: a rollback keeps the connection's prepared statements
(``webapp.models.postgres_connections``).

psycopg's own ``rollback()`` forgets them (``DEALLOCATE ALL``); SQLAlchemy rolls back
every transaction that did not commit, so a web worker's connection lost them after
nearly every page, and PostgreSQL parsed and planned the autosave's statement again
(in the 1,000-expert load run a third of the saves: 0.95 ms of CPU each)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.postgres

PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :marker")


def _run_until_prepared(conn, statement, params, times=8):
    """psycopg prepares a statement once it has run 5 times on a connection."""
    for _ in range(times):
        conn.execute(statement, params).all()


def test_a_rollback_keeps_the_prepared_statements(app):
    from webapp.extensions import db
    from webapp.models import Study

    def prepared_here(conn) -> bool:
        return conn.execute(PREPARED, {"marker": "%study WHERE id > %"}).scalar_one() > 0

    with app.app_context(), db.engine.connect() as conn:
        query = text("SELECT count(*) FROM study WHERE id > :lowest")
        _run_until_prepared(conn, query, {"lowest": 0})
        assert prepared_here(conn)
        conn.execute(text("SELECT id FROM study")).all()     # in a transaction ...
        conn.rollback()                                     # ... that rolls back, as every read-only page's
        assert prepared_here(conn)
        conn.rollback()
        # the statement psycopg still takes for prepared runs, and reads the table as it is now
        assert conn.execute(query, {"lowest": 0}).scalar_one() == db.session.query(Study).count()


def test_a_failed_transaction_still_rolls_back(app):
    """The rollback of a transaction that failed ends it: the connection works on, and
    nothing of the transaction is kept."""
    import sqlalchemy.exc

    from webapp.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE scratch (n int PRIMARY KEY)"))
        conn.commit()
        conn.execute(text("INSERT INTO scratch VALUES (1)"))
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            conn.execute(text("INSERT INTO scratch VALUES (1)"))
        conn.rollback()
        assert conn.connection.dbapi_connection.info.transaction_status.name == "IDLE"
        assert conn.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 0
        conn.rollback()


def test_pages_between_saves_do_not_forget_the_save(app, client):
    """Through the app: an expert's autosaves with page views between them. Every
    pooled connection that has run the save 5 times or more still has it prepared after
    the pages' transactions rolled back (before: none had)."""
    from sqlalchemy import event

    from tests.faults.conftest import open_round_with_panel
    from webapp.extensions import db

    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    token = client.csrf_token()
    with app.app_context():
        engine = db.engine
    runs: dict[int, int] = {}

    def executed(conn, cursor, statement, parameters, context, executemany):
        if "json_to_recordset" in statement:
            key = id(conn.connection.dbapi_connection)
            runs[key] = runs.get(key, 0) + 1

    event.listen(engine, "before_cursor_execute", executed)
    try:
        for i, node_id in enumerate(study.node_ids[:30]):
            saved = client.post(f"/api/v1/rounds/{study.round_id}/answers", csrf=False,
                                headers={"X-CSRF-Token": token},
                                json={"answers": [{"node_id": node_id, "value": 1 + i % 5}]})
            assert saved.status_code == 200, saved.get_json()
            assert client.get(f"/expert/rounds/{study.round_id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    busy = {key for key, count in runs.items() if count >= 6}
    assert busy, runs
    with app.app_context():
        checked = 0
        for record in list(engine.pool._pool.queue):
            dbapi = record.dbapi_connection
            if id(dbapi) in busy:
                names = [row[0] for row in dbapi.execute(
                    "SELECT statement FROM pg_prepared_statements").fetchall()]
                dbapi.rollback()
                assert any("json_to_recordset" in name for name in names), names
                checked += 1
        assert checked == len(busy)
