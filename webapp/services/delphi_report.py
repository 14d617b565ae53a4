"""Round statistics for the dashboard, the exports and the experts' feedback.

Builds the experts × items matrix of a round's *submitted* answers from the
database and hands it to ``delphi/``; no statistics are computed here.
Drafts never count: a round's figures are those of the questionnaires
actually submitted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import delphi
from webapp.extensions import db
from webapp.services.studies import authority_tables_of as authority_tables
from webapp.services.studies import consensus_rule_of as consensus_rule
from webapp.models import (
    Expert,
    Node,
    Proposal,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundKind,
    RoundStatus,
    Study,
)


@dataclass
class RoundMatrix:
    experts: list[Expert]
    nodes: list[Node]
    ratings: np.ndarray  # experts x nodes, NaN = no rating / no opinion
    ratings_by_pair: dict[tuple[int, int], Rating]


def round_matrix(rnd: Round, *, nodes: list[Node] | None = None, experts: list[Expert] | None = None) -> RoundMatrix:
    """Submitted ratings of ``rnd`` as a matrix over ``nodes`` (default: the round's items)."""
    if nodes is None:
        nodes = [item.node for item in rnd.items]
    responses = db.session.scalars(
        select(Response).where(Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)
        .options(selectinload(Response.ratings), selectinload(Response.expert))).all()
    if experts is None:
        experts = sorted((r.expert for r in responses), key=lambda e: e.pseudonym)
    row = {e.id: i for i, e in enumerate(experts)}
    col = {n.id: j for j, n in enumerate(nodes)}
    matrix = np.full((len(experts), len(nodes)), np.nan)
    by_pair: dict[tuple[int, int], Rating] = {}
    for response in responses:
        i = row.get(response.expert_id)
        if i is None:
            continue
        for rating in response.ratings:
            j = col.get(rating.node_id)
            if j is None:
                continue
            by_pair[(response.expert_id, rating.node_id)] = rating
            if rating.value is not None:
                matrix[i, j] = rating.value
    return RoundMatrix(experts, nodes, matrix, by_pair)


@dataclass
class ItemReport:
    node: Node
    stats: dict                       # n, mean, sd, cv, median, q1, q3, iqr, agreement, full_score
    counts: list[int]                 # how many gave each scale value, scale_min..scale_max
    no_opinion: int
    consensus: bool
    failed: tuple[str, ...]
    stability: dict | None = None     # changed, cv_change, p, stable, n_paired
    comments: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    comments_by: list[tuple[str, str]] = field(default_factory=list)  # coordinator view only
    decision: str | None = None


@dataclass
class RoundReport:
    round: Round
    matrix: RoundMatrix
    items: list[ItemReport]
    invited: int
    answered: int
    drafts: int
    response_rate: float
    item_statistics: delphi.ItemStatistics | None
    consensus: delphi.ConsensusResult | None
    concordance: delphi.ConcordanceResult | None
    concordance_error: str | None
    authority: delphi.AuthorityResult | None
    authority_missing: list[str]
    stability: delphi.StabilityResult | None
    previous_round: Round | None
    rule: delphi.ConsensusRule
    proposals: list[Proposal]
    groups: dict = field(default_factory=dict)  # group -> ItemStatistics
    consensus_error: str | None = None  # the study's rule does not fit this round's scale

    @property
    def consensus_share(self) -> float | None:
        if self.consensus is None or not self.items:
            return None
        return self.consensus.n_reached / len(self.items)


def previous_delphi_round(rnd: Round) -> Round | None:
    return db.session.scalar(
        select(Round).where(Round.study_id == rnd.study_id, Round.kind == RoundKind.delphi,
                            Round.status == RoundStatus.closed, Round.number < rnd.number)
        .order_by(Round.number.desc()).limit(1))


def _authority(study: Study, experts: list[Expert]):
    complete = [e for e in experts if e.familiarity and e.basis]
    missing = [e.pseudonym for e in experts if not (e.familiarity and e.basis)]
    if not complete:
        return None, missing
    basis_table, familiarity_scale = authority_tables(study)
    try:
        result = delphi.authority([e.basis for e in complete], [e.familiarity for e in complete],
                                  basis_table, familiarity_scale)
    except ValueError:
        return None, [e.pseudonym for e in experts]
    return result, missing


def round_report(rnd: Round, *, with_identities: bool = False) -> RoundReport:
    """Everything the dashboard shows for one round.

    ``with_identities`` adds the pseudonym to each comment (coordinators only;
    experts' feedback never has it).
    """
    study = rnd.study
    matrix = round_matrix(rnd)
    m, n = matrix.ratings.shape
    invited = len([e for e in study.experts if not e.is_revoked or _answered(e, rnd)])
    drafts = db.session.scalar(select(db.func.count(Response.id)).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.draft))
    rule = consensus_rule(study)
    stats = consensus = concordance = stab = None
    concordance_error = None
    if m >= 1 and n >= 1:
        stats = delphi.item_stats(matrix.ratings, scale_max=rnd.scale_max, scale_min=rnd.scale_min,
                                  agree_at=_agree_at(rnd)) if m >= 2 else None
    consensus_error = None
    if stats is not None:
        try:
            consensus = rule.evaluate(stats)
        except ValueError as exc:  # the rule was written for another scale
            consensus_error = str(exc)
        try:
            concordance = delphi.kendall_w(matrix.ratings)
        except ValueError as exc:
            concordance_error = str(exc)
    previous = previous_delphi_round(rnd)
    if previous is not None and m >= 1:
        prev = round_matrix(previous, nodes=matrix.nodes, experts=matrix.experts)
        try:
            stab = delphi.stability(prev.ratings, matrix.ratings, alpha=study.stability_alpha)
        except ValueError:
            stab = None
    authority, authority_missing = _authority(study, matrix.experts)
    counts = (delphi.category_counts(matrix.ratings, scale_max=rnd.scale_max, scale_min=rnd.scale_min)
              if m else np.zeros((n, rnd.scale_max - rnd.scale_min + 1), dtype=int))
    rows = stats.to_rows([node.code for node in matrix.nodes]) if stats is not None else [
        {"item": node.code} for node in matrix.nodes]
    decisions = {item.node_id: item.decision.value if item.decision else None for item in rnd.items}
    items = []
    for j, node in enumerate(matrix.nodes):
        ratings = [matrix.ratings_by_pair.get((e.id, node.id)) for e in matrix.experts]
        item = ItemReport(
            node=node, stats=rows[j], counts=[int(c) for c in counts[j]],
            no_opinion=sum(1 for r in ratings if r is not None and r.no_opinion),
            consensus=bool(consensus.reached[j]) if consensus is not None else False,
            failed=tuple(consensus.failed[j]) if consensus is not None else (),
            comments=[r.comment for r in ratings if r is not None and r.comment],
            reasons=[r.reason for r in ratings if r is not None and r.reason],
            decision=decisions.get(node.id),
        )
        if with_identities:
            item.comments_by = [(e.pseudonym, r.comment) for e, r in zip(matrix.experts, ratings)
                                if r is not None and r.comment]
        if stab is not None:
            item.stability = {key: _plain(getattr(stab, key)[j])
                              for key in ("n_paired", "changed", "cv_change", "p", "stable")}
        items.append(item)
    groups = {}
    if m >= 2:
        labels = [e.stakeholder_group.value if e.stakeholder_group else "other" for e in matrix.experts]
        try:
            groups = delphi.item_stats_by_group(matrix.ratings, labels, scale_max=rnd.scale_max,
                                                scale_min=rnd.scale_min, agree_at=_agree_at(rnd))
        except ValueError:
            groups = {}
    proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == rnd.id)
                                   .order_by(Proposal.created_at)).all()
    return RoundReport(
        round=rnd, matrix=matrix, items=items, invited=invited, answered=m, drafts=drafts,
        response_rate=float(delphi.response_rate(invited, m)) if invited else 0.0,
        item_statistics=stats, consensus=consensus, concordance=concordance,
        concordance_error=concordance_error, authority=authority, authority_missing=authority_missing,
        stability=stab, previous_round=previous, rule=rule, proposals=list(proposals), groups=groups,
        consensus_error=consensus_error)


