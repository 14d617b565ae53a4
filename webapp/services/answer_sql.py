"""The statements of the save path, race-safe on SQLite and PostgreSQL.

- **Upserts** (``INSERT … ON CONFLICT … DO UPDATE``) create or change the
  expert's Response and Ratings in one statement each, so two tabs (or an
  autosave racing the submit) never collide on the unique constraints.
- **The open-round guard** is part of the statement that writes: the Response
  upsert inserts or touches the draft only while the round accepts answers. On
  PostgreSQL the guard reads the round row ``FOR SHARE``: a close (which takes
  the row ``FOR UPDATE``) waits for saves in flight, and a save that comes after
  the close sees it closed (READ COMMITTED re-checks the locked row). On SQLite
  the write lock serialises the whole save against the close.
- **Cost**: a save is 4 statements besides the session — the round's items,
  the Response upsert, the Ratings upsert and the count of answered items.

Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import Rating, Response, ResponseStatus, Round, RoundItem, RoundStatus
from webapp.models.base import UTCDateTime

RATING_FIELDS = ("value", "no_opinion", "comment", "reason")


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def round_accepting(round_id: int, now: datetime):
    """EXISTS (the round is open and before its deadline), share-locking the round row
    on PostgreSQL so that a concurrent close waits for this transaction."""
    query = select(Round.id).where(
        Round.id == round_id, Round.status == RoundStatus.open,
        or_(Round.closes_at.is_(None), Round.closes_at > now))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return exists(query)


def lock_round_for_close(round_id: int) -> None:
    """Hold the round for a close before its time is taken: PostgreSQL waits for
    saves in flight (their share locks); SQLite takes the database's write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Round.id).where(Round.id == round_id).with_for_update())
    else:
        db.session.execute(update(Round).where(Round.id == round_id).values(status=Round.status)
                           .execution_options(synchronize_session=False))


def item_node_ids(round_id: int) -> list[int]:
    return list(db.session.scalars(select(RoundItem.node_id).where(RoundItem.round_id == round_id)
                                   .order_by(RoundItem.position)))


def upsert_draft_response(expert_id: int, round_id: int, now: datetime) -> int | None:
    """The expert's draft Response id, created if needed and touched — or None when
    the round no longer accepts answers or the expert has submitted."""
    table = Response.__table__
    stamp = literal(now, UTCDateTime())
    source = select(literal(expert_id), literal(round_id), literal(ResponseStatus.draft.value), stamp, stamp) \
        .where(round_accepting(round_id, now))
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


def guarded_response_update(response_id: int, round_id: int, now: datetime, **values) -> bool:
    """Change the draft only while the round accepts answers (share lock on PostgreSQL)."""
    result = db.session.execute(
        update(Response).where(Response.id == response_id, Response.status == ResponseStatus.draft,
                               round_accepting(round_id, now))
        .values(updated_at=now, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1
