"""Reminders to experts who have not submitted a round yet, and the notice that a
new round is open; composed and delivered by ``webapp.services.mail`` (each
message carries the expert's current link, re-displayable since links are HMACs).

Sending is claimed before it happens: ``reminded_at`` is set by a conditional
UPDATE (``WHERE reminded_at IS NULL``), so of two sweeps racing over the same
round exactly one sends. Each step is two-phase so the caller can commit in
between: ``queue_*`` claims and writes the queued rows (commit: from then on
nothing is sent twice), ``finish`` delivers them and records the outcome. With
no ``SMTP_HOST`` nothing is sent and the outcome says so (``not_sent``); the
coordinator copies the messages. Services flush; the caller commits.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import (
    Expert,
    Message,
    MessageKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    utcnow,
)
from webapp.services import audit, mail
from webapp.services.round_lifecycle import RoundError


log = logging.getLogger("webapp.notifications")


@dataclass
class Outcome(mail.Tally):
    """What happened to one batch: ``sent`` counts only messages the mail server took."""

    round_id: int | None
    kind: MessageKind
    rows: list[Message] = field(default_factory=list)
    without_email: int = 0


# --- who and when -------------------------------------------------------------------------

def pending_experts(rnd: Round) -> list[Expert]:
    """Experts with an active link who have not submitted this round."""
    submitted = set(db.session.scalars(select(Response.expert_id).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)))
    return [e for e in sorted(rnd.study.experts, key=lambda e: e.pseudonym)
            if not e.is_revoked and e.id not in submitted]


def reminder_due_at(rnd: Round) -> datetime | None:
    if rnd.reminder_hours is None or rnd.closes_at is None:
        return None
    return rnd.closes_at - timedelta(hours=rnd.reminder_hours)


def is_reminder_due(rnd: Round, now: datetime) -> bool:
    due = reminder_due_at(rnd)
    return (rnd.status is RoundStatus.open and rnd.reminded_at is None and due is not None
            and due <= now < rnd.closes_at)


def _claim(rnd: Round, now: datetime) -> bool:
    """Set ``reminded_at`` if nobody has: True for exactly one caller."""
    result = db.session.execute(
        update(Round).where(Round.id == rnd.id, Round.reminded_at.is_(None), Round.status == RoundStatus.open)
        .values(reminded_at=now).execution_options(synchronize_session=False))
    db.session.refresh(rnd)
    return result.rowcount == 1


def _unclaim(rnd: Round, now: datetime) -> None:
    db.session.execute(update(Round).where(Round.id == rnd.id, Round.reminded_at == now)
                       .values(reminded_at=None).execution_options(synchronize_session=False))
    db.session.refresh(rnd)


# --- reminders ----------------------------------------------------------------------------------

def due_reminder_rounds(now: datetime) -> list[int]:
    """Ids of the open rounds whose automatic reminder is due and not yet claimed."""
    candidates = db.session.scalars(select(Round).where(
        Round.status == RoundStatus.open, Round.reminder_hours.is_not(None), Round.reminded_at.is_(None),
        Round.closes_at.is_not(None), Round.closes_at > now).order_by(Round.id)).all()
    return [rnd.id for rnd in candidates if is_reminder_due(rnd, now)]


def _queue(kind: MessageKind, rnd: Round | None, experts: list[Expert]) -> Outcome:
    outcome = Outcome(round_id=rnd.id if rnd is not None else None, kind=kind)
    for expert in experts:
        if not expert.email:
            outcome.without_email += 1
    outcome.rows = mail.queue(kind, experts, rnd)
    return outcome


def queue_due_reminder(rnd: Round, *, now: datetime) -> Outcome | None:
    """Claim the automatic reminder of this round and queue it (None: not due, or
    another sweep has it). Commit, then ``finish``."""
    if not is_reminder_due(rnd, now) or not _claim(rnd, now):
        return None
    return _queue(MessageKind.reminder, rnd, pending_experts(rnd))


def queue_reminders_now(rnd: Round, *, now: datetime | None = None) -> Outcome:
    """The coordinator's "Remind now": the pending experts of an open round. When the
    automatic reminder is due it counts as sent, so the scheduler does not repeat it."""
    now = now or utcnow()
    if not rnd.accepts_answers(now):
        raise RoundError(_("Reminders go out only while the round is open."))
    experts = pending_experts(rnd)
    if not experts:
        raise RoundError(_("Every expert has submitted: nobody to remind."))
    if is_reminder_due(rnd, now):
        _claim(rnd, now)
    return _queue(MessageKind.reminder, rnd, experts)


def queue_round_open(rnd: Round) -> Outcome:
    """"Round n is open" to every expert with an active link (commit, then ``finish``)."""
    experts = [e for e in sorted(rnd.study.experts, key=lambda e: e.pseudonym) if not e.is_revoked]
    return _queue(MessageKind.round_open, rnd, experts)


def queue_invitations(study, experts: list[Expert]) -> Outcome:
    """Invitation e-mails to the chosen experts (commit, then ``finish``)."""
    rnd = db.session.scalar(select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.open)
                            .order_by(Round.number.desc()).limit(1))
    return _queue(MessageKind.invitation, rnd, [e for e in experts if not e.is_revoked])


def finish(outcome: Outcome, *, study, actor: str | None = None, manual: bool = False) -> Outcome:
    """Deliver the queued rows and audit the outcome (flushes; the caller commits)."""
    mail.deliver(outcome.rows)
    target = None
    if outcome.round_id is not None:
        rnd = db.session.get(Round, outcome.round_id)
        target = f"round:{rnd.number}" if rnd is not None else None
    action = {MessageKind.reminder: "round.remind", MessageKind.round_open: "round.notify_open",
              MessageKind.invitation: "expert.invitations_sent"}[outcome.kind]
    details = outcome.to_dict() | ({"manual": True} if manual else {})
    if outcome.errors:
        details["errors"] = outcome.errors[:5]
    audit.record(action, study=study, target=target, actor=actor, details=details)
    return outcome


def send_due_reminders(*, now: datetime | None = None) -> list[Outcome]:
    """Every due reminder at once, without commits in between (tests, one-off scripts);
    the scheduler uses ``queue_due_reminder`` and ``finish`` per round instead."""
    now = now or utcnow()
    outcomes = []
    for round_id in due_reminder_rounds(now):
        rnd = db.session.get(Round, round_id)
        outcome = queue_due_reminder(rnd, now=now)
        if outcome is not None:
            outcomes.append(finish(outcome, study=rnd.study, actor="system"))
    return outcomes
