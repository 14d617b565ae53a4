"""PostgreSQL: the autosave's writes in one statement (issue 16).

On PostgreSQL every statement is a round trip to the server, and the server's own
processes share the machine's cores with the web workers. A batch of answers with one
shape (the page sends one shape at a time) is therefore written by one statement
with data-modifying CTEs instead of two:

.. code-block:: sql

    WITH own AS (INSERT INTO response … ON CONFLICT … DO UPDATE … RETURNING id),  -- guarded by Round.accepting
         given AS (SELECT … FROM json_to_recordset(:rows) AS given(node_id int, value int, …)),
         rated AS (INSERT INTO rating … SELECT own.id, given.… FROM own, given
                   ON CONFLICT (response_id, node_id) DO UPDATE SET <the shape's keys>
                   RETURNING value, no_opinion)
    SELECT own.id, <answered items outside the batch> + <answered items of rated> FROM own

The Response upsert is the very statement of ``answer_sql.response_upsert`` (the
open-round guard reads the round ``FOR SHARE``), so a close still waits for this save
and a save after the close writes nothing: no ``own`` row, no rating, no result row.
The outer SELECT reads ``rating`` as it was before the statement (PostgreSQL's one
snapshot), which is exactly what "outside the batch" needs. SQLite has no
data-modifying CTE: it keeps the two statements.

**One round trip.** An autosave is first tried as one statement, before anything is
read (:func:`save_checked`): the statement above, whose Response upsert also requires
:func:`_checks` — the expert is not revoked and the session's marker is the link's
current one, the round is a Delphi round of the expert's study, every answer names one
of its items and fits its scale and options — checked against the rows as they are
when the statement runs. It runs on a pool connection of its own in autocommit
(:func:`own_connection`), so it is the save's only round trip: no ``BEGIN``, no read
before it, no ``COMMIT`` (it commits as it ends). Nothing is lost by it: under READ
COMMITTED each statement reads its own snapshot inside a transaction too, and every
write — the open-round guard's ``FOR SHARE`` with it — is in the one statement. If it
writes nothing (a refusal, a close, a submitted response, a deadline passed that no
scheduler has acted on yet), the view takes the ordinary path: it reads the expert and
the round (``answer_sql.expert_and_round``, on the same connection), closes a round past
its deadline (on the session, in a transaction), and says why, or saves if things
changed in between. The checks are the ordinary path's rules written once more, in SQL:
``tests/webapp/test_save_checked.py`` holds them to the Python rule on generated batches.
Under load on 2 cores each round trip also waits for the database's process to be
scheduled (``bench/load.py``): four per save (``BEGIN``, read, write, ``COMMIT``) became one.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import (Boolean, Integer, String, Text, and_, bindparam, cast, column, exists, false, func, literal,
                        not_, null, or_, select, true)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from webapp.extensions import db
from webapp.models import Expert, Rating, Response, Round, RoundItem, RoundKind
from webapp.models.base import UTCDateTime
from webapp.services import answer_sql

FIELDS = (("value", Integer), ("no_opinion", Boolean), ("comment", Text), ("reason", Text))
DEFAULTS = {"value": null(), "no_opinion": false(), "comment": literal(""), "reason": literal("")}


def _build_save(dialect: str, keys: tuple[str, ...], checked: bool = False):
    rating, response = Rating.__table__, Response.__table__
    stamp = bindparam("now", type_=UTCDateTime())
    rows = func.json_to_recordset(cast(bindparam("rows", type_=String), postgresql.JSON)).table_valued(
        column("node_id", Integer), *(column(name, kind) for name, kind in FIELDS)).render_derived(
        name="given", with_types=True)
    given = select(rows).cte("given")
    upsert = answer_sql.response_upsert(dialect, checked=_checks(given) if checked else None)
    own = upsert.returning(response.c.id).cte("own")
    values = [given.c[name] if name in keys else DEFAULTS[name] for name, _ in FIELDS]
    source = select(own.c.id, given.c.node_id, *values, stamp).select_from(own).join(given, true())
    insert = postgresql.insert(rating).from_select(
        ["response_id", "node_id", *(name for name, _ in FIELDS), "updated_at"], source)
    rated = insert.on_conflict_do_update(
        index_elements=["response_id", "node_id"],
        set_={**{k: insert.excluded[k] for k in keys}, "updated_at": insert.excluded.updated_at},
    ).returning(rating.c.value, rating.c.no_opinion).cte("rated")
    others = select(func.count()).where(
        rating.c.response_id == own.c.id, or_(rating.c.value.is_not(None), rating.c.no_opinion),
        rating.c.node_id.not_in(select(given.c.node_id))).scalar_subquery()
    batch = select(func.count()).select_from(rated).where(
        or_(rated.c.value.is_not(None), rated.c.no_opinion)).scalar_subquery()
    if not checked:
        return select(own.c.id, others + batch).select_from(own)
    items = RoundItem.__table__
    total = select(func.count()).where(items.c.round_id == bindparam("round_id")).scalar_subquery()
    return select(own.c.id, others + batch, total).select_from(own)


def _checks(given):
    """What the ordinary path checks in Python once it has read the expert and the round
    (``security.accept_expert_row``, ``answers.autosave_facts``, ``answers._check_answer``),
    as one condition on the expert's and the round's rows as they are when the statement
    runs: the expert is not revoked and the session's marker is the link's current one;
    the round is a Delphi round of the expert's study; every answer names one of its
    items; the batch's lowest and highest rating are on its scale; "no opinion" and
    comments only where it takes them. The batch's own facts (``:lowest``, ``:highest``,
    ``:no_opinion_given``, ``:comment_given``, ``:distinct_nodes``) are worked out in
    Python by :func:`batch_facts`. The round's being open and before its deadline is the
    guard's (:meth:`Round.accepting`), as for every save."""
    expert, rnd, items = Expert.__table__, Round.__table__, RoundItem.__table__
    lowest, highest = bindparam("lowest", type_=Integer), bindparam("highest", type_=Integer)
    pair = expert.join(rnd, and_(rnd.c.id == bindparam("round_id"), rnd.c.study_id == expert.c.study_id))
    people_and_round = exists(select(expert.c.id).select_from(pair).where(
        expert.c.id == bindparam("expert_id"), expert.c.revoked_at.is_(None),
        Expert.marker_column() == bindparam("marker", type_=String),
        rnd.c.kind == RoundKind.delphi.value,
        func.coalesce(lowest, rnd.c.scale_min) >= rnd.c.scale_min,
        func.coalesce(highest, rnd.c.scale_max) <= rnd.c.scale_max,
        or_(not_(bindparam("no_opinion_given", type_=Boolean)), rnd.c.allow_no_opinion),
        or_(not_(bindparam("comment_given", type_=Boolean)), rnd.c.allow_comments)))
    named = select(func.count()).where(items.c.round_id == bindparam("round_id"),
                                       items.c.node_id.in_(select(given.c.node_id))).scalar_subquery()
    return and_(people_and_round, named == bindparam("distinct_nodes", type_=Integer))


