"""Loading a study's submitted answers for the analyses: one loader per request.

Builds the experts × items matrix of a round's *submitted* answers; drafts never
count: a round's figures are those of the questionnaires actually submitted. No
statistics are computed here.

:class:`RoundData` loads each round's submitted answers once, as arrays (``submitted.load``:
a round of 1,000 experts × 63 indicators is 63,000 answers, never one object each), a closed
round's from its frozen report (``frozen_reports``: no rating row is read again once a round is
closed), and ``preload(rounds)`` loads several rounds in a fixed number of queries, so a dashboard
with trends over k rounds costs the same number of queries as one with a single round; items,
draft counts and proposals of all the study's rounds come in one query each. Create one loader
per request and pass it along (``round_report(rnd, data=…)``); a function given none makes its own.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sqlalchemy import Text, func, select, type_coerce

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
    StudyGroup,
)
from webapp.services import frozen_reports, memo, submitted as submitted_answers
from webapp.services.submitted import NO_OPINION, Submitted, by_pseudonym, ratings_of


@dataclass(frozen=True, eq=False, slots=True)
class PanelExpert:
    """An expert as the analyses, the dashboard and its exports read them: plain columns, no ORM
    object (1,000 ``Expert`` objects with their groups cost about 100 ms per dashboard view). The
    invitation token's columns are not loaded. ``group``: the study's :class:`StudyGroup` or None."""

    id: int
    study_id: int
    pseudonym: str
    name: str
    email: str | None
    organisation: str
    revoked_at: object | None
    last_seen_at: object | None
    locale: str | None
    field: str
    years_experience: int | None
    familiarity: str | None
    title: str | None
    education: str | None
    age_band: str | None
    organisation_type: str | None
    basis: dict | None
    group_id: int | None
    group: StudyGroup | None

    @property
    def group_code(self) -> str | None:
        return self.group.code if self.group is not None else None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


#: The columns of :class:`PanelExpert`, in order (``group`` is looked up from ``group_id``); the
#: self-assessment as its stored text, decoded once per distinct text (a panel repeats a few).
_PANEL_COLUMNS = tuple(type_coerce(Expert.basis, Text) if name == "basis" else getattr(Expert, name)
                       for name in PanelExpert.__dataclass_fields__ if name != "group")
_BASIS = list(PanelExpert.__dataclass_fields__).index("basis")


def panel_experts(study: Study) -> list[PanelExpert]:
    """Every expert of ``study`` as a :class:`PanelExpert`, in id order (two statements: the
    experts' columns and the study's groups). Experts with the same self-assessment share one
    ``basis`` dict: read it, never change it."""
    groups = {g.id: g for g in db.session.scalars(select(StudyGroup).where(StudyGroup.study_id == study.id))}
    decoded: dict[str, dict] = {}
    out = []
    for row in db.session.execute(select(*_PANEL_COLUMNS).where(Expert.study_id == study.id).order_by(Expert.id)):
        values = list(row)
        text = values[_BASIS]
        if text is not None:
            if text not in decoded:
                decoded[text] = json.loads(text)
            values[_BASIS] = decoded[text]
        out.append(PanelExpert(*values, groups.get(values[-1])))
    return out


@dataclass
class RoundMatrix:
    experts: list[PanelExpert]   # rows: the submitters by pseudonym (or the experts asked for)
    nodes: list[Node]
    ratings: np.ndarray     # experts x nodes, NaN = no rating / no opinion
    no_opinion: np.ndarray  # experts x nodes, True = "no opinion"
    texts: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    # (expert id, node id) -> (comment, reason) where either is not empty

    @cached_property
    def fingerprint(self) -> str:
        """Digest of the ratings (NaN where none): the key of the figures computed from them."""
        return memo.fingerprint(self.ratings)

    @cached_property
    def _texts_by_node(self) -> dict[int, list[tuple[int, str, str]]]:
        """node id -> [(row, comment, reason)] in row order (built once from the few texts)."""
        row_of = {e.id: i for i, e in enumerate(self.experts)}
        out: dict[int, list] = {}
        for (expert_id, node_id), (comment, reason) in self.texts.items():
            if expert_id in row_of:
                out.setdefault(node_id, []).append((row_of[expert_id], comment, reason))
        for rows in out.values():
            rows.sort()
        return out

    def comments(self, j: int, rows=None) -> list[tuple[PanelExpert, str]]:
        """(expert, comment) on column ``j``, in row order (``rows``: only these rows)."""
        keep = None if rows is None else set(rows)
        return [(self.experts[i], comment) for i, comment, _r in self._texts_by_node.get(self.nodes[j].id, ())
                if comment and (keep is None or i in keep)]

    def reasons(self, j: int) -> list[tuple[int, str]]:
        """(row, reason) on column ``j``, in row order."""
        return [(i, reason) for i, _c, reason in self._texts_by_node.get(self.nodes[j].id, ()) if reason]


@dataclass
class AlignedPair:
    """Two rounds' submitted ratings on the same rows and columns.

    Rows: every expert who submitted in either round (by pseudonym), NaN where
    they did not; columns: ``nodes``. So each round's per-item statistics over
    its rows equal that round's own table (the trend), and the paired tests
    (Wilcoxon, share changed) use exactly the experts present in both.
    """

    experts: list[PanelExpert]
    nodes: list[Node]
    previous: RoundMatrix
    current: RoundMatrix
    previous_submitters: list[PanelExpert]
    current_submitters: list[PanelExpert]

    @property
    def n_both(self) -> int:
        """Experts who submitted in both rounds."""
        prev = {e.id for e in self.previous_submitters}
        return sum(1 for e in self.current_submitters if e.id in prev)


def _matrix(submitted: Submitted, nodes: list[Node], experts: list[PanelExpert]) -> RoundMatrix:
    cells = submitted.columns([n.id for n in nodes], experts)
    return RoundMatrix(experts, nodes, ratings_of(cells), cells == NO_OPINION, submitted.texts)


class RoundData:
    """The submitted answers, items, drafts and proposals of a study's Delphi rounds, loaded once."""

    def __init__(self, study: Study):
        self.study = study
        self._rounds: list[Round] | None = None
        self._submitted: dict[int, Submitted] | None = None
        self._experts: dict[int, PanelExpert] | None = None
        self._items: dict[int, list[RoundItem]] | None = None
        self._drafts: dict[int, int] | None = None
        self._proposals: dict[int, list[Proposal]] | None = None
        self._depths: dict[int, int] | None = None
        self.froze = False  # this loader froze a closed round: the caller may commit it
        self._pairs: dict[tuple, AlignedPair] = {}

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

    def experts(self) -> list[PanelExpert]:
        """Every expert of the study, as columns (:func:`panel_experts`: two statements, once)."""
        if self._experts is None:
            self._experts = {e.id: e for e in panel_experts(self.study)}
        return list(self._experts.values())

    def submitted(self, rnd: Round) -> Submitted:
        """Who submitted ``rnd`` (by pseudonym) and their answers (loaded once; see :meth:`preload`)."""
        if self._submitted is None or rnd.id not in self._submitted:
            self.preload([rnd])
        return self._submitted[rnd.id]

    def preload(self, rounds: list[Round]) -> None:
        """Load the submitted answers of ``rounds``, whatever their number: a closed round's from
        its frozen report (one statement for all; the first reader freezes it), an open round's
        from ``OPEN_ANSWERS`` while no questionnaire was submitted or removed since (one statement,
        :func:`_versions`), the others' in three statements (``submitted.load``)."""
        todo = {r.id: r for r in rounds if r.id not in (self._submitted or {})}
        if not todo:
            return
        experts = {e.id: e for e in self.experts()}
        frozen = frozen_reports.frozen_answers(list(todo.values()), experts)
        rest = sorted(set(todo) - set(frozen))
        live = [i for i in rest if todo[i].status is RoundStatus.open]
        keys = {i: ("submitted", i, _stamp(todo[i].created_at), _stamp(todo[i].opened_at), version)
                for i, version in _versions(live).items()} if live else {}
        kept = {i: answers for i, key in keys.items()
                if (answers := _unpack(OPEN_ANSWERS.lookup(key), experts)) is not None}
        fresh = submitted_answers.load([i for i in rest if i not in kept], experts)
        for round_id, answers in fresh.items():
            self.froze |= frozen_reports.freeze(todo[round_id], answers)  # only a closed Delphi round
            if round_id in keys:
                OPEN_ANSWERS.put(keys[round_id], _pack(answers))
        self._submitted = (self._submitted or {}) | frozen | kept | fresh

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
        key = (previous.id, current.id, tuple(n.id for n in nodes))
        if key not in self._pairs:
            self._pairs[key] = self._pair(previous, current, nodes)
        return self._pairs[key]

    def _pair(self, previous: Round, current: Round, nodes: list[Node]) -> AlignedPair:
        prev, cur = self.submitted(previous), self.submitted(current)
        experts = by_pseudonym({e.id: e for e in prev.experts + cur.experts}.values())
        return AlignedPair(experts=experts, nodes=nodes, previous=_matrix(prev, nodes, experts),
                           current=_matrix(cur, nodes, experts), previous_submitters=prev.experts,
                           current_submitters=cur.experts)


