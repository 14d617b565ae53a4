"""``answer_sql.run_plain`` sends a statement compiled once as its SQL text: its
parameters must reach the database exactly as ``Connection.execute`` would send them —
a type's own conversion (``UTCDateTime``: an aware time stored as naive UTC), literal
values the statement carries, booleans — on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Integer, bindparam, cast, literal, select

from webapp.models.base import UTCDateTime


def _build(dialect, with_offset):
    stamp = bindparam("now", type_=UTCDateTime())
    return select(stamp.label("stamp"),
                  (bindparam("n", type_=Integer) + literal(7 if with_offset else 0)).label("n"),
                  cast(bindparam("flag", type_=Boolean), Boolean).label("flag"))


def test_parameters_reach_the_database_as_execute_sends_them(app):
    from webapp.extensions import db
    from webapp.services import answer_sql

    beijing = timezone(timedelta(hours=8))
    params = {"now": datetime(2026, 12, 2, 10, 30, tzinfo=beijing), "n": 5, "flag": True}
    with app.app_context():
        with db.engine.connect() as conn:
            plain = answer_sql.run_plain("test_plain", _build, params, True, conn=conn).one()
            ordinary = conn.execute(_build(conn.dialect.name, True), params).one()
            # the driver's own reading of the stamp column: the naive UTC time that was stored
            assert str(plain[0]).startswith("2026-12-02 02:30:00")
            assert plain[1] == ordinary[1] == 12
            assert bool(plain[2]) is True and ordinary[2] is True
            # the same statement again: compiled once, each call with its own values
            again = answer_sql.run_plain("test_plain", _build, params | {"n": 1, "flag": False}, True,
                                         conn=conn).one()
            assert again[1] == 8 and bool(again[2]) is False
            assert ordinary[0] == datetime(2026, 12, 2, 2, 30, tzinfo=timezone.utc)


def test_a_statement_with_expanding_parameters_is_refused(app):
    from webapp.extensions import db
    from webapp.services import answer_sql

    def build(dialect):
        return select(literal(1)).where(literal(1).in_(bindparam("ids", expanding=True)))

    with app.app_context():
        with db.engine.connect() as conn:
            with pytest.raises(ValueError, match="expanding"):
                answer_sql.run_plain("test_expanding", build, {"ids": [1, 2]}, conn=conn)