def _answered(expert: Expert, rnd: Round) -> bool:
    return db.session.scalar(select(Response.id).where(
        Response.expert_id == expert.id, Response.round_id == rnd.id,
        Response.status == ResponseStatus.submitted)) is not None


def _agree_at(rnd: Round) -> int:
    """'Agree' = the top two points of the scale (4–5 of 5, 8–9 of 9)."""
    return max(rnd.scale_min, rnd.scale_max - 1)


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


@dataclass
class ItemFeedback:
    """What an expert sees of the previous round for one indicator: no identities."""

    median: float | None
    q1: float | None
    q3: float | None
    n: int
    counts: list[int]
    scale_min: int
    scale_max: int
    own_value: int | None
    own_no_opinion: bool
    comments: list[str]

    def outside_iqr(self, value: int | None) -> bool:
        if value is None or self.q1 is None or self.q3 is None:
            return False
        return value < self.q1 or value > self.q3


def feedback_for(expert: Expert, rnd: Round) -> dict[int, ItemFeedback]:
    """Per node id, the previous round's anonymous group result and the expert's own answer."""
    previous = previous_delphi_round(rnd)
    if previous is None:
        return {}
    nodes = [item.node for item in rnd.items]
    report = round_report(previous)
    by_node = {item.node.id: item for item in report.items}
    own = db.session.scalar(select(Response).where(Response.round_id == previous.id,
                                                   Response.expert_id == expert.id)
                            .options(selectinload(Response.ratings)))
    own_ratings = {r.node_id: r for r in own.ratings} if own is not None and own.is_submitted else {}
    feedback = {}
    for node in nodes:
        item = by_node.get(node.id)
        if item is None:
            continue
        mine = own_ratings.get(node.id)
        feedback[node.id] = ItemFeedback(
            median=item.stats.get("median"), q1=item.stats.get("q1"), q3=item.stats.get("q3"),
            n=int(item.stats.get("n") or 0), counts=item.counts, scale_min=previous.scale_min,
            scale_max=previous.scale_max, own_value=mine.value if mine else None,
            own_no_opinion=bool(mine and mine.no_opinion),
            comments=sorted(item.comments, key=lambda c: (len(c), c)))  # no order that hints at who
    return feedback


