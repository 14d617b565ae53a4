"""The statements of the save path, race-safe on SQLite and PostgreSQL, and cheap.

- **Upserts** (``INSERT … ON CONFLICT … DO UPDATE``) create or change the
  expert's Response and Ratings in one statement each, so two tabs (or an
  autosave racing the submit) never collide on the unique constraints.
- **The open-round guard** is part of the statement that writes: the Response
  upsert inserts or touches the draft only while the round accepts answers
  (``Round.accepting``: on PostgreSQL it reads the round row ``FOR SHARE``, so a
  close waits for saves in flight and a save after the close sees it closed; on
  SQLite the write lock orders the whole save against the close).
- **Cost**: a save is 3 statements in all, in one transaction — the expert with
  the round and its items (:func:`expert_and_round`, plain values, no ORM object),
  the Response upsert, whose RETURNING also counts the items answered outside the
  batch, and the Ratings upsert, which returns the batch's ``value`` and
  ``no_opinion``: the answered count needs no statement of its own (on SQLite
  the count runs inside the write lock, a few microseconds of SQLite's C, not the
  ~0.1 ms of Python a separate statement cost). On PostgreSQL the two upserts are
  one statement (``services.answer_pg``), which also checks what the read would
  have told: a save there is that one statement, in autocommit. Each statement is
  **built once per database dialect** (and shape) with bound parameters and run on
  the session's connection (Core, no ORM layer): building the upserts anew cost
  more CPU than running them (``bench/save_profile.py``). Nothing about a round is cached
  between requests: every save reads the round and its items as they are now.

Services flush; the caller commits.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Integer, String, and_, bindparam, cast, func, literal, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import Expert, Rating, Response, ResponseStatus, Round, RoundItem, RoundKind, RoundStatus
from webapp.models.base import UTCDateTime
from webapp.security import EXPERT_REF_COLUMNS

RATING_FIELDS = ("value", "no_opinion", "comment", "reason")
_BUILT: dict[tuple, object] = {}   # (dialect, statement, shape) -> statement built once


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(table, dialect: str | None = None):
    return (postgresql.insert if (dialect or _dialect()) == "postgresql" else sqlite.insert)(table)


def run(name: str, build, params, *shape, conn=None):
    """Run the statement ``name`` (built on first use for this dialect and ``shape``)
    on ``conn``, by default the session's connection (same transaction), no ORM
    layer. The dialect is the connection's own (no ``get_bind`` lookup per statement)."""
    if conn is None:
        conn = db.session.connection()
    return conn.execute(_built(conn, name, build, shape), params)


def _built(conn, name: str, build, shape: tuple):
    """The statement ``name`` for ``conn``'s dialect and ``shape``, built on first use."""
    key = (conn.dialect.name, name, *shape)
    stmt = _BUILT.get(key)
    if stmt is None:
        stmt = _BUILT[key] = build(conn.dialect.name, *shape)
    return stmt


_PLAIN: dict[tuple, tuple] = {}  # (dialect, statement, shape) -> (compiled statement, bind processors)


