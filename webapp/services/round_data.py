"""Loading a study's submitted answers for the analyses: one loader per request.

Builds the experts × items matrix of a round's *submitted* answers; drafts never
count: a round's figures are those of the questionnaires actually submitted. No
statistics are computed here.

:class:`RoundData` loads each round's submitted answers once, as plain rows (not ORM objects:
a round of 1,000 experts × 63 indicators is 63,000 answers), and ``preload(rounds)`` loads
several rounds in three queries, so a dashboard with trends over k rounds costs the same
number of queries as one with a single round; items, draft counts and proposals of all the
study's rounds come in one query each. Create one loader per request and pass it along
(``round_report(rnd, data=…)``); a function given none makes its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    Proposal,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    Study,
)


class Answer(NamedTuple):
    """One submitted answer as the analyses read it (a plain row, not an ORM object: a round of
    1,000 experts × 63 indicators is 63,000 of them)."""

    expert_id: int
    node_id: int
    value: int | None
    no_opinion: bool
    comment: str
    reason: str


@dataclass
class Submitted:
    """A round's submitted questionnaires: who, and their answers."""

    experts: list[Expert]
    answers: list[Answer]


@dataclass
class RoundMatrix:
    experts: list[Expert]
    nodes: list[Node]
    ratings: np.ndarray  # experts x nodes, NaN = no rating / no opinion
    ratings_by_pair: dict[tuple[int, int], Answer]


@dataclass
class AlignedPair:
    """Two rounds' submitted ratings on the same rows and columns.

    Rows: every expert who submitted in either round (by pseudonym), NaN where
    they did not; columns: ``nodes``. So each round's per-item statistics over
    its rows equal that round's own table (the trend), and the paired tests
    (Wilcoxon, share changed) use exactly the experts present in both.
    """

    experts: list[Expert]
    nodes: list[Node]
    previous: RoundMatrix
    current: RoundMatrix
    previous_submitters: list[Expert]
    current_submitters: list[Expert]

    @property
    def n_both(self) -> int:
        """Experts who submitted in both rounds."""
        prev = {e.id for e in self.previous_submitters}
        return sum(1 for e in self.current_submitters if e.id in prev)


def by_pseudonym(experts) -> list[Expert]:
    return sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym))


def _matrix(submitted: Submitted, nodes: list[Node], experts: list[Expert]) -> RoundMatrix:
    row = {e.id: i for i, e in enumerate(experts)}
    col = {n.id: j for j, n in enumerate(nodes)}
    matrix = np.full((len(experts), len(nodes)), np.nan)
    by_pair: dict[tuple[int, int], Answer] = {}
    for answer in submitted.answers:
        i, j = row.get(answer.expert_id), col.get(answer.node_id)
        if i is None or j is None:
            continue
        by_pair[(answer.expert_id, answer.node_id)] = answer
        if answer.value is not None:
            matrix[i, j] = answer.value
    return RoundMatrix(experts, nodes, matrix, by_pair)


