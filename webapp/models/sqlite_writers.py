"""SQLite writers take turns in a short, fair queue instead of SQLite's busy handler.

SQLite lets one connection write at a time. A writer that finds the write lock taken
sleeps in SQLite's busy handler on a growing schedule (1, 2, 5, 10, 15, 20, 25, 25, 25,
50, 50 and then 100 ms), retrying only when it wakes. Under load this is unfair: a writer
that has already waited 80 ms sleeps 25–100 ms at a time, and each time it wakes a writer
that arrived later (still on its 1–2 ms sleeps) has usually taken the lock again. In the
1,000-expert load run on SQLite (``bench/load.py``) the median autosave took 34 ms while
the slowest 1 % took over 5 s; with 6 gunicorn workers the slowest 1 % took 9.4 s.

Here every write transaction of the app's connections first takes an exclusive
``flock`` on a lock file beside the database (``<database>-writers``) and keeps it until
the transaction commits or rolls back, so SQLite's own lock is free whenever a writer
asks for it. A writer that finds the queue lock taken retries every 0.1–1 ms — the same
short interval however long it has waited, so no writer falls behind later arrivals.

- Only writes queue: the lock is taken just before the statement that makes Python's
  ``sqlite3`` open a transaction (INSERT, UPDATE, DELETE, REPLACE outside a transaction),
  and reads never wait (WAL).
- SQLite's lock stays the authority. Another program that writes without the queue (the
  ``sqlite3`` shell, a backup tool) is still waited for by SQLite's busy timeout, and a
  writer that cannot get the queue lock within that same timeout goes on without it and
  meets SQLite's busy timeout as before — the queue can delay nothing longer than
  SQLite would have, and never hangs.
- ``flock`` locks belong to open file descriptions, so two connections of one process
  (threads, a test's second session) queue like two processes. A ``flock`` lock does
  not touch the POSIX locks SQLite itself uses, and the lock file is a separate file,
  so closing it can never release SQLite's locks.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import time

_WRITE_KEYWORDS = ("insert", "update", "delete", "replace")
_FIRST_WAIT_S = 0.0001
_LONGEST_WAIT_S = 0.001


def lock_path_of(database: str) -> str:
    return database + "-writers"


def opens_write_transaction(sql: str) -> bool:
    """Whether Python's ``sqlite3`` opens a transaction before running ``sql``: the
    statement starts with INSERT, UPDATE, DELETE or REPLACE (its own test, in
    ``Modules/_sqlite/statement.c``, which skips leading blanks)."""
    return sql.lstrip()[:7].lower().startswith(_WRITE_KEYWORDS)


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose write transactions take the queue lock first.

    Made by ``sqlite3.connect(..., factory=QueuedWriterConnection)``; the lock file and
    the longest wait are set with :meth:`join_queue` right after connecting."""

    queue_path: str | None = None
    queue_timeout_s: float = 0.0
    _queue_fd: int | None = None
    _queue_held = False

    def join_queue(self, path: str, timeout_s: float) -> None:
        self.queue_path, self.queue_timeout_s = path, timeout_s

    def cursor(self, factory=None):
        return super().cursor(factory or QueuedWriterCursor)

    def commit(self):
        try:
            super().commit()
        finally:
            self.leave_queue()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.leave_queue()

    def close(self):
        try:
            super().close()
        finally:
            self.leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None

    def enter_queue(self) -> None:
        """Take the queue lock before a write transaction (a no-op when held or unset)."""
        if self._queue_held or self.queue_path is None:
            return
        if self._queue_fd is None:
            try:
                self._queue_fd = os.open(self.queue_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only folder: write as before, on SQLite's lock alone
                self.queue_path = None
                return
        deadline = time.monotonic() + self.queue_timeout_s
        wait = _FIRST_WAIT_S
        while True:
            try:
                fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._queue_held = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # go on without it: SQLite's busy timeout decides, as before
                time.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT_S)

    def leave_queue(self) -> None:
        if self._queue_held:
            self._queue_held = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)


class QueuedWriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        return self._queued(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self._queued(super().executemany, sql, seq_of_parameters)

    def _queued(self, run, sql, parameters):
        connection = self.connection
        if connection.isolation_level is None or connection.in_transaction or not opens_write_transaction(sql):
            return run(sql, parameters)
        connection.enter_queue()
        try:
            return run(sql, parameters)
        except BaseException:
            if not connection.in_transaction:  # nothing began: nothing will commit or roll back
                connection.leave_queue()
            raise
