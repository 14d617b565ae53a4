"""Helpers shared by the test suites: one ``snapshot()`` of everything stored, and a query counter.

Fixtures live in ``tests/conftest.py`` (app, clients, factories); plain functions live here.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

#: Columns that change on reads (a visit stamps ``last_seen_at``); a refusal may touch them.
VOLATILE = {("expert", "last_seen_at"), ("login_attempt", None)}


def snapshot(app, *, ignore: set | None = None) -> dict:
    """Every row of every table, by table, in primary-key order: a refused request must
    leave this unchanged. ``ignore``: extra (table, column) pairs, or (table, None) for a
    whole table, to leave out besides :data:`VOLATILE`."""
    from webapp.extensions import db

    skip = VOLATILE | (ignore or set())
    state = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if (table.name, None) in skip:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in skip]
            rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            state[table.name] = [tuple(row) for row in rows]
    return state


class QueryCount:
    """SQL statements run while active (see :func:`count_queries`)."""

    def __init__(self):
        self.n = 0
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.n += 1
        self.statements.append(statement)


@contextmanager
def count_queries(app):
    """``with count_queries(app) as q: client.get(...)`` → ``q.n`` statements."""
    from webapp.extensions import db

    counter = QueryCount()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def wait_until(condition, *, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll ``condition()`` until it is truthy (returns it) or fail after ``timeout`` seconds.
    For browser tests: wait on a condition, never a fixed sleep."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(interval)