def history(study: Study, upto: Round, *, upto_report: RoundReport | None = None) -> list[RoundReport]:
    """Reports of the study's non-draft Delphi rounds up to ``upto`` (for trends).

    ``upto_report``: the report of ``upto`` when the caller already has it (not computed again).
    """
    rounds = db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.kind == RoundKind.delphi, Round.number <= upto.number,
        Round.status != RoundStatus.draft).order_by(Round.number)).all()
    return [upto_report if upto_report is not None and r.id == upto.id else round_report(r) for r in rounds]


def stop_decision(rnd: Round) -> delphi.StopDecision | None:
    """``delphi.stopping`` over the study's rounds so far, on this round's items."""
    study = rnd.study
    rounds = db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.kind == RoundKind.delphi, Round.number <= rnd.number,
        Round.status != RoundStatus.draft).order_by(Round.number)).all()
    nodes = [item.node for item in rnd.items]
    matrices = [round_matrix(r, nodes=nodes) for r in rounds]
    if not matrices or matrices[-1].ratings.shape[0] < 2:
        return None
    hist = []
    for r, mat in zip(rounds, matrices):
        if mat.ratings.shape[0] < 2:
            continue
        hist.append(delphi.item_stats(mat.ratings, scale_max=r.scale_max, scale_min=r.scale_min,
                                      agree_at=_agree_at(r)))
    stab = None
    if len(rounds) >= 2:
        experts = sorted({e.id: e for mat in matrices[-2:] for e in mat.experts}.values(),
                         key=lambda e: e.pseudonym)
        a = round_matrix(rounds[-2], nodes=nodes, experts=experts)
        b = round_matrix(rounds[-1], nodes=nodes, experts=experts)
        try:
            stab = delphi.stability(a.ratings, b.ratings, alpha=study.stability_alpha)
        except ValueError:
            stab = None
    return delphi.stopping(hist, consensus_rule(study), max_rounds=study.max_rounds, stability=stab)


