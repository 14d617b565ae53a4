"""What the expert's pages read, and the one write the questionnaire form makes.

Everything here goes through the answer and round services (``answers``, ``round_lifecycle``)
and the feedback of ``webapp.services.feedback``; it adds no rule of its
own about what an answer may be. Services flush; the caller commits.

Anonymity: nothing returned here for the expert's pages carries another
expert's identity — only the expert's own response and proposals, and the
group's anonymous feedback.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    NodeStatus,
    Proposal,
    Rating,
    Response,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    StudyStatus,
    utcnow,
)
from webapp.services import ahp_blocks, round_lifecycle, round_settings, tree
from webapp.services.round_data import previous_delphi_round
from webapp.services.wording import latest_earlier_round
from webapp.services.answers import (AnswerError, add_proposal, changed_answers, expert_round, missing_items,
                                     response_of, save_answers, submit_response)


# --- reading ---------------------------------------------------------------------------

def visible_rounds(expert: Expert) -> list[Round]:
    """The rounds (round 0, Delphi and AHP) of the expert's study that are not drafts, newest first."""
    return list(db.session.scalars(
        select(Round).where(Round.study_id == expert.study_id,
                            Round.kind.in_([RoundKind.delphi, RoundKind.ahp, RoundKind.proposals]),
                            Round.status != RoundStatus.draft)
        .order_by(Round.number.desc())))


def questionnaire_round(expert: Expert, round_id: int, *, now: datetime | None = None) -> Round | None:
    """A Delphi round of the expert's own study (None: the view answers 404).

    Makes the lazy deadline check first, so a round past its closing time
    shows as closed even when no scheduler runs (the caller commits)."""
    rnd = expert_round(expert, round_id)
    if rnd is None or rnd.kind is not RoundKind.delphi:
        return None
    round_lifecycle.close_if_expired(rnd, now=now)
    return rnd


@dataclass
class Progress:
    answered: int
    total: int
    submitted: bool
    started: bool

    @property
    def missing(self) -> int:
        return self.total - self.answered


