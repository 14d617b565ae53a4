"""Column types shared by the models (UTC datetimes, JSON text) and the SQLite pragmas.

The declarative base with its naming convention is in ``webapp.extensions``."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import DateTime, Text, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from webapp.models.sqlite_writers import QueuedWriterConnection, lock_path_of


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every backend, returned as aware UTC.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons
    in SQL (``closes_at < :now``) identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class JSONText(TypeDecorator):
    """JSON kept as text with sorted keys, so a stored payload is byte-stable."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return json.loads(value)


def install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int = 5000, *, write_queue: bool = True) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection; the file (and its
    WAL and shared-memory files) readable by the owner only.

    The busy timeout is how long a writer waits for another's write lock
    (a backup, a long coordinator action) before "database is locked". With
    ``write_queue`` the app's writers take turns in a fair queue before asking for that
    lock (:mod:`webapp.models.sqlite_writers`), waiting at most as long."""
    if engine.dialect.name != "sqlite":
        return
    queued = write_queue and not _is_memory(engine)
    if not _is_memory(engine):
        _create_private(engine.url.database)

    if queued:
        @event.listens_for(engine, "do_connect")
        def _queued_connection(_dialect, _record, _cargs, cparams):  # pragma: no cover - trivial
            cparams["factory"] = QueuedWriterConnection

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if queued and isinstance(dbapi_connection, QueuedWriterConnection):
            dbapi_connection.join_queue(lock_path_of(engine.url.database), busy_timeout_ms / 1000)


def _create_private(path: str) -> None:
    """Create the database file 0600 before SQLite does (it would use the umask, often 0644)."""
    import os

    for name in (path, path + "-wal", path + "-shm", lock_path_of(path)):
        try:
            if name == path and not os.path.exists(name):
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600))
            if os.path.exists(name) and os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:  # e.g. the folder does not exist yet, or the file is not ours
            pass


def _is_memory(engine: Engine) -> bool:
    database = engine.url.database
    return database in (None, "", ":memory:")