# --- the coordinator's dashboard and exports ------------------------------------------------
# Appended for the round dashboard; the functions above are unchanged. Everything the
# dashboard and the exports show comes from here, so the views hold no queries and no
# numerics and the export formatters (services/exports.py) stay pure.

@dataclass
class PanelMember:
    """One expert's standing in a round, for the coordinator's reminders."""

    expert: Expert
    status: str                 # "submitted", "draft" (saved, not submitted) or "none"
    counted: bool               # part of "invited": link not revoked, or answered anyway
    submitted_at: object | None
    saved_at: object | None     # last autosave of the questionnaire
    answered_items: int         # items with a rating or "no opinion" so far


@dataclass
class ExpertAuthority:
    expert: Expert
    ca: float | None
    cs: float | None
    cr: float | None
    acceptable: bool | None     # cr >= threshold; None without a self-assessment


@dataclass
class ReasonGiven:
    pseudonym: str
    value: int | None           # the rating this round
    text: str


@dataclass
class GroupView:
    """The per-item table restricted to one stakeholder group."""

    key: str
    experts: list[Expert]
    items: list[ItemReport]     # stats, counts, no_opinion, consensus, failed per item
    consensus_error: str | None = None


@dataclass
class RoundDashboard:
    report: RoundReport
    history: list[RoundReport]          # non-draft Delphi rounds up to this one (trends, summary)
    stop: delphi.StopDecision | None
    stop_error: str | None
    panel: list[PanelMember]
    authority_rows: list[ExpertAuthority]
    reasons: dict[int, list[ReasonGiven]]           # node id -> reasons, with pseudonyms
    previous_items: dict[int, ItemReport]           # node id -> last round's item (context)
    groups: dict[str, GroupView]

    @property
    def not_answered(self) -> list[PanelMember]:
        return [p for p in self.panel if p.counted and p.status != "submitted"]

    @property
    def answered(self) -> list[PanelMember]:
        return [p for p in self.panel if p.status == "submitted"]


def delphi_round_of(study: Study, round_id: int) -> Round | None:
    """A Delphi round of ``study`` (any status), or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == study.id,
                                                 Round.kind == RoundKind.delphi))


def panel_status(rnd: Round) -> list[PanelMember]:
    """Every expert of the study with where they stand in ``rnd``, by pseudonym."""
    responses = {r.expert_id: r for r in db.session.scalars(
        select(Response).where(Response.round_id == rnd.id).options(selectinload(Response.ratings)))}
    items = {item.node_id for item in rnd.items}
    members = []
    experts = db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id)).all()
    for expert in sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym)):
        response = responses.get(expert.id)
        status = "none" if response is None else response.status.value
        members.append(PanelMember(
            expert=expert, status=status, counted=not expert.is_revoked or status == "submitted",
            submitted_at=response.submitted_at if response is not None else None,
            saved_at=response.updated_at if response is not None else None,
            answered_items=sum(1 for r in response.ratings if r.node_id in items
                               and (r.value is not None or r.no_opinion)) if response is not None else 0))
    return members


def authority_by_expert(report: RoundReport) -> list[ExpertAuthority]:
    """Ca, Cs and Cr of every expert who answered (None where the self-assessment is missing)."""
    complete = [e for e in report.matrix.experts if e.familiarity and e.basis]
    result = report.authority
    values = {}
    if result is not None and len(result.cr) == len(complete):
        for i, expert in enumerate(complete):
            values[expert.id] = (float(result.ca[i]), float(result.cs[i]), float(result.cr[i]),
                                 bool(result.expert_acceptable[i]))
    return [ExpertAuthority(e, *values.get(e.id, (None, None, None, None))) for e in report.matrix.experts]


def _group_key(expert: Expert) -> str:
    return expert.stakeholder_group.value if expert.stakeholder_group else "other"


def group_views(report: RoundReport) -> dict[str, GroupView]:
    """``report.groups`` as per-item tables (with histogram and consensus) per stakeholder group."""
    rnd, matrix = report.round, report.matrix
    views: dict[str, GroupView] = {}
    for key, stats in report.groups.items():
        rows = [i for i, e in enumerate(matrix.experts) if _group_key(e) == key]
        sub = matrix.ratings[rows]
        counts = delphi.category_counts(sub, scale_max=rnd.scale_max, scale_min=rnd.scale_min)
        consensus, error = None, None
        try:
            consensus = report.rule.evaluate(stats)
        except ValueError as exc:
            error = str(exc)
        stat_rows = stats.to_rows([node.code for node in matrix.nodes])
        items = []
        for j, node in enumerate(matrix.nodes):
            no_opinion = sum(1 for i in rows if (r := matrix.ratings_by_pair.get(
                (matrix.experts[i].id, node.id))) is not None and r.no_opinion)
            items.append(ItemReport(
                node=node, stats=stat_rows[j], counts=[int(c) for c in counts[j]], no_opinion=no_opinion,
                consensus=bool(consensus.reached[j]) if consensus is not None else False,
                failed=tuple(consensus.failed[j]) if consensus is not None else ()))
        views[key] = GroupView(key=key, experts=[matrix.experts[i] for i in rows], items=items,
                               consensus_error=error)
    return views


class DashboardError(ValueError):
    """The round's figures cannot be computed as configured; the message says what to change."""


