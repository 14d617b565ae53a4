"""The SQLite write queue (webapp/models/sqlite_writers.py): writers take the queue lock
for exactly their write transaction, reads never wait, a writer waits for the holder,
and a queue lock held too long is gone around, never hung on."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from tests.conftest import make_app
from webapp.extensions import db
from webapp.models.sqlite_writers import QueuedWriterConnection, lock_path_of, opens_write_transaction

STATEMENTS = [
    "INSERT INTO t (v) VALUES (1)", "  insert into t (v) values (2)", "\n\tUPDATE t SET v = 3",
    "DELETE FROM t WHERE v = 9", "REPLACE INTO t (id, v) VALUES (1, 4)", "INSERT OR REPLACE INTO t (v) VALUES (5)",
    "SELECT * FROM t", "select count(*) from t", "PRAGMA user_version", "WITH x AS (SELECT 1) SELECT * FROM x",
    "CREATE TABLE u (id INTEGER)", "SAVEPOINT sp",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_queues_exactly_the_statements_that_open_a_transaction(sql, tmp_path):
    """The oracle is Python's own sqlite3: whether running ``sql`` outside a transaction
    leaves one open (``in_transaction``) — SAVEPOINT opens one in SQLite itself, not in
    the module, and is left to SQLite's lock."""
    conn = sqlite3.connect(tmp_path / "o.sqlite3")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    conn.commit()
    conn.execute(sql)
    opened_by_module = conn.in_transaction and not sql.lstrip().upper().startswith("SAVEPOINT")
    conn.close()
    assert opens_write_transaction(sql) is opened_by_module


@pytest.fixture
def queued_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/q.sqlite3", tmp_path, SQLITE_BUSY_TIMEOUT_MS=2000)
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _other_holder(app):
    """Another open file description of the queue's lock file (as another process has)."""
    return os.open(lock_path_of(db.engine.url.database), os.O_RDWR | os.O_CREAT, 0o600)


def _is_free(fd) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _count():
    return db.session.execute(text("SELECT count(*) FROM t")).scalar()


def test_a_write_transaction_holds_the_queue_until_it_commits_or_rolls_back(queued_app):
    assert isinstance(db.session.connection().connection.dbapi_connection, QueuedWriterConnection)
    other = _other_holder(queued_app)
    try:
        _count()
        assert _is_free(other)          # a read takes nothing
        db.session.execute(text("INSERT INTO t (v) VALUES (1)"))
        assert not _is_free(other)      # the write transaction holds it
        db.session.execute(text("UPDATE t SET v = 2"))
        db.session.commit()
        assert _is_free(other)
        db.session.execute(text("INSERT INTO t (v) VALUES (3)"))
        assert not _is_free(other)
        db.session.rollback()
        assert _is_free(other) and _count() == 1
    finally:
        os.close(other)


def test_reads_do_not_wait_for_the_queue(queued_app):
    other = _other_holder(queued_app)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        assert _count() == 0            # returns while the queue lock is held elsewhere
        assert not _is_free(_other_holder(queued_app))
    finally:
        os.close(other)


def test_a_writer_waits_for_the_holder_then_writes(queued_app):
    app = queued_app
    other = _other_holder(app)
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def write():
        with app.app_context():
            db.session.execute(text("INSERT INTO t (v) VALUES (7)"))
            db.session.commit()
            db.session.remove()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    waited = not done.is_set()
    os.close(other)                     # closing the description releases its lock
    writer.join(10)
    assert waited and done.is_set()
    assert _count() == 1


def test_a_queue_lock_held_past_the_busy_timeout_is_gone_around(tmp_path):
    """Someone holding the queue lock (a stuck process) delays a writer by the busy
    timeout at most, as SQLite's own lock would: the write then goes on, on SQLite's lock."""
    app = make_app(f"sqlite:///{tmp_path}/g.sqlite3", tmp_path, SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        db.session.commit()
        stuck = _other_holder(app)
        fcntl.flock(stuck, fcntl.LOCK_EX)
        try:
            db.session.execute(text("INSERT INTO t (v) VALUES (1)"))
            db.session.commit()
            assert _count() == 1
        finally:
            os.close(stuck)
            db.session.remove()
            db.engine.dispose()


def test_a_statement_that_fails_before_its_transaction_releases_the_queue(queued_app):
    other = _other_holder(queued_app)
    try:
        with pytest.raises(Exception, match="no such table"):
            db.session.execute(text("INSERT INTO missing (v) VALUES (1)"))
        assert _is_free(other)
        db.session.rollback()
        db.session.execute(text("INSERT INTO t (v) VALUES (1)"))
        db.session.commit()
        assert _is_free(other) and _count() == 1
    finally:
        os.close(other)


def test_the_queue_can_be_turned_off(tmp_path, monkeypatch):
    app = make_app(f"sqlite:///{tmp_path}/off.sqlite3", tmp_path, SQLITE_WRITE_QUEUE=False)
    with app.app_context():
        raw = db.session.connection().connection.dbapi_connection
        assert type(raw) is sqlite3.Connection
        db.session.remove()
        db.engine.dispose()
    assert not os.path.exists(tmp_path / "off.sqlite3-writers")