def batch_facts(answers: list[dict], rows: list[dict]) -> dict:
    """The parameters of :func:`_checks` for checked ``answers`` of the right JSON types
    and their ``rows`` (``answer_sql.rating_rows``)."""
    values = [a["value"] for a in answers if a.get("value") is not None]
    return {"lowest": min(values, default=None), "highest": max(values, default=None),
            "no_opinion_given": any(bool(a.get("no_opinion")) for a in answers),
            "comment_given": any((a.get("comment") or "").strip() for a in answers),
            "distinct_nodes": len(rows)}


@contextmanager
def own_connection() -> Iterator[Connection | None]:
    """On PostgreSQL, a pool connection in autocommit for the autosave's read and its
    one writing statement (see the module's notes), returned to the pool at the end;
    None on SQLite, whose save stays on the session (one transaction, the writers' queue)."""
    if db.engine.dialect.name != "postgresql":
        yield None
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def applies(rows: list[dict]) -> bool:
    """Whether :func:`save` can write these rows (``answer_sql.rating_rows``): on
    PostgreSQL, at least one row, all with the same keys."""
    if not rows or db.engine.dialect.name != "postgresql":
        return False
    first = rows[0].keys()
    return all(row.keys() == first for row in rows)


def _given(rows: list[dict]) -> tuple[tuple[str, ...], str]:
    """The batch's shape (the rating fields its rows give) and its rows as the JSON the
    statement reads (``:rows``)."""
    keys = tuple(sorted(k for k in rows[0] if k in dict(FIELDS)))
    return keys, json.dumps([{k: row[k] for k in ("node_id", *keys)} for row in rows])


def save_checked(expert_id: int, marker: str, round_id: int, answers: list[dict], rows: list[dict],
                 now: datetime, *, conn: Connection) -> tuple[int, int, int] | None:
    """The autosave in one round trip: :func:`save`'s statement, writing only when
    :func:`_checks` pass. ``(response id, answered items, items)``, or None when nothing
    was written — refused, closed, submitted, past the deadline —: the caller then takes
    the ordinary path, which reads the expert and the round and says why (or, if things
    changed in between, saves)."""
    keys, given = _given(rows)
    params = {"expert_id": expert_id, "marker": marker, "round_id": round_id, "now": now, "rows": given,
              **batch_facts(answers, rows)}
    result = answer_sql.run_plain("save_checked", _build_save, params, keys, True, conn=conn).first()
    return None if result is None else (result[0], result[1], result[2])


def save(expert_id: int, round_id: int, rows: list[dict], now: datetime, *,
         conn: Connection | None = None) -> tuple[int, int] | None:
    """Write the draft Response and ``rows`` in one statement: ``(response id, answered
    items)``, or None when the round no longer accepts answers or the expert has submitted.
    ``conn``: :func:`own_connection`'s (the statement commits as it ends), else the session's."""
    keys, given = _given(rows)
    result = answer_sql.run("save_in_one", _build_save, {"expert_id": expert_id, "round_id": round_id,
                                                         "now": now, "rows": given}, keys, conn=conn).first()
    return None if result is None else (result[0], result[1])