def _check_rule_fits(rnd: Round) -> None:
    """``round_report`` refuses a consensus rule written for another scale (e.g. the 1–5
    preset on a 1–9 round): say so in words instead of failing."""
    from flask_babel import gettext as _

    rule = consensus_rule(rnd.study)
    if rule.scale is None:
        return
    scales = db.session.execute(select(Round.number, Round.scale_min, Round.scale_max).where(
        Round.study_id == rnd.study_id, Round.kind == RoundKind.delphi, Round.number <= rnd.number,
        db.or_(Round.status != RoundStatus.draft, Round.id == rnd.id))).all()
    for number, lo, hi in scales:
        if (float(lo), float(hi)) != tuple(float(v) for v in rule.scale):
            raise DashboardError(_(
                "The study's consensus rule is written for the scale %(rule)s, but round %(n)s uses %(round)s. "
                "Choose a rule for that scale in the study's settings.",
                rule=f"{rule.scale[0]:g}–{rule.scale[1]:g}", n=number, round=f"{lo}–{hi}"))


def round_dashboard(rnd: Round) -> RoundDashboard:
    """Everything the coordinator's dashboard and exports show for ``rnd``.

    Raises :class:`DashboardError` when the study's consensus rule does not fit a round's scale.
    """
    _check_rule_fits(rnd)
    report = round_report(rnd, with_identities=True)
    trend = history(rnd.study, upto=rnd, upto_report=report)
    stop, stop_error = None, None
    if rnd.status is not RoundStatus.draft:
        try:
            stop = stop_decision(rnd)
        except ValueError as exc:
            stop_error = str(exc)
    matrix = report.matrix
    reasons: dict[int, list[ReasonGiven]] = {}
    for node in matrix.nodes:
        for expert in matrix.experts:
            rating = matrix.ratings_by_pair.get((expert.id, node.id))
            if rating is not None and rating.reason:
                reasons.setdefault(node.id, []).append(ReasonGiven(expert.pseudonym, rating.value, rating.reason))
    previous_items = {}
    if report.previous_round is not None:
        for past in trend:
            if past.round.id == report.previous_round.id:
                previous_items = {item.node.id: item for item in past.items}
    return RoundDashboard(
        report=report, history=trend, stop=stop, stop_error=stop_error, panel=panel_status(rnd),
        authority_rows=authority_by_expert(report), reasons=reasons, previous_items=previous_items,
        groups=group_views(report))
