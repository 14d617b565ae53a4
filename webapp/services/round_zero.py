"""Round 0: the optional open round in which experts propose indicators and comments
before anything is rated (as ExpertLens and Opendelphi offer it).

Round 0 is a round kind (``RoundKind.proposals``, numbered 0) on the shared lifecycle
(``round_lifecycle``: create, open, close, deadlines, reminders and invitations work as
for every round). It asks about no indicator: experts add ``Proposal`` rows (new
indicator, reword, merge, drop, or a general comment) and submit. Between round 0 and
round 1 the coordinator turns them into the indicator system (``round_zero_decisions``);
round 1, created as usual, then asks about the accepted indicators.

Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Round,
    RoundKind,
    RoundStatus,
    Study,
    utcnow,
)
from webapp.services import audit
from webapp.services.answers import AnswerError, MAX_COMMENT, add_proposal, writable_response
from webapp.services.round_lifecycle import RoundError, create_round, update_round

#: What the coordinator may set on round 0 (the rest of a round's settings concern rating).
ROUND_ZERO_SETTINGS = ("title", "instructions", "opens_at", "closes_at", "reminder_hours")


def round_zero_of(study: Study) -> Round | None:
    return db.session.scalar(select(Round).where(Round.study_id == study.id, Round.kind == RoundKind.proposals))


def can_have_round_zero(study: Study) -> bool:
    """Round 0 is possible while no round 0 exists and no other round has opened."""
    if round_zero_of(study) is not None:
        return False
    return db.session.scalar(select(Round.id).where(
        Round.study_id == study.id, Round.status != RoundStatus.draft).limit(1)) is None


def create_round_zero(study: Study, *, now: datetime | None = None, **settings) -> Round:
    """A draft round 0 (one per study, and only before round 1 has opened)."""
    unknown = set(settings) - set(ROUND_ZERO_SETTINGS)
    if unknown:
        raise TypeError(f"unknown round 0 settings: {sorted(unknown)}")
    if round_zero_of(study) is not None:
        raise RoundError(_("This study already has a round 0."))
    if not can_have_round_zero(study):
        raise RoundError(_("Round 0 comes before round 1: a round of this study has already opened."))
    return create_round(study, nodes=[], kind=RoundKind.proposals, now=now, allow_proposals=True,
                        allow_comments=True, **settings)


def update_round_zero(rnd: Round, *, now: datetime | None = None, **settings) -> Round:
    """Change a draft round 0's title, welcome text (instructions) and timing; refused once it has opened."""
    unknown = set(settings) - set(ROUND_ZERO_SETTINGS)
    if unknown:
        raise TypeError(f"unknown round 0 settings: {sorted(unknown)}")
    if rnd.kind is not RoundKind.proposals:
        raise RoundError(_("This is not round 0."))
    if rnd.status is not RoundStatus.draft:
        raise RoundError(_("Round 0 has opened: its text and timing can no longer change here. Extend the "
                           "deadline on the round's page instead."))
    return update_round(rnd, now=now, **settings)


# --- the expert's side ---------------------------------------------------------------------

def expert_round_zero(expert: Expert, round_id: int) -> Round | None:
    """Round 0 of the expert's own study, once opened (None: the view answers 404)."""
    return db.session.scalar(select(Round).where(
        Round.id == round_id, Round.study_id == expert.study_id, Round.kind == RoundKind.proposals,
        Round.status != RoundStatus.draft))


def own_proposals(expert: Expert, rnd: Round) -> list[Proposal]:
    """The expert's proposals (general comment excluded), oldest first."""
    return list(db.session.scalars(select(Proposal).where(
        Proposal.round_id == rnd.id, Proposal.expert_id == expert.id, Proposal.kind != ProposalKind.comment)
        .order_by(Proposal.id)))


def own_comment(expert: Expert, rnd: Round) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(
        Proposal.round_id == rnd.id, Proposal.expert_id == expert.id, Proposal.kind == ProposalKind.comment))


def propose(expert: Expert, rnd: Round, *, kind: str, text: str, description: str = "",
            node_id: int | None = None, parent_node_id: int | None = None, rationale: str = "",
            now: datetime | None = None) -> Proposal:
    """One proposal: a new indicator (``text`` its name, under ``parent_node_id``), or a
    reword / merge / drop of indicator ``node_id``. Refused whole (nothing stored)."""
    if rnd.kind is not RoundKind.proposals:
        raise AnswerError(_("This round takes no proposals of this kind."))
    if kind == ProposalKind.comment.value:
        raise AnswerError(_("Unknown kind of proposal."))
    if kind == ProposalKind.add.value and parent_node_id is None:
        raise AnswerError(_("Say where the new indicator belongs."))
    if kind != ProposalKind.add.value and node_id is None:
        raise AnswerError(_("Choose the indicator your proposal is about."))
    if len(description or "") > MAX_COMMENT:
        raise AnswerError(_("Describe the proposal (at most %(n)s characters).", n=MAX_COMMENT))
    proposal = add_proposal(expert, rnd, kind=kind, text=text, node_id=node_id,
                            parent_node_id=parent_node_id, rationale=rationale, now=now)
    proposal.description = (description or "").strip()
    db.session.flush()
    return proposal


def save_comment(expert: Expert, rnd: Round, text: str, *, now: datetime | None = None) -> Proposal | None:
    """The autosave of the expert's general comment (one per expert; empty removes it)."""
    now = now or utcnow()
    if rnd.kind is not RoundKind.proposals:
        raise AnswerError(_("This round takes no proposals of this kind."))
    if not isinstance(text, str):
        raise AnswerError(_("A comment must be text."))
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise AnswerError(_("A comment can have at most %(n)s characters.", n=MAX_COMMENT))
    response = writable_response(expert, rnd, now)
    comment = own_comment(expert, rnd)
    if not text:
        if comment is not None:
            db.session.delete(comment)
    elif comment is None:
        comment = Proposal(round=rnd, expert=expert, kind=ProposalKind.comment, text=text)
        db.session.add(comment)
    else:
        comment.text = text
    db.session.flush()
    if not response.touch_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    return comment if text else None


def withdraw(expert: Expert, rnd: Round, proposal_id: int, *, now: datetime | None = None) -> None:
    """Take back one of the expert's proposals before submitting."""
    now = now or utcnow()
    response = writable_response(expert, rnd, now)
    gone = db.session.execute(delete(Proposal).where(
        Proposal.id == proposal_id, Proposal.round_id == rnd.id, Proposal.expert_id == expert.id,
        Proposal.kind != ProposalKind.comment, Proposal.status == ProposalStatus.pending))
    if gone.rowcount != 1:
        raise AnswerError(_("That proposal is not yours or no longer exists."))
    if not response.touch_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    audit.record("proposal.withdraw", study=rnd.study, expert=expert, target=f"round:{rnd.number}")


def submit(expert: Expert, rnd: Round, *, now: datetime | None = None):
    """Submit round 0: at least one proposal or a general comment."""
    now = now or utcnow()
    response = writable_response(expert, rnd, now)
    if not own_proposals(expert, rnd) and own_comment(expert, rnd) is None:
        raise AnswerError(_("Add at least one proposal or a general comment before submitting."))
    if not response.submit_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    audit.record("response.submit", study=rnd.study, expert=expert, target=f"round:{rnd.number}")
    return response