# --- an open round's submitted answers, remembered -------------------------------------------

#: Open rounds' submitted answers by their version (:func:`_versions`): a submitted questionnaire
#: never changes (saves are refused once it is submitted), so they change only when one is
#: submitted or removed. Kept as ids and read-only arrays, joined to each request's experts.
OPEN_ANSWERS = memo.Memo(32)


def _stamp(value) -> str | None:
    return value.isoformat() if value is not None else None


def _versions(round_ids: list[int]) -> dict[int, tuple]:
    """Per round: the number, the sum of the ids and the latest submission and creation time of its
    submitted questionnaires (one statement)."""
    found = {i: (0, None, None, None) for i in round_ids}
    for round_id, n, total, last, created in db.session.execute(
            select(Response.round_id, func.count(Response.id), func.sum(Response.id), func.max(Response.submitted_at),
                   func.max(Response.created_at))
            .where(Response.round_id.in_(round_ids), Response.status == ResponseStatus.submitted)
            .group_by(Response.round_id)):
        found[round_id] = (int(n), int(total), str(last), str(created))
    return found


def _pack(answers: Submitted) -> tuple:
    cells = answers.cells.copy()
    cells.setflags(write=False)
    return tuple(e.id for e in answers.experts), tuple(answers.node_ids), cells, dict(answers.texts)


def _unpack(packed: tuple | None, experts: dict) -> Submitted | None:
    if packed is None:
        return None
    ids, node_ids, cells, texts = packed
    if any(i not in experts for i in ids):
        return None
    people = [experts[i] for i in ids]
    order = sorted(range(len(people)), key=lambda k: (len(people[k].pseudonym), people[k].pseudonym))
    if order != list(range(len(people))):  # a pseudonym changed since: rows by pseudonym, as loaded
        people, cells = [people[k] for k in order], cells[order]
    return Submitted(people, list(node_ids), cells, dict(texts))


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