def run_plain(name: str, build, params, *shape, conn):
    """:func:`run` for a statement whose result needs no conversion by SQLAlchemy (ids and
    counts): compiled once per dialect and shape, then sent as its SQL text
    (``Connection.exec_driver_sql``) with each parameter converted by its type's own bind
    processor, as ``Connection.execute`` would. ``execute`` also builds the statement's
    cache key and looks it up on every call, which for the autosave's one statement on
    PostgreSQL (data-modifying CTEs, ``services.answer_pg``) cost 0.05–0.25 ms of the
    save's 2.4–2.7 ms of CPU in one process (alternating blocks, as ``bench/save_profile.py``
    measures). A statement with expanding parameters (``IN`` lists rendered per call)
    cannot be sent this way: ValueError."""
    key = (conn.dialect.name, name, *shape)
    plain = _PLAIN.get(key)
    if plain is None:
        compiled = _built(conn, name, build, shape).compile(dialect=conn.dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError(f"statement {name!r} has expanding parameters; use run()")
        processors = {}
        for bind, bind_name in compiled.bind_names.items():
            process = bind.type.bind_processor(conn.dialect)
            if process is not None:
                processors[bind_name] = process
        plain = _PLAIN[key] = (compiled, processors)
    compiled, processors = plain
    values = compiled.construct_params(params)
    for bind_name, process in processors.items():
        values[bind_name] = process(values[bind_name])
    if compiled.positional:   # SQLite's "?": the values in the order the SQL names them
        return conn.exec_driver_sql(compiled.string, tuple(values[name] for name in compiled.positiontup))
    return conn.exec_driver_sql(compiled.string, values)


def item_ids_column(round_id_column, dialect: str | None = None):
    """The node ids of a round's items as one text column ("3,4,9"), to read with the round."""
    if (dialect or _dialect()) == "postgresql":
        aggregate = func.string_agg(cast(RoundItem.node_id, String), literal_column("','"))
    else:
        aggregate = func.group_concat(RoundItem.node_id, ",")
    return select(aggregate).where(RoundItem.round_id == round_id_column).scalar_subquery()


def parse_item_ids(text: str | None) -> list[int]:
    return [int(v) for v in text.split(",")] if text else []


# --- the round, as plain values ----------------------------------------------------------------

@dataclass(frozen=True)
class RoundFacts:
    """What an autosave needs of a round, read with its item ids in one statement.

    Offers the attributes and the two rules of :class:`Round` the save path uses
    (``accepts_answers``, ``is_past_deadline``: the same definitions), without an
    ORM object. A value of one request: never kept between requests."""

    id: int
    study_id: int
    number: int
    kind: RoundKind
    status: RoundStatus
    closes_at: datetime | None
    scale_min: int
    scale_max: int
    allow_no_opinion: bool
    allow_comments: bool
    item_node_ids: list[int]

    is_past_deadline = Round.__dict__["is_past_deadline"].func
    accepts_answers = Round.__dict__["accepts_answers"].func

    def with_status(self, status: RoundStatus) -> RoundFacts:
        return replace(self, status=status)


_FACT_COLUMNS = ("id", "study_id", "number", "kind", "status", "closes_at", "scale_min", "scale_max",
                 "allow_no_opinion", "allow_comments")


def _build_round_facts(dialect: str):
    table = Round.__table__
    return select(*(table.c[name] for name in _FACT_COLUMNS), item_ids_column(table.c.id, dialect)).where(
        table.c.id == bindparam("round_id"), table.c.study_id == bindparam("study_id"),
        table.c.status != RoundStatus.draft.value)


def _facts_of(values) -> RoundFacts:
    *values, ids = values
    facts = dict(zip(_FACT_COLUMNS, values))
    facts["kind"], facts["status"] = RoundKind(facts["kind"]), RoundStatus(facts["status"])
    return RoundFacts(**facts, item_node_ids=parse_item_ids(ids))


def round_facts(study_id: int, round_id: int) -> RoundFacts | None:
    """Round ``round_id`` of study ``study_id`` (not a draft) with its item ids, or None."""
    row = run("round_facts", _build_round_facts, {"round_id": round_id, "study_id": study_id}).first()
    return None if row is None else _facts_of(row)


def _build_expert_and_round(dialect: str):
    expert, table = Expert.__table__, Round.__table__
    joined = expert.outerjoin(table, and_(table.c.id == bindparam("round_id"), table.c.study_id == expert.c.study_id,
                                          table.c.status != RoundStatus.draft.value))
    return select(*(expert.c[name] for name in EXPERT_REF_COLUMNS), *(table.c[name] for name in _FACT_COLUMNS),
                  item_ids_column(table.c.id, dialect)).select_from(joined).where(expert.c.id == bindparam("expert_id"))


def expert_and_round(expert_id: int, round_id: int, *, conn=None) -> tuple[tuple | None, RoundFacts | None]:
    """The autosave's first statement: expert ``expert_id`` (a row of
    ``security.EXPERT_REF_COLUMNS``, or None) and :func:`round_facts` of round
    ``round_id`` of the expert's study (None when it is not one). ``conn``: as
    for :func:`run`."""
    row = run("expert_and_round", _build_expert_and_round,
              {"expert_id": expert_id, "round_id": round_id}, conn=conn).first()
    if row is None:
        return None, None
    width = len(EXPERT_REF_COLUMNS)
    return tuple(row[:width]), (None if row[width] is None else _facts_of(row[width:]))


# --- the writes ---------------------------------------------------------------------------------

def _answered(table):
    return or_(table.c.value.is_not(None), table.c.no_opinion)


def _others_answered(dialect: str):
    """How many items the expert's response to the round (``:expert_id``, ``:round_id``)
    answers besides the batch's (``:batch``: its node ids). Read in the Response
    upsert's RETURNING: a response it creates has no ratings yet, so whether the new
    row is seen there does not matter."""
    table, own = Rating.__table__, Response.__table__.alias("own")
    batch = bindparam("batch", type_=String)   # the node ids as a JSON list, read by the database
    if dialect == "postgresql":
        listed = select(cast(func.json_array_elements_text(cast(batch, postgresql.JSON)), Integer))
    else:
        listed = select(literal_column("value")).select_from(func.json_each(batch))
    outside = table.c.node_id.not_in(listed.scalar_subquery())
    # No join: SQLite renders RETURNING's columns without their table, so each
    # SELECT names one table (an unqualified name resolves in the innermost one).
    response_id = select(own.c.id).where(own.c.expert_id == bindparam("expert_id"),
                                         own.c.round_id == bindparam("round_id")).scalar_subquery()
    return select(func.count()).select_from(table).where(table.c.response_id == response_id, _answered(table),
                                                         outside).scalar_subquery()


def response_upsert(dialect: str, *, checked=None):
    """INSERT … ON CONFLICT DO UPDATE of the expert's draft Response (``:expert_id``,
    ``:round_id``, ``:now``), guarded by :meth:`Round.accepting` (and ``checked``, a
    further condition, when given); no RETURNING yet."""
    table = Response.__table__
    stamp = bindparam("now", type_=UTCDateTime())
    guard = Round.accepting(db.session, bindparam("round_id"), stamp, dialect=dialect)
    source = select(bindparam("expert_id"), bindparam("round_id"), literal(ResponseStatus.draft.value), stamp, stamp) \
        .where(guard if checked is None else and_(checked, guard))
    stmt = _insert(table, dialect).from_select(["expert_id", "round_id", "status", "created_at", "updated_at"],
                                               source)
    return stmt.on_conflict_do_update(
        index_elements=["expert_id", "round_id"], set_={"updated_at": stmt.excluded.updated_at},
        where=table.c.status == ResponseStatus.draft.value)


def _build_response_upsert(dialect: str):
    return response_upsert(dialect).returning(Response.__table__.c.id, _others_answered(dialect))


def upsert_draft_response(expert_id: int, round_id: int, now: datetime,
                          batch: list[int] = ()) -> tuple[int, int] | None:
    """The expert's draft Response id, created if needed and touched, with how many
    items it answers besides those of ``batch`` (node ids about to be written) —
    or None when the round no longer accepts answers or the expert has submitted."""
    row = run("response_upsert", _build_response_upsert,
               {"expert_id": expert_id, "round_id": round_id, "now": now, "batch": json.dumps(list(batch))}).first()
    return None if row is None else (row[0], row[1])


def _build_ratings_upsert(dialect: str, keys: tuple[str, ...]):
    table = Rating.__table__
    stmt = _insert(table, dialect).values({k: bindparam(k, type_=table.c[k].type) for k in keys})
    changed = [k for k in keys if k not in ("response_id", "node_id")]
    return stmt.on_conflict_do_update(index_elements=["response_id", "node_id"],
                                      set_={k: stmt.excluded[k] for k in changed}) \
        .returning(table.c.value, table.c.no_opinion)   # not an expression of them: see upsert_ratings


def rating_rows(answers: list[dict], now: datetime) -> list[dict]:
    """One row per node (a later answer's keys win, as if applied in order), each with
    only the keys the answers give (absent keys keep what is stored)."""
    rows: dict[int, dict] = {}
    for answer in answers:
        node_id = int(answer["node_id"])
        row = rows.setdefault(node_id, {"node_id": node_id, "updated_at": now})
        if "no_opinion" in answer or "value" in answer:
            no_opinion = bool(answer.get("no_opinion", False))
            row["no_opinion"] = no_opinion
            if no_opinion or "value" in answer:
                row["value"] = None if no_opinion else answer.get("value")
        for key in ("comment", "reason"):
            if key in answer:
                row[key] = (answer[key] or "").strip()
    return list(rows.values())


def upsert_ratings(response_id: int, rows: list[dict]) -> int:
    """Insert or change one Rating per row of :func:`rating_rows` (of checked answers);
    returns how many of these nodes are now answered.

    Rows with the same keys go in one statement (the page sends one shape at a time).
    The statement returns each row's ``value`` and ``no_opinion``, and Python decides
    whether it is answered: SQLite 3.40 evaluated ``RETURNING value IS NOT NULL``
    to true for a row inserted without a value (its ``value`` read back NULL).
    """
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        row = {**row, "response_id": response_id}
        groups.setdefault(tuple(sorted(row)), []).append(row)
    answered = 0
    for keys, group in groups.items():
        result = run("ratings_upsert", _build_ratings_upsert, group, keys)
        answered += sum(1 for value, no_opinion in result if value is not None or no_opinion)
    return answered
