"""The statements of the save path, race-safe on SQLite and PostgreSQL.

- **Upserts** (``INSERT … ON CONFLICT … DO UPDATE``) create or change the
  expert's Response and Ratings in one statement each, so two tabs (or an
  autosave racing the submit) never collide on the unique constraints.
- **The open-round guard** is part of the statement that writes: the Response
  upsert inserts or touches the draft only while the round accepts answers
  (``Round.accepting``: on PostgreSQL it reads the round row ``FOR SHARE``, so a
  close waits for saves in flight and a save after the close sees it closed; on
  SQLite the write lock orders the whole save against the close).
- **Cost**: a save is 4 statements besides the session — the round's items,
  the Response upsert, the Ratings upsert and the count of answered items.

Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, func, literal, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import Rating, Response, ResponseStatus, Round, RoundItem
from webapp.models.base import UTCDateTime

RATING_FIELDS = ("value", "no_opinion", "comment", "reason")


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def item_ids_column(round_id_column):
    """The node ids of a round's items as one text column ("3,4,9"), to read with the round."""
    if db.session.get_bind().dialect.name == "postgresql":
        aggregate = func.string_agg(cast(RoundItem.node_id, String), literal_column("','"))
    else:
        aggregate = func.group_concat(RoundItem.node_id, ",")
    return select(aggregate).where(RoundItem.round_id == round_id_column).scalar_subquery()


def parse_item_ids(text: str | None) -> list[int]:
    return [int(v) for v in text.split(",")] if text else []


def upsert_draft_response(expert_id: int, round_id: int, now: datetime) -> int | None:
    """The expert's draft Response id, created if needed and touched — or None when
    the round no longer accepts answers or the expert has submitted."""
    table = Response.__table__
    stamp = literal(now, UTCDateTime())
    source = select(literal(expert_id), literal(round_id), literal(ResponseStatus.draft.value), stamp, stamp) \
        .where(Round.accepting(db.session, round_id, now))
    stmt = _insert(table).from_select(["expert_id", "round_id", "status", "created_at", "updated_at"], source)
    stmt = stmt.on_conflict_do_update(
        index_elements=["expert_id", "round_id"], set_={"updated_at": stmt.excluded.updated_at},
        where=table.c.status == ResponseStatus.draft.value,
    ).returning(table.c.id)
    return db.session.execute(stmt).scalar()


def upsert_ratings(response_id: int, answers: list[dict], now: datetime) -> None:
    """Insert or change one Rating per answer; keys absent from an answer keep what is stored.

    ``answers`` are checked already: ``{"node_id", "value"?, "no_opinion"?, "comment"?, "reason"?}``.
    Answers with the same keys go in one statement (the page sends one shape at a time).
    """
    groups: dict[tuple[str, ...], list[dict]] = {}
    for answer in answers:
        row = {"response_id": response_id, "node_id": int(answer["node_id"]), "updated_at": now}
        if "no_opinion" in answer or "value" in answer:
            no_opinion = bool(answer.get("no_opinion", False))
            row["no_opinion"] = no_opinion
            if no_opinion or "value" in answer:
                row["value"] = None if no_opinion else answer.get("value")
        for key in ("comment", "reason"):
            if key in answer:
                row[key] = (answer[key] or "").strip()
        groups.setdefault(tuple(sorted(row)), []).append(row)
    table = Rating.__table__
    for keys, rows in groups.items():
        stmt = _insert(table).values(rows)
        changed = [k for k in keys if k not in ("response_id", "node_id")]
        stmt = stmt.on_conflict_do_update(index_elements=["response_id", "node_id"],
                                          set_={k: stmt.excluded[k] for k in changed})
        db.session.execute(stmt)


def answered_count(response_id: int) -> int:
    return db.session.scalar(select(func.count(Rating.id)).where(
        Rating.response_id == response_id, or_(Rating.value.is_not(None), Rating.no_opinion)))
