"""Round lifecycle shared by every round kind: create, edit, open, close, deadlines.

Deadlines never depend on the scheduler: every write checks the round in the
same statement that performs it (the conditional UPDATEs on the models:
``Round.open_if_draft``, ``Round.close_if_open``, ``Response.touch_if_writable``),
so a round past its closing time accepts nothing even when no scheduler runs,
and two processes closing the same round close it once. Which indicators a
Delphi round asks about is chosen in ``round_scope``. Services flush; the
caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    Study,
    StudyStatus,
    utcnow,
)
from webapp.models.study import InvalidTransition
from webapp.services import audit, frozen_reports, round_settings, wording


class RoundError(ValueError):
    """A refused change to a round; the message is shown to the coordinator."""


ROUND_COLUMNS = ("title", "instructions", "scale_min", "scale_max", "rated_level", "allow_comments",
                 "allow_proposals", "allow_no_opinion", "drop_consensus_items", "opens_at", "closes_at",
                 "reminder_hours")
#: Options kept in ``Round.settings`` (frozen at open) but set with the columns above.
ROUND_OPTIONS = ("prefill_answers",)
ROUND_SETTINGS = ROUND_COLUMNS + ROUND_OPTIONS


def check_settings(settings: dict, now: datetime, *, rule_scale=None) -> None:
    """Refuse a round's questionnaire settings that cannot work (scale, times, rule's scale)."""
    lo, hi = settings.get("scale_min", 1), settings.get("scale_max", 5)
    if not (0 <= lo < hi <= 10):
        raise RoundError(_("The rating scale must run upwards within 0–10 (e.g. 1–5 or 1–9)."))
    opens, closes = settings.get("opens_at"), settings.get("closes_at")
    if closes is not None and closes <= now:
        raise RoundError(_("The closing time must be in the future."))
    if opens is not None and closes is not None and opens >= closes:
        raise RoundError(_("The round must open before it closes."))
    if rule_scale is not None and (float(lo), float(hi)) != tuple(float(v) for v in rule_scale):
        raise RoundError(_("The study's consensus rule is written for the scale %(rule)s; this round uses "
                           "%(scale)s. Choose a rule for that scale in the study's settings first.",
                           rule=f"{rule_scale[0]:g}–{rule_scale[1]:g}", scale=f"{lo}–{hi}"))
    reminder = settings.get("reminder_hours")
    if reminder is not None and not (1 <= reminder <= 720):
        raise RoundError(_("Reminders can be sent between 1 and 720 hours before closing."))


def latest_closed_round(study: Study, before: Round | None = None, kind=RoundKind.delphi) -> Round | None:
    query = select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.closed,
                                Round.kind == kind)
    if before is not None:
        query = query.where(Round.number < before.number)
    return db.session.scalar(query.order_by(Round.number.desc()).limit(1))


def busy_round(study: Study) -> Round | None:
    """The study's draft or open round, if any (one at a time)."""
    return db.session.scalar(select(Round).where(
        Round.study_id == study.id, Round.status.in_([RoundStatus.draft, RoundStatus.open])))


def open_round_of(study: Study) -> Round | None:
    """The study's open round, if any."""
    return db.session.scalar(select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.open))