def progress(response: Response | None, rnd: Round) -> Progress:
    if rnd.kind is RoundKind.ahp:  # counted in comparisons: pairs of the round's blocks
        blocks = ahp_blocks.options_of(rnd).get("blocks") or []
        total = sum(len(b["children"]) * (len(b["children"]) - 1) // 2 for b in blocks)
        given = len(response.judgments) if response is not None else 0
        return Progress(answered=min(given, total), total=total,
                        submitted=bool(response is not None and response.is_submitted), started=given > 0)
    if rnd.kind is RoundKind.proposals:  # round 0: counted in proposals and comments made
        made = len(db.session.scalars(select(Proposal.id).where(
            Proposal.round_id == rnd.id, Proposal.expert_id == response.expert_id)).all()) if response else 0
        return Progress(answered=made, total=made, submitted=bool(response is not None and response.is_submitted),
                        started=made > 0)
    total, answered, started = _delphi_counts(response, rnd)
    return Progress(answered=answered, total=total,
                    submitted=bool(response is not None and response.is_submitted), started=started)


def _delphi_counts(response: Response | None, rnd: Round) -> tuple[int, int, bool]:
    """(items, items answered — a rating or "no opinion" —, any row stored at all) in one statement,
    loading neither the round's items nor the response's ratings (``answers.missing_items``'s rule)."""
    response_id = response.id if response is not None else None
    answered = and_(Rating.response_id == response_id, Rating.node_id == RoundItem.node_id,
                    or_(Rating.value.is_not(None), Rating.no_opinion))
    any_row = select(Rating.id).where(Rating.response_id == response_id).exists()
    total, done, started = db.session.execute(
        select(func.count(RoundItem.id), func.count(Rating.id), any_row)
        .select_from(RoundItem).outerjoin(Rating, answered).where(RoundItem.round_id == rnd.id)).one()
    return total, done, bool(started) and response is not None


@dataclass
class PastRound:
    round: Round
    response: Response
    progress: Progress


@dataclass
class Welcome:
    current: Round | None            # the open round, if any
    response: Response | None        # the expert's response to it
    progress: Progress | None
    last_closed: Round | None        # the latest closed round (when none is open)
    last_closed_submitted: bool
    past: list[PastRound] = field(default_factory=list)
    ended: bool = False              # finished, or the round limit reached: no invitation to promise
    closed_now: bool = False         # a round past its deadline was closed here: the caller commits


def welcome(expert: Expert, *, now: datetime | None = None) -> Welcome:
    """The welcome page's state. Closes expired rounds lazily (the caller commits)."""
    now = now or utcnow()
    all_rounds = visible_rounds(expert)
    closed_now = False
    for rnd in all_rounds:
        closed_now = round_lifecycle.close_if_expired(rnd, now=now) or closed_now
    current = next((r for r in all_rounds if r.status is RoundStatus.open), None)
    response = response_of(expert, current) if current is not None else None
    closed = [r for r in all_rounds if r.status is RoundStatus.closed]
    last_closed = closed[0] if closed and current is None else None
    last_response = response_of(expert, last_closed) if last_closed is not None else None
    past = []
    for rnd in closed:
        own = response_of(expert, rnd)
        if own is not None and (own.is_submitted or own.ratings or own.judgments):
            past.append(PastRound(rnd, own, progress(own, rnd)))
    return Welcome(current=current, response=response,
                   progress=progress(response, current) if current is not None else None,
                   last_closed=last_closed,
                   last_closed_submitted=bool(last_response is not None and last_response.is_submitted),
                   past=past, ended=consultation_ended(expert.study, all_rounds), closed_now=closed_now)


def consultation_ended(study, all_rounds) -> bool:
    """No further round to promise: the study is finished, or its last round reached the
    round limit (``Study.max_rounds``) and no draft round waits."""
    if study.status is StudyStatus.finished:
        return True
    if any(r.status is not RoundStatus.closed for r in study.rounds):
        return False
    numbers = [r.number for r in all_rounds]
    return bool(numbers) and max(numbers) >= (study.max_rounds or 0)


def own_ratings(response: Response | None) -> dict[int, Rating]:
    return {r.node_id: r for r in response.ratings} if response is not None else {}


def level_label(depth: int) -> str:
    """The heading of a run of indicators at ``depth`` (only that label is translated)."""
    if depth == 1:
        return _("First-level indicators")
    if depth == 2:
        return _("Second-level indicators")
    if depth == 3:
        return _("Third-level indicators")
    return _("Level %(n)s indicators", n=depth)


class ItemText(NamedTuple):
    """One item as the open questionnaire names it (its indicator's current wording)."""

    node_id: int
    code: str
    name: str
    description: str | None


@dataclass
class Section:
    parent: Node | None             # or a questionnaire_page.NodeRow
    level: str
    is_goal: bool
    items: list[RoundItem]
    nodes: list = field(default_factory=list)   # the items' indicators, when read as plain rows

    def rows(self, locale: str) -> list[ItemText]:
        """Its items as plain values in ``locale``, read once for the page's loop."""
        nodes = self.nodes or [item.node for item in self.items]
        return [ItemText(node.id, node.code, node.name(locale), node.description(locale)) for node in nodes]


def sections(rnd: Round) -> list[Section]:
    """The round's items, in order, in runs that share a parent (one heading each).
    The open questionnaire reads the same from plain rows: ``questionnaire_page.page_sections``."""
    depths = tree.node_depths(rnd.study)
    result: list[Section] = []
    for item in rnd.items:
        parent = item.node.parent
        if result and result[-1].parent is parent:
            result[-1].items.append(item)
            continue
        result.append(Section(parent=parent, level=level_label(depths.get(item.node_id, 1)),
                              is_goal=parent is None or parent.parent_id is None, items=[item]))
    return result


def proposals_of(expert: Expert, rnd: Round) -> list[Proposal]:
    """The expert's own proposals in this round, oldest first."""
    return list(db.session.scalars(select(Proposal).where(
        Proposal.round_id == rnd.id, Proposal.expert_id == expert.id).order_by(Proposal.created_at, Proposal.id)))


def proposal_targets(rnd: Round) -> list[tuple[Node, int]]:
    """Active indicators a proposal can refer to (with their depth), in questionnaire order."""
    ordered = tree.tree_order(rnd.study)   # one load of the tree for both
    depths = tree.depths_of(ordered)
    return [(node, depths[node.id]) for node in ordered if node.status is NodeStatus.active]


# --- writing (the form post: works without JavaScript) -------------------------------------

@dataclass
class FormOutcome:
    response: Response | None
    proposal: Proposal | None = None
    submitted: bool = False
    submit_error: str | None = None   # the refusal of the submission; the answers were saved


def save_form(expert: Expert, rnd: Round, answers: list[dict], *, proposal: dict | None = None,
              submit: bool = False, stored: Mapping[int, object] | None = None,
              now: datetime | None = None) -> FormOutcome:
    """Save the posted answers, add the posted proposal, then (if asked) submit.

    A refused answer or proposal raises ``AnswerError`` (the caller rolls back:
    nothing is stored). A refused *submission* (answers still missing, the
    deadline passed in between) does not raise: the answers stay saved and
    ``submit_error`` says why the questionnaire was not submitted; the
    submission itself wrote nothing of its own (``submit_response``
    refuses before any write, or its conditional update touched no row). A post
    with nothing to save whose submission is refused raises instead.
    ``stored``: the expert's stored answers by node id, read by the caller; posted answers
    equal to them are not written again (``answers.changed_answers``).
    """
    now = now or utcnow()
    changed = answers if stored is None else changed_answers(answers, stored)
    response = save_answers(expert, rnd, changed, now=now) if changed else response_of(expert, rnd)
    added = None
    if proposal is not None:
        added = add_proposal(expert, rnd, now=now, **proposal)
    outcome = FormOutcome(response=response, proposal=added)
    if submit:
        try:
            outcome.response = submit_response(expert, rnd, now=now)
            outcome.submitted = True
        except AnswerError as exc:
            if not answers and proposal is None:
                raise  # nothing of this post is worth keeping: the caller rolls back
            outcome.submit_error = str(exc)
    return outcome


__all__ = [
    "AnswerError", "EarlierRounds", "FormOutcome", "ItemText", "PastRound", "Progress", "Section", "Welcome", "level_label",
    "earlier_rounds", "own_ratings", "prefill_ratings", "progress", "proposal_targets",
    "proposals_of", "questionnaire_round", "save_form", "sections", "visible_rounds", "welcome",
]


@dataclass(frozen=True)
class EarlierRounds:
    """The earlier Delphi rounds the questionnaire looks back to, read in one statement."""

    latest: Round | None    # the latest earlier round that is not a draft: the wording changes since it
    closed: Round | None    # the latest earlier closed round: the group's feedback, the prefilled answers


def earlier_rounds(rnd: Round) -> EarlierRounds:
    """What ``wording.changes``, ``feedback.feedback_with_group`` and :func:`prefill_ratings` would
    each look up (``previous=``). One round is open or a draft at a time, so beside an open round
    the latest earlier one is closed; if it is not (``rnd`` is closed and an earlier round was
    reopened), the latest closed one is looked up apart."""
    latest = latest_earlier_round(rnd)
    if latest is None or latest.status is RoundStatus.closed:
        return EarlierRounds(latest, latest)
    return EarlierRounds(latest, previous_delphi_round(rnd))


def prefill_ratings(expert: Expert, rnd: Round, *, previous: Round | None = ...
                    ) -> tuple[dict[int, Rating], Round | None]:
    """The expert's own submitted answers of the previous Delphi round, for the items this
    round asks again: preselected (marked, changeable) when the round says so
    (the round's setting ``prefill_answers``). ({node id: Rating}, the previous round).
    ``previous``: the latest earlier closed Delphi round, when read already (:func:`earlier_rounds`)."""
    if not round_settings.settings_of(rnd).prefill_answers:
        return {}, None
    if previous is ...:
        previous = previous_delphi_round(rnd)
    if previous is None:
        return {}, None
    own = response_of(expert, previous)
    if own is None or not own.is_submitted:
        return {}, previous
    asked = {item.node_id for item in rnd.items}
    in_scale = set(range(rnd.scale_min, rnd.scale_max + 1))
    ratings = {r.node_id: r for r in own.ratings if r.node_id in asked
               and (r.no_opinion and rnd.allow_no_opinion or r.value in in_scale)}
    return ratings, previous
