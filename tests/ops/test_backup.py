"""``flask backup``: a consistent copy of the live SQLite database while another
process holds the write lock; PostgreSQL is pointed to pg_dump."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select


@pytest.fixture
def sqlite_app(tmp_path):
    """Backups copy SQLite files: these tests run on SQLite whatever the suite's backend."""
    from tests.conftest import make_app
    from webapp.extensions import db

    app = make_app(f"sqlite:///{tmp_path}/live.sqlite3", tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _audit_count(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]


def test_backup_copies_committed_data_while_a_writer_holds_the_lock(sqlite_app, tmp_path):
    from webapp.extensions import db
    from webapp.services import accounts, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    app = sqlite_app
    with app.app_context():
        study = studies.create_study(accounts.create_coordinator("alice", "correct horse battery"), title="S")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        db.session.commit()
    live = tmp_path / "live.sqlite3"
    committed = _audit_count(live)
    writer = sqlite3.connect(live, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the write lock, as a long coordinator action holds it
    writer.execute("INSERT INTO audit_event (at, actor, action, target) "
                   "VALUES ('2026-01-01 00:00:00', 'system', 'uncommitted', '')")
    try:
        result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "b1.sqlite3")])
        assert result.exit_code == 0, result.output
    finally:
        writer.execute("COMMIT")
        writer.close()
    copy = tmp_path / "b1.sqlite3"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        assert conn.execute("SELECT count(*) FROM node").fetchone()[0] == 64
    assert _audit_count(copy) == committed  # what was committed, not the open transaction
    assert not (tmp_path / "b1.sqlite3.part").exists()

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "b1.sqlite3")])
    assert result.exit_code != 0 and "exists already" in result.output


def test_backup_dir_keeps_the_newest(sqlite_app, tmp_path):
    app = sqlite_app
    folder = tmp_path / "backups"
    folder.mkdir()
    for old in ("concordia-20260101T000000Z.sqlite3", "concordia-20260102T000000Z.sqlite3"):
        (folder / old).write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["backup", "--dir", str(folder), "--keep", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[0] == "concordia-20260102T000000Z.sqlite3"
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():  # the live database is untouched
        assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.postgres
def test_backup_on_postgresql_points_to_pg_dump(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "x.sqlite3")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert not (tmp_path / "x.sqlite3").exists()