def round_of(study: Study, round_id: int) -> Round | None:
    """A round of ``study`` or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == study.id))


def create_round(study: Study, *, nodes: list[Node], kind: RoundKind = RoundKind.delphi,
                 now: datetime | None = None, analysis: dict | None = None, **settings) -> Round:
    """A new draft round of ``kind`` asking about ``nodes`` (in that order).

    ``analysis``: the round's own analysis options (see ``round_settings``); the
    study's settings are filled in now and refreshed when the round opens.
    """
    now = now or utcnow()
    analysis = {**(analysis or {}), **{k: settings.pop(k) for k in round_settings.FORM_OPTIONS if k in settings}}
    unknown = set(settings) - set(ROUND_SETTINGS)
    if unknown:
        raise TypeError(f"unknown round settings: {sorted(unknown)}")
    if study.status is StudyStatus.finished:
        raise RoundError(_("The study is finished; it takes no new rounds."))
    busy = busy_round(study)
    if busy is not None:
        raise RoundError(_("Round %(n)s is not closed yet: close it (or delete the draft) first.", n=busy.number))
    check_settings(settings, now, rule_scale=round_settings.study_rule(study).scale
                   if kind is RoundKind.delphi else None)
    if not nodes and kind is not RoundKind.proposals:
        raise RoundError(_("There are no indicators left to ask about."))
    if kind is RoundKind.proposals:
        number = 0  # round 0; the caller (round_zero) checks that no round has opened yet
    else:
        number = (db.session.scalar(select(func.max(Round.number)).where(Round.study_id == study.id)) or 0) + 1
    settings.setdefault("title", "")
    analysis = dict(analysis or {}) | {key: bool(settings.pop(key)) for key in ROUND_OPTIONS if key in settings}
    rnd = Round(study=study, number=number, kind=kind, status=RoundStatus.draft,
                settings=round_settings.initial_settings(study, analysis), **settings)
    rnd.items = [RoundItem(node=node, position=i) for i, node in enumerate(nodes)]
    db.session.add(rnd)
    db.session.flush()
    audit.record("round.create", study=study, target=f"round:{rnd.number}",
                 details={"items": len(nodes), "scale": [rnd.scale_min, rnd.scale_max]})
    return rnd


def update_round(rnd: Round, *, now: datetime | None = None, **settings) -> Round:
    if rnd.status is not RoundStatus.draft:
        raise RoundError(_("Only a draft round can be changed."))
    now = now or utcnow()
    options = {k: settings.pop(k) for k in round_settings.FORM_OPTIONS if k in settings}
    unknown = set(settings) - set(ROUND_SETTINGS)
    if unknown:
        raise TypeError(f"unknown round settings: {sorted(unknown)}")
    merged = {k: getattr(rnd, k) for k in ROUND_COLUMNS} | settings
    check_settings(merged, now, rule_scale=round_settings.study_rule(rnd.study).scale
                   if rnd.kind is RoundKind.delphi else None)
    options = {key: bool(settings.pop(key)) for key in ROUND_OPTIONS if key in settings}
    if options:
        round_settings.with_options(rnd, **options)
    for key, value in settings.items():
        setattr(rnd, key, value)
    if options:
        rnd.settings = {**(rnd.settings or {}), **options}  # a draft's own analysis options
    audit.record("round.update", study=rnd.study, target=f"round:{rnd.number}")
    return rnd


def set_round_items(rnd: Round, nodes: list[Node]) -> None:
    if rnd.status is not RoundStatus.draft:
        raise RoundError(_("Only a draft round can be changed."))
    if not nodes:
        raise RoundError(_("A round needs at least one indicator."))
    if any(n.study_id != rnd.study_id for n in nodes):
        raise RoundError(_("An indicator of another study was given."))
    rnd.items.clear()
    db.session.flush()
    rnd.items.extend(RoundItem(node=node, position=i) for i, node in enumerate(nodes))
    audit.record("round.items", study=rnd.study, target=f"round:{rnd.number}", details={"items": len(nodes)})


def delete_draft_round(rnd: Round) -> None:
    if rnd.status is not RoundStatus.draft:
        raise RoundError(_("Only a draft round can be deleted."))
    audit.record("round.delete", study=rnd.study, target=f"round:{rnd.number}")
    db.session.delete(rnd)


# --- opening and closing ------------------------------------------------------------------

def _refusal_to_open(rnd: Round, now: datetime) -> str | None:
    if rnd.status is not RoundStatus.draft:
        return _("it is not a draft.")
    if not rnd.items and rnd.kind is not RoundKind.proposals:
        return _("it has no indicators.")
    if rnd.closes_at is not None and rnd.closes_at <= now:
        return _("its closing time has passed.")
    if rnd.kind is RoundKind.delphi:
        scale = round_settings.study_rule(rnd.study).scale
        if scale is not None and (float(rnd.scale_min), float(rnd.scale_max)) != tuple(scale):
            return _("the study's consensus rule is written for another rating scale.")
    if not db.session.scalar(select(Expert.id).where(Expert.study_id == rnd.study_id,
                                                     Expert.revoked_at.is_(None)).limit(1)):
        return _("no expert has an active invitation link. Add experts to the panel first.")
    return None


def _start_study(study: Study) -> None:
    if study.status is StudyStatus.draft:
        study.start()


def open_round(rnd: Round, *, now: datetime | None = None, actor: str | None = None) -> None:
    """Open a draft round now, freezing its analysis settings onto it."""
    now = now or utcnow()
    why = _refusal_to_open(rnd, now)
    if why is None and not rnd.open_if_draft(db.session, now, settings=round_settings.settings_to_freeze(rnd)):
        why = _("it is not a draft.")
    if why is not None:
        raise RoundError(_("This round cannot be opened: %(why)s", why=why))
    wording.snapshot(rnd)  # the wording this round asks, kept whatever is reworded later
    _start_study(rnd.study)
    db.session.flush()
    audit.record("round.open", study=rnd.study, target=f"round:{rnd.number}", actor=actor,
                 details={"settings": rnd.settings})


def close_round(rnd: Round, *, now: datetime | None = None, actor: str | None = None,
                only_if_expired: bool = False) -> bool:
    """Close an open round in one conditional statement; True if this call closed it.

    Drafts stay drafts: an expert who did not submit is not counted. Safe to
    race: of several processes, exactly one closes it. Without an explicit
    ``now`` (the demo's history and the deadline sweep give one), ``closed_at``
    is taken once the close holds the round, after the answers in flight.
    """
    stamp_at_lock = now is None
    now = now or utcnow()
    closed = rnd.close_if_open(db.session, now, only_if_expired=only_if_expired, stamp_at_lock=stamp_at_lock)
    if closed:
        audit.record("round.close", study=rnd.study, target=f"round:{rnd.number}", actor=actor,
                     details={"expired": only_if_expired})
        frozen_reports.freeze_round(rnd)  # its answers can no longer change: read them once
    elif not only_if_expired:
        raise RoundError(_("Only an open round can be closed."))
    return closed


def close_if_expired(rnd: Round, *, now: datetime | None = None) -> bool:
    """The lazy deadline check every page that touches a round makes first."""
    now = now or utcnow()
    if rnd.status is not RoundStatus.open or not rnd.is_past_deadline(now):
        return False
    return close_round(rnd, now=now, actor="system", only_if_expired=True)


def close_expired_rounds(*, now: datetime | None = None, study_id: int | None = None) -> list[int]:
    now = now or utcnow()
    query = select(Round).where(Round.status == RoundStatus.open, Round.is_past_deadline(now))
    due = db.session.scalars(query if study_id is None else query.where(Round.study_id == study_id)).all()
    return [r.id for r in due if close_round(r, now=now, actor="system", only_if_expired=True)]


def open_due_rounds(*, now: datetime | None = None, study_id: int | None = None) -> list[int]:
    """Open draft rounds whose opening time has come (the scheduler's job); a round
    nobody could answer (no active expert) stays a draft (the round page says why)."""
    now = now or utcnow()
    query = select(Round).where(
        Round.status == RoundStatus.draft, Round.opens_at.is_not(None), Round.opens_at <= now,
        ~Round.is_past_deadline(now))
    due = db.session.scalars(query if study_id is None else query.where(Round.study_id == study_id)).all()
    opened = []
    for rnd in due:
        if _refusal_to_open(rnd, now) is not None:
            continue
        if rnd.open_if_draft(db.session, now, settings=round_settings.settings_to_freeze(rnd)):
            wording.snapshot(rnd)
            _start_study(rnd.study)
            audit.record("round.open", study=rnd.study, target=f"round:{rnd.number}", actor="system",
                         details={"settings": rnd.settings})
            opened.append(rnd.id)
    return opened


def finish_study(study: Study) -> None:
    if open_round_of(study) is not None:
        raise RoundError(_("Close the open round before finishing the study."))
    try:
        study.finish()
    except InvalidTransition as exc:
        raise RoundError(_("Only a running study can be finished.")) from exc
    audit.record("study.finish", study=study)


# --- the study's list of rounds ------------------------------------------------------------

@dataclass
class RoundSummary:
    round: Round
    items: int
    submitted: int
    drafts: int
    invited: int
    status: RoundStatus  # as experts see it: an open round past its deadline is closed

    @property
    def past_deadline(self) -> bool:
        return self.round.status is RoundStatus.open and self.status is RoundStatus.closed


def round_summaries(study: Study, *, now: datetime | None = None) -> list[RoundSummary]:
    """Each round of the study with its response counts, newest first."""
    now = now or utcnow()
    counts: dict[tuple[int, ResponseStatus], int] = {}
    for round_id, status, n in db.session.execute(
            select(Response.round_id, Response.status, func.count(Response.id))
            .join(Round, Round.id == Response.round_id).where(Round.study_id == study.id)
            .group_by(Response.round_id, Response.status)):
        counts[(round_id, status)] = n
    item_counts = dict(db.session.execute(
        select(RoundItem.round_id, func.count(RoundItem.id)).join(Round, Round.id == RoundItem.round_id)
        .where(Round.study_id == study.id).group_by(RoundItem.round_id)).all())
    invited = len([e for e in study.experts if not e.is_revoked])
    summaries = []
    for rnd in sorted(study.rounds, key=lambda r: r.number, reverse=True):
        status = rnd.status
        if status is RoundStatus.open and rnd.is_past_deadline(now):
            status = RoundStatus.closed
        summaries.append(RoundSummary(
            round=rnd, items=item_counts.get(rnd.id, 0),
            submitted=counts.get((rnd.id, ResponseStatus.submitted), 0),
            drafts=counts.get((rnd.id, ResponseStatus.draft), 0), invited=invited, status=status))
    return summaries
