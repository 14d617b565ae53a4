"""PostgreSQL connections that keep their prepared statements when a transaction rolls back.

psycopg prepares a statement on the server once it has run 5 times on a connection, and
from then on sends only its parameters: PostgreSQL neither parses nor, after a few
runs, plans it again. But psycopg's ``rollback()`` also forgets every statement it has
prepared (and sends ``DEALLOCATE ALL``), to be safe after a rolled-back schema change.
SQLAlchemy ends every transaction that did not commit with a rollback — every page
that only reads, when its session closes — so on a web worker's connection the
statements were forgotten after nearly every page: in the 1,000-expert load run
(``bench/load.py``) a third of the autosaves were parsed and planned again (0.95 ms of
PostgreSQL's CPU each, more than running it), and the pages' statements every time.

Here a rollback sends ``ROLLBACK`` through the connection's libpq handle
(``Connection.pgconn``, psycopg's documented way to send commands it does not wrap)
and leaves the prepared statements be. That is safe because PostgreSQL keeps a
prepared statement for the whole session whatever happens to the transaction it was
prepared in, and re-plans it by itself when a table it reads changes. The schema
changes only by migration, in its own process, never in a web request. The override
leaves out what psycopg's own ``rollback()`` does for its pipeline mode, its
``transaction()`` blocks and two-phase commit: the app, through SQLAlchemy, uses
none of them (``tests/webapp/test_prepared_statements.py``).
"""
from __future__ import annotations

import functools

from sqlalchemy import event
from sqlalchemy.engine import Engine


@functools.cache
def _connection_class():
    import psycopg
    from psycopg import pq

    class KeepPreparedConnection(psycopg.Connection):
        """A psycopg connection whose ``rollback()`` keeps the prepared statements."""

        def rollback(self) -> None:
            with self.lock:
                if self.pgconn.transaction_status == pq.TransactionStatus.IDLE:
                    return   # as psycopg: nothing to roll back
                result = self.pgconn.exec_(b"ROLLBACK")
            if result.status != pq.ExecStatus.COMMAND_OK:
                message = (result.error_message or self.pgconn.error_message).decode(errors="replace")
                raise psycopg.OperationalError(f"ROLLBACK failed: {message}")

    return KeepPreparedConnection


def install_postgres_connections(engine: Engine) -> None:
    """On PostgreSQL through psycopg, make the engine's connections keep their prepared
    statements across rollbacks (see the module's notes); nothing on other databases."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    connection_class = _connection_class()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        return connection_class.connect(*cargs, **cparams)
