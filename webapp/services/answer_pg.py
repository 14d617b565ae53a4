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
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (Boolean, Integer, String, Text, bindparam, cast, column, false, func, literal, null, or_,
                        select, true)
from sqlalchemy.dialects import postgresql

from webapp.models import Rating, Response
from webapp.models.base import UTCDateTime
from webapp.services import answer_sql

FIELDS = (("value", Integer), ("no_opinion", Boolean), ("comment", Text), ("reason", Text))
DEFAULTS = {"value": null(), "no_opinion": false(), "comment": literal(""), "reason": literal("")}


def _build_save(dialect: str, keys: tuple[str, ...]):
    rating, response = Rating.__table__, Response.__table__
    stamp = bindparam("now", type_=UTCDateTime())
    own = answer_sql.response_upsert(dialect).returning(response.c.id).cte("own")
    rows = func.json_to_recordset(cast(bindparam("rows", type_=String), postgresql.JSON)).table_valued(
        column("node_id", Integer), *(column(name, kind) for name, kind in FIELDS)).render_derived(
        name="given", with_types=True)
    given = select(rows).cte("given")
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
    return select(own.c.id, others + batch).select_from(own)


def applies(rows: list[dict]) -> bool:
    """Whether :func:`save` can write these rows (``answer_sql.rating_rows``): on
    PostgreSQL, at least one row, all with the same keys."""
    if not rows or answer_sql.dialect() != "postgresql":
        return False
    first = rows[0].keys()
    return all(row.keys() == first for row in rows)


def save(expert_id: int, round_id: int, rows: list[dict], now: datetime) -> tuple[int, int] | None:
    """Write the draft Response and ``rows`` in one statement: ``(response id, answered
    items)``, or None when the round no longer accepts answers or the expert has submitted."""
    keys = tuple(sorted(k for k in rows[0] if k in dict(FIELDS)))
    given = json.dumps([{k: row[k] for k in ("node_id", *keys)} for row in rows])
    result = answer_sql.run("save_in_one", _build_save, {"expert_id": expert_id, "round_id": round_id,
                                                         "now": now, "rows": given}, keys).first()
    return None if result is None else (result[0], result[1])
