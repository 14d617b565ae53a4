"""Delphi round lifecycle and answers.

Deadlines never depend on the scheduler: every write checks the round in the
same statement that performs it (a conditional UPDATE), so a round past its
closing time accepts nothing even when no scheduler runs, and two processes
closing the same round close it once. Services flush; the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update

from webapp.extensions import db
from webapp.models import (
    Expert,
    ItemDecision,
    Node,
    NodeStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Rating,
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
from webapp.services import audit, wording

MAX_COMMENT = 4000


class RoundError(ValueError):
    """A refused change to a round; the message is shown to the coordinator."""


class AnswerError(ValueError):
    """A refused answer; the message is shown to the expert. Nothing was stored."""


# --- the indicator tree in questionnaire order ---------------------------------------

def tree_order(study: Study) -> list[Node]:
    """Every node of the study, depth first, siblings by position (the root first)."""
    nodes = db.session.scalars(select(Node).where(Node.study_id == study.id)).all()
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n.position, n.code))
    ordered: list[Node] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return ordered


def node_depths(study: Study) -> dict[int, int]:
    depths: dict[int, int] = {}
    for node in tree_order(study):  # parents come before children
        depths[node.id] = 0 if node.parent_id is None else depths[node.parent_id] + 1
    return depths


def questionnaire_order(study: Study) -> list[Node]:
    """Level by level, as Chinese Delphi questionnaires are laid out: the first-level
    indicators, then the second-level ones grouped under their parents, and so on."""
    depths = node_depths(study)
    ordered = tree_order(study)
    rank = {node.id: i for i, node in enumerate(ordered)}
    return sorted(ordered, key=lambda n: (depths[n.id], rank[n.id]))


def rateable_nodes(study: Study, rated_level: int | None = None) -> list[Node]:
    """Active indicators below the goal, optionally of one level only (1 = first-level)."""
    depths = node_depths(study)
    dropped = _dropped_ids(study)
    return [n for n in questionnaire_order(study)
            if n.parent_id is not None and n.id not in dropped
            and (rated_level is None or depths[n.id] == rated_level)]


def _dropped_ids(study: Study) -> set[int]:
    """Dropped nodes and everything below them."""
    dropped: set[int] = set()
    for node in tree_order(study):
        if node.status is NodeStatus.dropped or node.parent_id in dropped:
            dropped.add(node.id)
    return dropped


# --- creating and editing rounds -------------------------------------------------------

ROUND_SETTINGS = ("title", "instructions", "scale_min", "scale_max", "rated_level", "allow_comments",
                  "allow_proposals", "allow_no_opinion", "drop_consensus_items", "opens_at", "closes_at",
                  "reminder_hours", "prefill_answers")


def _check_settings(settings: dict, now: datetime) -> None:
    lo, hi = settings.get("scale_min", 1), settings.get("scale_max", 5)
    if not (0 <= lo < hi <= 10):
        raise RoundError(_("The rating scale must run upwards within 0–10 (e.g. 1–5 or 1–9)."))
    opens, closes = settings.get("opens_at"), settings.get("closes_at")
    if closes is not None and closes <= now:
        raise RoundError(_("The closing time must be in the future."))
    if opens is not None and closes is not None and opens >= closes:
        raise RoundError(_("The round must open before it closes."))
    rule_scale = settings.get("rule_scale")
    if rule_scale is not None and (float(lo), float(hi)) != tuple(float(v) for v in rule_scale):
        raise RoundError(_("The study's consensus rule is written for the scale %(rule)s; this round uses "
                           "%(scale)s. Choose a rule for that scale in the study's settings first.",
                           rule=f"{rule_scale[0]:g}–{rule_scale[1]:g}", scale=f"{lo}–{hi}"))
    reminder = settings.get("reminder_hours")
    if reminder is not None and not (1 <= reminder <= 720):
        raise RoundError(_("Reminders can be sent between 1 and 720 hours before closing."))


def _rule_scale(study: Study):
    from webapp.services.studies import consensus_rule_of

    return consensus_rule_of(study).scale


def latest_closed_round(study: Study, before: Round | None = None, kind=RoundKind.delphi) -> Round | None:
    query = select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.closed,
                                Round.kind == kind)
    if before is not None:
        query = query.where(Round.number < before.number)
    return db.session.scalar(query.order_by(Round.number.desc()).limit(1))


def create_round(study: Study, *, nodes: list[Node] | None = None, now: datetime | None = None,
                 **settings) -> Round:
    """A new draft Delphi round. Without ``nodes`` it asks about every rateable
    indicator in round 1, and from round 2 about what the last closed round
    leaves (see :func:`next_round_nodes`)."""
    now = now or utcnow()
    unknown = set(settings) - set(ROUND_SETTINGS)
    if unknown:
        raise TypeError(f"unknown round settings: {sorted(unknown)}")
    if study.status is StudyStatus.finished:
        raise RoundError(_("The study is finished; it takes no new rounds."))
    busy = db.session.scalar(select(Round).where(
        Round.study_id == study.id, Round.status.in_([RoundStatus.draft, RoundStatus.open])))
    if busy is not None:
        raise RoundError(_("Round %(n)s is not closed yet: close it (or delete the draft) first.", n=busy.number))
    _check_settings(settings | {"rule_scale": _rule_scale(study)}, now)
    previous = latest_closed_round(study)
    if nodes is None:
        nodes = (next_round_nodes(study, previous, drop_consensus=settings.get("drop_consensus_items", False),
                                  rated_level=settings.get("rated_level"))
                 if previous is not None else rateable_nodes(study, settings.get("rated_level")))
    if not nodes:
        raise RoundError(_("There are no indicators left to ask about."))
    number = (db.session.scalar(select(func.max(Round.number)).where(Round.study_id == study.id)) or 0) + 1
    settings.setdefault("title", "")
    rnd = Round(study=study, number=number, kind=RoundKind.delphi, status=RoundStatus.draft, **settings)
    rnd.items = [RoundItem(node=node, position=i) for i, node in enumerate(nodes)]
    db.session.add(rnd)
    db.session.flush()
    audit.record("round.create", study=study, target=f"round:{rnd.number}",
                 details={"items": len(nodes), "scale": [rnd.scale_min, rnd.scale_max]})
    return rnd


def next_round_nodes(study: Study, previous: Round, *, drop_consensus: bool = False,
                     rated_level: int | None = None) -> list[Node]:
    """What round k+1 asks: round k's items that were not dropped (and, when
    ``drop_consensus``, that did not reach consensus), plus the indicators created
    from accepted proposals and never asked yet, in questionnaire order. Indicators
    no round has asked (e.g. the levels below a first-level round) are not new: the
    coordinator adds them to the draft if wanted."""
    from webapp.services.delphi_report import round_report

    dropped = _dropped_ids(study)
    reached: set[int] = set()
    if drop_consensus:
        report = round_report(previous)
        reached = {item.node.id for item in report.items if item.consensus}
    carried = {item.node_id for item in previous.items
               if item.decision is not ItemDecision.drop and item.node_id not in dropped
               and item.node_id not in reached}
    ever_asked = set(db.session.scalars(
        select(RoundItem.node_id).join(Round).where(Round.study_id == study.id)))
    proposed = set(db.session.scalars(
        select(Proposal.created_node_id).join(Round, Proposal.round_id == Round.id)
        .where(Round.study_id == study.id, Proposal.status == ProposalStatus.accepted,
               Proposal.created_node_id.is_not(None))))
    new = {n.id for n in rateable_nodes(study, rated_level) if n.id in proposed and n.id not in ever_asked}
    wanted = carried | new
    return [n for n in questionnaire_order(study) if n.id in wanted]


def update_round(rnd: Round, *, now: datetime | None = None, **settings) -> Round:
    if rnd.status is not RoundStatus.draft:
        raise RoundError(_("Only a draft round can be changed."))
    now = now or utcnow()
    merged = {k: getattr(rnd, k) for k in ROUND_SETTINGS} | settings
    _check_settings(merged | {"rule_scale": _rule_scale(rnd.study)}, now)
    for key, value in settings.items():
        if key not in ROUND_SETTINGS:
            raise TypeError(f"unknown round setting {key}")
        setattr(rnd, key, value)
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

def open_round(rnd: Round, *, now: datetime | None = None) -> None:
    if not db.session.scalar(select(Expert.id).where(Expert.study_id == rnd.study_id,
                                                     Expert.revoked_at.is_(None)).limit(1)):
        raise RoundError(_("This round cannot be opened: no expert has an active invitation link. "
                           "Add experts to the panel first."))
    try:
        rnd.open(now)
    except InvalidTransition as exc:
        raise RoundError(_("This round cannot be opened: %(why)s", why=_transition_reason(exc))) from exc
    wording.snapshot(rnd)  # the wording this round asks, kept whatever is reworded later
    if rnd.study.status is StudyStatus.draft:
        rnd.study.start()
    db.session.flush()
    audit.record("round.open", study=rnd.study, target=f"round:{rnd.number}")


def _transition_reason(exc: InvalidTransition) -> str:
    reasons = {
        "only a draft round can open": _("it is not a draft."),
        "a round needs at least one item to open": _("it has no indicators."),
        "the closing time has already passed": _("its closing time has passed."),
    }
    return reasons.get(str(exc), str(exc))


def close_round(rnd: Round, *, now: datetime | None = None, actor: str | None = None,
                only_if_expired: bool = False) -> bool:
    """Close an open round in one conditional statement; True if this call closed it.

    Drafts stay drafts: an expert who did not submit is not counted. Safe to
    race: of several processes, exactly one gets ``rowcount == 1``.
    """
    now = now or utcnow()
    condition = and_(Round.id == rnd.id, Round.status == RoundStatus.open)
    if only_if_expired:
        condition = and_(condition, Round.closes_at.is_not(None), Round.closes_at <= now)
    result = db.session.execute(
        update(Round).where(condition).values(status=RoundStatus.closed, closed_at=now)
        .execution_options(synchronize_session=False))
    closed = result.rowcount == 1
    if closed:
        db.session.refresh(rnd)
        audit.record("round.close", study=rnd.study, target=f"round:{rnd.number}", actor=actor,
                     details={"expired": only_if_expired})
    elif not only_if_expired:
        db.session.refresh(rnd)
        raise RoundError(_("Only an open round can be closed."))
    return closed


def close_if_expired(rnd: Round, *, now: datetime | None = None) -> bool:
    """The lazy deadline check every page that touches a round makes first."""
    if rnd.status is not RoundStatus.open or not rnd.is_past_deadline(now):
        return False
    return close_round(rnd, now=now, actor="system", only_if_expired=True)


def close_expired_rounds(*, now: datetime | None = None, study_id: int | None = None) -> list[int]:
    now = now or utcnow()
    query = select(Round).where(Round.status == RoundStatus.open, Round.closes_at.is_not(None),
                                Round.closes_at <= now)
    due = db.session.scalars(query if study_id is None else query.where(Round.study_id == study_id)).all()
    return [r.id for r in due if close_round(r, now=now, actor="system", only_if_expired=True)]


def open_due_rounds(*, now: datetime | None = None, study_id: int | None = None) -> list[int]:
    """Open draft rounds whose opening time has come (the scheduler's job)."""
    now = now or utcnow()
    query = select(Round).where(
        Round.status == RoundStatus.draft, Round.opens_at.is_not(None), Round.opens_at <= now,
        or_(Round.closes_at.is_(None), Round.closes_at > now))
    due = db.session.scalars(query if study_id is None else query.where(Round.study_id == study_id)).all()
    opened = []
    for rnd in due:
        if not rnd.items or not db.session.scalar(select(Expert.id).where(
                Expert.study_id == rnd.study_id, Expert.revoked_at.is_(None)).limit(1)):
            continue  # nobody could answer: it stays a draft (the round page says why)
        result = db.session.execute(
            update(Round).where(Round.id == rnd.id, Round.status == RoundStatus.draft)
            .values(status=RoundStatus.open, opened_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            db.session.refresh(rnd)
            wording.snapshot(rnd)
            if rnd.study.status is StudyStatus.draft:
                rnd.study.start()
            audit.record("round.open", study=rnd.study, target=f"round:{rnd.number}", actor="system")
            opened.append(rnd.id)
    return opened


# --- answers --------------------------------------------------------------------------------

def expert_round(expert: Expert, round_id: int) -> Round | None:
    """A round of the expert's own study, or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == expert.study_id,
                                                 Round.status != RoundStatus.draft))


def response_of(expert: Expert, rnd: Round) -> Response | None:
    return db.session.scalar(select(Response).where(Response.expert_id == expert.id,
                                                    Response.round_id == rnd.id))


def _writable_response(expert: Expert, rnd: Round, now: datetime) -> Response:
    if rnd.study_id != expert.study_id:
        raise AnswerError(_("This questionnaire belongs to another study."))
    close_if_expired(rnd, now=now)
    if not rnd.accepts_answers(now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    response = response_of(expert, rnd)
    if response is None:
        response = Response(expert=expert, round=rnd, status=ResponseStatus.draft)
        db.session.add(response)
        db.session.flush()
    elif response.is_submitted:
        raise AnswerError(_("You have already submitted this questionnaire; it can no longer be changed."))
    return response


def _guard_still_open(response: Response, rnd: Round, now: datetime, **values) -> None:
    """Touch the response only if it is a draft and the round still takes answers,
    in one statement: the deadline holds even against a concurrent close."""
    round_open = exists().where(Round.id == rnd.id, Round.status == RoundStatus.open,
                                or_(Round.closes_at.is_(None), Round.closes_at > now))
    result = db.session.execute(
        update(Response).where(Response.id == response.id, Response.status == ResponseStatus.draft, round_open)
        .values(updated_at=now, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))


def save_answers(expert: Expert, rnd: Round, answers: Iterable[dict], *, now: datetime | None = None) -> Response:
    """Store (autosave) some answers of an expert's draft.

    Each answer is ``{"node_id", "value", "no_opinion", "comment", "reason"}``;
    absent keys keep what was stored. The whole batch is checked before
    anything is written, and refused whole.
    """
    now = now or utcnow()
    answers = list(answers)
    item_ids = {item.node_id for item in rnd.items}
    for answer in answers:
        _check_answer(rnd, answer, item_ids)
    response = _writable_response(expert, rnd, now)
    existing = {r.node_id: r for r in response.ratings}
    for answer in answers:
        node_id = int(answer["node_id"])
        rating = existing.get(node_id)
        if rating is None:
            rating = Rating(response=response, node_id=node_id)
            db.session.add(rating)
            existing[node_id] = rating
        if "no_opinion" in answer or "value" in answer:
            no_opinion = bool(answer.get("no_opinion", False))
            rating.no_opinion = no_opinion
            rating.value = None if no_opinion else answer.get("value", rating.value)
        if "comment" in answer:
            rating.comment = (answer["comment"] or "").strip()
        if "reason" in answer:
            rating.reason = (answer["reason"] or "").strip()
        rating.updated_at = now
    db.session.flush()
    _guard_still_open(response, rnd, now)
    return response


def _check_answer(rnd: Round, answer: dict, item_ids: set[int]) -> None:
    try:
        node_id = int(answer["node_id"])
    except (KeyError, TypeError, ValueError):
        raise AnswerError(_("An answer names no indicator.")) from None
    if node_id not in item_ids:
        raise AnswerError(_("An answer names an indicator that is not in this questionnaire."))
    value = answer.get("value")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(_("A rating must be a whole number."))
        if not rnd.scale_min <= value <= rnd.scale_max:
            raise AnswerError(_("A rating must be between %(lo)s and %(hi)s.", lo=rnd.scale_min, hi=rnd.scale_max))
    if answer.get("no_opinion"):
        if not rnd.allow_no_opinion:
            raise AnswerError(_("This round has no “no opinion” answer."))
        if value is not None:
            raise AnswerError(_("An answer cannot be both a rating and “no opinion”."))
    for key in ("comment", "reason"):
        text = answer.get(key)
        if text is None:
            continue
        if not isinstance(text, str):
            raise AnswerError(_("A comment must be text."))
        if len(text) > MAX_COMMENT:
            raise AnswerError(_("A comment can have at most %(n)s characters.", n=MAX_COMMENT))
        if key == "comment" and text.strip() and not rnd.allow_comments:
            raise AnswerError(_("This round takes no comments."))


def missing_items(response: Response | None, rnd: Round) -> list[RoundItem]:
    answered = set()
    if response is not None:
        answered = {r.node_id for r in response.ratings if r.value is not None or r.no_opinion}
    return [item for item in rnd.items if item.node_id not in answered]


def submit_response(expert: Expert, rnd: Round, *, now: datetime | None = None) -> Response:
    """Submit the draft: every indicator needs a rating (or “no opinion”)."""
    now = now or utcnow()
    response = _writable_response(expert, rnd, now)
    missing = missing_items(response, rnd)
    if missing:
        codes = ", ".join(item.node.code for item in missing[:8])
        raise AnswerError(_("%(n)s indicator(s) still need an answer: %(codes)s.", n=len(missing), codes=codes))
    _guard_still_open(response, rnd, now, status=ResponseStatus.submitted, submitted_at=now)
    db.session.refresh(response)
    audit.record("response.submit", study=rnd.study, expert=expert, target=f"round:{rnd.number}")
    return response


def add_proposal(expert: Expert, rnd: Round, *, kind: str, text: str, node_id: int | None = None,
                 parent_node_id: int | None = None, rationale: str = "", now: datetime | None = None) -> Proposal:
    now = now or utcnow()
    if not rnd.allow_proposals:
        raise AnswerError(_("This round takes no proposals."))
    try:
        kind_value = ProposalKind(kind)
    except ValueError:
        raise AnswerError(_("Unknown kind of proposal.")) from None
    text = (text or "").strip()
    if not text or len(text) > MAX_COMMENT or len(rationale or "") > MAX_COMMENT:
        raise AnswerError(_("Describe the proposal (at most %(n)s characters).", n=MAX_COMMENT))
    study_nodes = set(db.session.scalars(select(Node.id).where(Node.study_id == rnd.study_id)))
    for ref in (node_id, parent_node_id):
        if ref is not None and ref not in study_nodes:
            raise AnswerError(_("The proposal refers to an unknown indicator."))
    response = _writable_response(expert, rnd, now)
    proposal = Proposal(round=rnd, expert=expert, kind=kind_value, text=text, rationale=(rationale or "").strip(),
                        node_id=node_id, parent_node_id=parent_node_id)
    db.session.add(proposal)
    db.session.flush()
    _guard_still_open(response, rnd, now)
    audit.record("proposal.add", study=rnd.study, expert=expert, target=f"round:{rnd.number}",
                 details={"kind": kind_value.value})
    return proposal


# --- between rounds -------------------------------------------------------------------------------

def set_item_decision(item: RoundItem, decision: str | None, note: str = "") -> None:
    if item.round.status is not RoundStatus.closed:
        raise RoundError(_("Decide about indicators once the round is closed."))
    item.decision = ItemDecision(decision) if decision else None
    item.decision_note = (note or "").strip()
    audit.record("round.item_decision", study=item.round.study, target=f"round:{item.round.number}",
                 details={"node": item.node.code, "decision": decision})


def accept_proposal(proposal: Proposal, *, code: str, name_zh: str, name_en: str, parent: Node,
                    description_zh: str = "", description_en: str = "") -> Node:
    """Add a proposed indicator to the hierarchy; the next round asks about it."""
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    if parent.study_id != proposal.round.study_id:
        raise RoundError(_("An indicator of another study was given."))
    code = code.strip()
    if not code or db.session.scalar(select(Node.id).where(Node.study_id == parent.study_id, Node.code == code)):
        raise RoundError(_("The code %(code)s is empty or already used.", code=code))
    position = (db.session.scalar(select(func.max(Node.position)).where(Node.parent_id == parent.id)) or 0) + 1
    node = Node(study_id=parent.study_id, parent=parent, code=code, name_zh=name_zh.strip(),
                name_en=name_en.strip(), description_zh=description_zh, description_en=description_en,
                position=position)
    db.session.add(node)
    db.session.flush()
    proposal.status = ProposalStatus.accepted
    proposal.created_node_id = node.id
    audit.record("proposal.accept", study=parent.study, target=f"node:{code}")
    return node


def reject_proposal(proposal: Proposal) -> None:
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    proposal.status = ProposalStatus.rejected
    audit.record("proposal.reject", study=proposal.round.study, target=f"proposal:{proposal.id}")


def finish_study(study: Study) -> None:
    if any(r.status is RoundStatus.open for r in study.rounds):
        raise RoundError(_("Close the open round before finishing the study."))
    try:
        study.finish()
    except InvalidTransition as exc:
        raise RoundError(_("Only a running study can be finished.")) from exc
    audit.record("study.finish", study=study)


# --- round management pages (appended for the coordinator's round pages) ----------------
# Which indicators a round asks about is chosen as a "scope": what the previous
# round leaves ("carry", round 2 on), every indicator below the goal ("all"), or
# one level ("1", "2", "3"). The scope itself is not stored: it is read back
# from the round's level and items (see round_scope).

from dataclasses import dataclass  # noqa: E402  (appended section)

ROUND_SCOPES = ("carry", "all", "1", "2", "3")


def _consensus_node_ids(previous: Round) -> set[int]:
    from webapp.services.delphi_report import round_report

    try:
        report = round_report(previous)
    except ValueError as exc:  # e.g. a consensus rule written for another scale
        raise RoundError(_("The consensus results of round %(n)s cannot be computed: %(why)s",
                           n=previous.number, why=str(exc))) from exc
    return {item.node.id for item in report.items if item.consensus}


def scope_nodes(study: Study, scope: str, *, drop_consensus: bool = False) -> tuple[list[Node], int | None]:
    """The indicators a scope asks about, in questionnaire order, and the level it stores."""
    if scope not in ROUND_SCOPES:
        raise RoundError(_("Choose which indicators the round asks about."))
    previous = latest_closed_round(study)
    if scope == "carry":
        if previous is None:
            return rateable_nodes(study), None
        try:
            return (next_round_nodes(study, previous, drop_consensus=drop_consensus,
                                     rated_level=previous.rated_level), previous.rated_level)
        except ValueError as exc:
            if isinstance(exc, RoundError):
                raise
            raise RoundError(_("The consensus results of round %(n)s cannot be computed: %(why)s",
                               n=previous.number, why=str(exc))) from exc
    level = None if scope == "all" else int(scope)
    nodes = rateable_nodes(study, level)
    if drop_consensus and previous is not None:
        reached = _consensus_node_ids(previous)
        nodes = [n for n in nodes if n.id not in reached]
    return nodes, level


def round_scope(rnd: Round) -> str:
    """The scope a draft round was made with, read back from its level and items."""
    previous = latest_closed_round(rnd.study, before=rnd)
    if previous is not None:
        items = {item.node_id for item in rnd.items}
        try:
            carried = {n.id for n in next_round_nodes(rnd.study, previous, drop_consensus=rnd.drop_consensus_items,
                                                      rated_level=previous.rated_level)}
        except ValueError:
            carried = set()
        if items and items <= carried and rnd.rated_level == previous.rated_level:
            return "carry"
    return "all" if rnd.rated_level is None else str(rnd.rated_level)


def create_round_in_scope(study: Study, scope: str, *, now: datetime | None = None, **settings) -> Round:
    """A new draft Delphi round asking about the indicators of ``scope``."""
    settings.pop("rated_level", None)
    if study.status is StudyStatus.finished:
        raise RoundError(_("The study is finished; it takes no new rounds."))
    busy = db.session.scalar(select(Round).where(
        Round.study_id == study.id, Round.status.in_([RoundStatus.draft, RoundStatus.open])))
    if busy is not None:
        raise RoundError(_("Round %(n)s is not closed yet: close it (or delete the draft) first.", n=busy.number))
    _check_settings(settings, now or utcnow())
    nodes, level = scope_nodes(study, scope, drop_consensus=bool(settings.get("drop_consensus_items")))
    return create_round(study, nodes=nodes, now=now, rated_level=level, **settings)


def update_round_in_scope(rnd: Round, scope: str, *, now: datetime | None = None, **settings) -> Round:
    """Change a draft's settings; a changed scope (or consensus setting) picks its items anew."""
    settings.pop("rated_level", None)
    old_scope, old_drop = round_scope(rnd), rnd.drop_consensus_items
    update_round(rnd, now=now, **settings)
    if scope != old_scope or rnd.drop_consensus_items != old_drop:
        nodes, level = scope_nodes(rnd.study, scope, drop_consensus=rnd.drop_consensus_items)
        if not nodes:
            raise RoundError(_("There are no indicators left to ask about."))
        update_round(rnd, now=now, rated_level=level)
        set_round_items(rnd, nodes)
    return rnd


def candidate_nodes(rnd: Round) -> list[Node]:
    """What the coordinator may tick for a draft: every active indicator of the round's level."""
    candidates = rateable_nodes(rnd.study, rnd.rated_level)
    known = {n.id for n in candidates}
    extra = {item.node_id for item in rnd.items if item.node_id not in known}
    if extra:
        candidates = [n for n in questionnaire_order(rnd.study) if n.id in known | extra]
    return candidates


def set_round_items_by_ids(rnd: Round, node_ids: Iterable[int]) -> list[Node]:
    """Keep exactly the ticked indicators (ids from :func:`candidate_nodes`), in questionnaire order."""
    wanted = set(node_ids)
    candidates = candidate_nodes(rnd)
    if wanted - {n.id for n in candidates}:
        raise RoundError(_("An indicator of another study was given."))
    nodes = [n for n in candidates if n.id in wanted]
    set_round_items(rnd, nodes)
    return nodes


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


def round_of(study: Study, round_id: int) -> Round | None:
    """A round of ``study`` or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == study.id))


def busy_round(study: Study) -> Round | None:
    """The study's draft or open round, if any (one at a time)."""
    return db.session.scalar(select(Round).where(
        Round.study_id == study.id, Round.status.in_([RoundStatus.draft, RoundStatus.open])))


def set_item_decisions(rnd: Round, decisions: dict[int, tuple[str | None, str]]) -> int:
    """Keep / drop / reword for several items of a closed round at once; returns how many changed."""
    if rnd.status is not RoundStatus.closed:
        raise RoundError(_("Decide about indicators once the round is closed."))
    items = {item.id: item for item in rnd.items}
    if set(decisions) - set(items):
        raise RoundError(_("An indicator of another round was given."))
    changed = 0
    for item_id, (decision, note) in decisions.items():
        item = items[item_id]
        if decision and decision not in {d.value for d in ItemDecision}:
            raise RoundError(_("Unknown decision."))
        current = item.decision.value if item.decision else None
        if current == (decision or None) and (item.decision_note or "") == (note or "").strip():
            continue
        set_item_decision(item, decision, note)
        changed += 1
    db.session.flush()
    return changed


def proposal_of(rnd: Round, proposal_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id, Proposal.round_id == rnd.id))


def accept_change_proposal(proposal: Proposal) -> None:
    """Accept a proposal to drop, reword or merge an indicator.

    Drop and reword become the decision on that indicator in this round (the
    note keeps the expert's text); a merge is recorded as accepted, and the
    coordinator merges the indicators in the indicator system.
    """
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    if proposal.kind is ProposalKind.add:
        raise RoundError(_("A new indicator needs a code, a name and a place in the hierarchy."))
    rnd = proposal.round
    if proposal.kind in (ProposalKind.drop, ProposalKind.reword) and proposal.node_id is not None:
        item = next((i for i in rnd.items if i.node_id == proposal.node_id), None)
        if item is not None:
            set_item_decision(item, proposal.kind.value, proposal.text)
    proposal.status = ProposalStatus.accepted
    db.session.flush()
    audit.record("proposal.accept", study=rnd.study, target=f"proposal:{proposal.id}",
                 details={"kind": proposal.kind.value})


def suggest_code(parent: Node) -> str:
    """A free code for a new child of ``parent``: A1.5 after A1.1–A1.4, E after A–D."""
    import re

    taken = set(db.session.scalars(select(Node.code).where(Node.study_id == parent.study_id)))
    children = [c.code for c in parent.children]
    numbered = [re.fullmatch(re.escape(parent.code) + r"([.\-_]?)(\d+)", c) for c in children]
    candidate = None
    if children and all(numbered):
        sep = numbered[-1].group(1)
        n = max(int(m.group(2)) for m in numbered) + 1
        while f"{parent.code}{sep}{n}" in taken:
            n += 1
        candidate = f"{parent.code}{sep}{n}"
    elif children and all(len(c) == 1 and c.isalpha() and c.isupper() for c in children):
        letter = max(children)
        while letter < "Z":
            letter = chr(ord(letter) + 1)
            if letter not in taken:
                candidate = letter
                break
    if candidate is None:
        base = parent.code if parent.parent_id is not None else "N"
        n = len(children) + 1
        while f"{base}.{n}" in taken:
            n += 1
        candidate = f"{base}.{n}"
    return candidate


def set_stopping_rule(study: Study, *, max_rounds: int, stability_alpha: float) -> None:
    """The round limit and the level of the between-round stability test."""
    if not (1 <= max_rounds <= 20):
        raise RoundError(_("The round limit must be between 1 and 20."))
    if not (0 < stability_alpha < 1):
        raise RoundError(_("The stability level α must lie between 0 and 1 (e.g. 0.05)."))
    study.max_rounds = int(max_rounds)
    study.stability_alpha = float(stability_alpha)
    db.session.flush()
    audit.record("study.stopping_rule", study=study,
                 details={"max_rounds": study.max_rounds, "stability_alpha": study.stability_alpha})


NEXT_ROUND_SETTINGS = ("instructions", "scale_min", "scale_max", "rated_level", "allow_comments",
                       "allow_proposals", "allow_no_opinion", "drop_consensus_items", "reminder_hours",
                       "prefill_answers")


def create_next_round(previous: Round, *, now: datetime | None = None) -> Round:
    """A draft of the next round with the previous round's settings, asking what it leaves."""
    if previous.status is not RoundStatus.closed:
        raise RoundError(_("Close the round before preparing the next one."))
    later = db.session.scalar(select(Round.number).where(Round.study_id == previous.study_id,
                                                         Round.number > previous.number).limit(1))
    if later is not None:
        raise RoundError(_("Round %(n)s already follows this round.", n=later))
    settings = {key: getattr(previous, key) for key in NEXT_ROUND_SETTINGS}
    drop = bool(settings.pop("drop_consensus_items"))
    level = settings.pop("rated_level")
    if drop:
        _consensus_node_ids(previous)  # refuse with a clear message if it cannot be computed
    nodes = next_round_nodes(previous.study, previous, drop_consensus=drop, rated_level=level)
    return create_round(previous.study, nodes=nodes, now=now, rated_level=level,
                        drop_consensus_items=drop, **settings)


def parent_options(rnd: Round) -> list[tuple[Node, int]]:
    """Where an accepted new indicator may go: (node, depth) in tree order.

    For a round of one level only, the parents one level up, so that the next
    round (same level) asks about the new indicator.
    """
    depths = node_depths(rnd.study)
    dropped = _dropped_ids(rnd.study)
    options = [(n, depths[n.id]) for n in tree_order(rnd.study) if n.id not in dropped]
    if rnd.rated_level is not None:
        options = [(n, d) for n, d in options if d == rnd.rated_level - 1]
    return options
