"""Steering a round once it runs: extend the deadline of an open round, reopen a closed
round for a set time, and refuse to open a round nobody can answer.

Every change is audited with the old and new times. The deadline is the window: an
answer is accepted only while the round is open and before ``closes_at`` (the
lazy close in ``round_lifecycle.close_if_expired`` holds without a scheduler), so answers
outside the windows stay refused. Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Expert, Round, RoundStatus, utcnow
from webapp.services import audit, frozen_reports, timezones
from webapp.services.round_lifecycle import RoundError, close_if_expired


def active_experts(rnd: Round) -> int:
    return len(db.session.scalars(select(Expert.id).where(Expert.study_id == rnd.study_id,
                                                          Expert.revoked_at.is_(None))).all())


def require_active_experts(rnd: Round) -> None:
    """Opening a round nobody can answer is refused (it would then report "every expert
    has submitted")."""
    if active_experts(rnd) == 0:
        raise RoundError(_("This round cannot be opened: no expert has an active invitation link. "
                           "Add experts to the panel first."))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def extend_deadline(rnd: Round, closes_at: datetime, *, now: datetime | None = None) -> None:
    """Move the deadline of an open round later."""
    now = now or utcnow()
    close_if_expired(rnd, now=now)
    if rnd.status is not RoundStatus.open:
        raise RoundError(_("Only an open round's deadline can be extended; reopen a closed round instead."))
    if closes_at <= now:
        raise RoundError(_("The new deadline must be in the future."))
    if rnd.closes_at is not None and closes_at <= rnd.closes_at:
        raise RoundError(_("The new deadline must be later than the current one (%(when)s).",
                           when=timezones.format_in(rnd.closes_at, rnd.study.time_zone)))
    old = rnd.closes_at
    rnd.closes_at = closes_at
    if rnd.reminded_at is not None and rnd.reminder_hours:
        rnd.reminded_at = None  # the automatic reminder comes again before the new deadline
    db.session.flush()
    audit.record("round.extend", study=rnd.study, target=f"round:{rnd.number}",
                 details={"from": _iso(old), "to": _iso(closes_at)})


def reopen_round(rnd: Round, until: datetime, *, now: datetime | None = None) -> None:
    """Open a closed round again until ``until``; answers outside that window stay refused.
    Only the study's latest round, and only while no other round is open."""
    now = now or utcnow()
    if rnd.status is not RoundStatus.closed:
        raise RoundError(_("Only a closed round can be reopened."))
    if until <= now:
        raise RoundError(_("The round must stay open until a time in the future."))
    later = db.session.scalar(select(Round.id).where(Round.study_id == rnd.study_id, Round.number > rnd.number,
                                                     Round.status != RoundStatus.draft).limit(1))
    other_open = db.session.scalar(select(Round.id).where(Round.study_id == rnd.study_id,
                                                          Round.status == RoundStatus.open).limit(1))
    if later is not None or other_open is not None:
        raise RoundError(_("Only the latest round can be reopened, and only while no other round is open."))
    require_active_experts(rnd)
    closed_at = rnd.closed_at
    result = db.session.execute(
        update(Round).where(Round.id == rnd.id, Round.status == RoundStatus.closed)
        .values(status=RoundStatus.open, closes_at=until, closed_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise RoundError(_("Only a closed round can be reopened."))
    db.session.refresh(rnd)
    frozen_reports.thaw(rnd)  # answers may change again: the frozen report is recomputed at the next close
    audit.record("round.reopen", study=rnd.study, target=f"round:{rnd.number}",
                 details={"closed_at": _iso(closed_at), "until": _iso(until)})


def is_chinese(text: str) -> bool:
    """Whether a proposal is written in Chinese (any CJK ideograph): its text then goes
    into the indicator's Chinese name, whatever the coordinator's page language."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text or "")