class RoundData:
    """The submitted answers, items, drafts and proposals of a study's Delphi rounds, loaded once."""

    def __init__(self, study: Study):
        self.study = study
        self._rounds: list[Round] | None = None
        self._submitted: dict[int, Submitted] | None = None
        self._experts: dict[int, Expert] | None = None
        self._items: dict[int, list[RoundItem]] | None = None
        self._drafts: dict[int, int] | None = None
        self._proposals: dict[int, list[Proposal]] | None = None
        self._depths: dict[int, int] | None = None

    def _round_ids(self, extra: Round) -> list[int]:
        return sorted({r.id for r in self.rounds()} | {extra.id})

    def rounds(self) -> list[Round]:
        """The study's non-draft Delphi rounds, oldest first."""
        if self._rounds is None:
            self._rounds = list(db.session.scalars(select(Round).where(
                Round.study_id == self.study.id, Round.kind == RoundKind.delphi,
                Round.status != RoundStatus.draft).order_by(Round.number)))
        return self._rounds

    def rounds_upto(self, upto: Round) -> list[Round]:
        return [r for r in self.rounds() if r.number <= upto.number]

    def previous(self, rnd: Round) -> Round | None:
        """The closed Delphi round before ``rnd``."""
        earlier = [r for r in self.rounds() if r.number < rnd.number and r.status is RoundStatus.closed]
        return earlier[-1] if earlier else None

    def submitted(self, rnd: Round) -> Submitted:
        """Who submitted ``rnd`` (by pseudonym) and their answers (loaded once; see :meth:`preload`)."""
        if self._submitted is None or rnd.id not in self._submitted:
            self.preload([rnd])
        return self._submitted[rnd.id]

    def preload(self, rounds: list[Round]) -> None:
        """Load the submitted answers of ``rounds`` in three queries, whatever their number."""
        ids = sorted({r.id for r in rounds} - set(self._submitted or {}))
        if not ids:
            return
        if self._experts is None:
            self._experts = {e.id: e for e in db.session.scalars(select(Expert).where(
                Expert.study_id == self.study.id))}
        who = db.session.execute(select(Response.round_id, Response.expert_id).where(
            Response.round_id.in_(ids), Response.status == ResponseStatus.submitted)).all()
        rows = db.session.execute(
            select(Response.round_id, Response.expert_id, Rating.node_id, Rating.value, Rating.no_opinion,
                   Rating.comment, Rating.reason)
            .join(Rating, Rating.response_id == Response.id)
            .where(Response.round_id.in_(ids), Response.status == ResponseStatus.submitted)).all()
        loaded = {i: Submitted([], []) for i in ids}
        for round_id, expert_id in who:
            loaded[round_id].experts.append(self._experts[expert_id])
        for round_id, *answer in rows:
            loaded[round_id].answers.append(Answer(*answer))
        for submitted in loaded.values():
            submitted.experts = by_pseudonym(submitted.experts)
        self._submitted = (self._submitted or {}) | loaded

    def items(self, rnd: Round) -> list[RoundItem]:
        """The round's items (with their indicators), in questionnaire order."""
        if self._items is None or rnd.id not in self._items:
            ids = self._round_ids(rnd)
            loaded = db.session.scalars(select(RoundItem).where(RoundItem.round_id.in_(ids))
                                        .order_by(RoundItem.round_id, RoundItem.position)).all()
            self._items = {i: [] for i in ids}
            for item in loaded:
                self._items[item.round_id].append(item)
        return self._items[rnd.id]

    def nodes(self, rnd: Round) -> list[Node]:
        return [item.node for item in self.items(rnd)]

    def drafts(self, rnd: Round) -> int:
        """Responses saved but not submitted."""
        if self._drafts is None or rnd.id not in self._drafts:
            ids = self._round_ids(rnd)
            self._drafts = dict.fromkeys(ids, 0) | dict(db.session.execute(
                select(Response.round_id, func.count(Response.id)).where(
                    Response.round_id.in_(ids), Response.status == ResponseStatus.draft)
                .group_by(Response.round_id)).all())
        return self._drafts[rnd.id]

    def proposals(self, rnd: Round) -> list[Proposal]:
        if self._proposals is None or rnd.id not in self._proposals:
            ids = self._round_ids(rnd)
            loaded = db.session.scalars(select(Proposal).where(Proposal.round_id.in_(ids))
                                        .order_by(Proposal.created_at, Proposal.id)).all()
            self._proposals = {i: [] for i in ids}
            for proposal in loaded:
                self._proposals[proposal.round_id].append(proposal)
        return self._proposals[rnd.id]

    def depths(self) -> dict[int, int]:
        """Each indicator's level (0 = the goal)."""
        if self._depths is None:
            rows = db.session.execute(select(Node.id, Node.parent_id).where(Node.study_id == self.study.id)).all()
            parent = dict(rows)
            self._depths = {}
            for node_id in parent:
                depth, current = 0, parent[node_id]
                while current is not None:
                    depth, current = depth + 1, parent.get(current)
                self._depths[node_id] = depth
        return self._depths

    def matrix(self, rnd: Round, *, nodes: list[Node] | None = None,
               experts: list[Expert] | None = None) -> RoundMatrix:
        """Submitted ratings of ``rnd`` over ``nodes`` (default: its items), one row per
        submitter by pseudonym (or per expert of ``experts``, NaN where none)."""
        submitted = self.submitted(rnd)
        return _matrix(submitted, self.nodes(rnd) if nodes is None else nodes,
                       submitted.experts if experts is None else experts)

    def pair(self, previous: Round, current: Round, nodes: list[Node] | None = None) -> AlignedPair:
        """The one builder of two rounds' matrices for comparison (stability, CV change, stop advice)."""
        if nodes is None:
            nodes = self.nodes(current)
        prev, cur = self.submitted(previous), self.submitted(current)
        experts = by_pseudonym({e.id: e for e in prev.experts + cur.experts}.values())
        return AlignedPair(experts=experts, nodes=nodes, previous=_matrix(prev, nodes, experts),
                           current=_matrix(cur, nodes, experts), previous_submitters=prev.experts,
                           current_submitters=cur.experts)


# --- for callers without a loader ------------------------------------------------------------

def round_nodes(rnd: Round) -> list[Node]:
    """The indicators ``rnd`` asks about, in questionnaire order (one query)."""
    return list(db.session.scalars(select(Node).join(RoundItem, RoundItem.node_id == Node.id)
                                   .where(RoundItem.round_id == rnd.id).order_by(RoundItem.position)))


def round_matrix(rnd: Round, *, nodes: list[Node] | None = None, experts: list[Expert] | None = None) -> RoundMatrix:
    return RoundData(rnd.study).matrix(rnd, nodes=nodes, experts=experts)


def aligned_pair(previous: Round, current: Round, nodes: list[Node] | None = None) -> AlignedPair:
    return RoundData(current.study).pair(previous, current, nodes)


def previous_delphi_round(rnd: Round) -> Round | None:
    return db.session.scalar(
        select(Round).where(Round.study_id == rnd.study_id, Round.kind == RoundKind.delphi,
                            Round.status == RoundStatus.closed, Round.number < rnd.number)
        .order_by(Round.number.desc()).limit(1))


def delphi_round_of(study: Study, round_id: int) -> Round | None:
    """A Delphi round of ``study`` (any status), or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == study.id,
                                                 Round.kind == RoundKind.delphi))
