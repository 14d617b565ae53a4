"""The coordinator's round dashboard and what its exports show.

Everything the dashboard and the exports show comes from here, so the views
hold no queries and no numerics and the export formatters
(``services/exports.py``) stay pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

import delphi
from webapp.extensions import db
from webapp.models import Expert, Rating, Response, Round, RoundKind, RoundStatus
from webapp.presentation import title_after_number
from webapp.services import frozen_reports, groups as groups_svc
from webapp.services.delphi_items import ItemReport, RoundReport, history, round_report, stop_decision
from webapp.services.round_data import RoundData
from webapp.services.round_settings import settings_of


PAGE_SIZE = 100  # experts per page of the dashboard's per-expert lists


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
    group_names: dict[str, str] = field(default_factory=dict)   # code -> name in the page language

    page: int = 1                       # the page of the per-expert lists shown (PAGE_SIZE each)
    froze: bool = False                 # a closed round was frozen by this request (the view commits)

    @cached_property
    def not_answered(self) -> list[PanelMember]:
        return [p for p in self.panel if p.counted and p.status != "submitted"]

    @cached_property
    def answered(self) -> list[PanelMember]:
        return [p for p in self.panel if p.status == "submitted"]

    @cached_property
    def revoked(self) -> list[PanelMember]:
        """Experts whose link is revoked and who did not answer: not counted as invited."""
        return [p for p in self.panel if not p.counted]

    @cached_property
    def reminder_emails(self) -> list[str]:
        """The e-mail addresses of the experts who have not answered yet."""
        return [p.expert.email for p in self.not_answered if p.expert.email]

    @cached_property
    def status_counts(self) -> dict[str, int]:
        """Experts counted as invited by status (submitted, draft, none), and revoked links."""
        counts = dict.fromkeys(("submitted", "draft", "none", "revoked"), 0)
        for member in self.panel:
            counts[member.status if member.counted else "revoked"] += 1
        return counts

    @property
    def title_shown(self) -> str:
        """What the heading shows after "Round n": the round's title without a leading "Round n"
        or "第n轮" that would repeat it ("" when the title says nothing else)."""
        return title_after_number(self.report.round.number, self.report.round.title)

    @property
    def page_size(self) -> int:
        return PAGE_SIZE

    @cached_property
    def pages(self) -> int:
        """Pages of the per-expert lists (waiting, answered, authority): 1 up to PAGE_SIZE experts."""
        longest = max(len(self.not_answered), len(self.answered), len(self.authority_rows), 1)
        return -(-longest // PAGE_SIZE)

    def on_page(self, rows: list) -> list:
        """``rows`` of the page shown."""
        start = (min(self.page, self.pages) - 1) * PAGE_SIZE
        return rows[start:start + PAGE_SIZE]


def panel_status(rnd: Round, data: RoundData | None = None) -> list[PanelMember]:
    """Every expert of the study with where they stand in ``rnd``, by pseudonym (at most three
    queries; the submitters' items answered come from their loaded answers, a frozen round's
    drafts from its frozen report, an open round's from its drafts only)."""
    items = [item.node_id for item in (data.items(rnd) if data is not None else rnd.items)]
    responses = {row.expert_id: row for row in db.session.execute(
        select(Response.expert_id, Response.status, Response.submitted_at, Response.updated_at)
        .where(Response.round_id == rnd.id))}
    loaded = data.submitted(rnd) if data is not None else None
    if loaded is not None:
        drafts = loaded.drafts if loaded.drafts is not None else frozen_reports.draft_progress(rnd, items)
        answered = drafts | loaded.answered_items(items)
    else:
        answered = dict(db.session.execute(
            select(Response.expert_id, func.count(Rating.id)).join(Rating, Rating.response_id == Response.id)
            .where(Response.round_id == rnd.id, Rating.node_id.in_(items),
                   or_(Rating.value.is_not(None), Rating.no_opinion))
            .group_by(Response.expert_id)).all())
    experts = data.experts() if data is not None else db.session.scalars(
        select(Expert).where(Expert.study_id == rnd.study_id)).all()
    members = []
    for expert in sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym)):
        response = responses.get(expert.id)
        status = "none" if response is None else response.status.value
        members.append(PanelMember(
            expert=expert, status=status, counted=not expert.is_revoked or status == "submitted",
            submitted_at=response.submitted_at if response is not None else None,
            saved_at=response.updated_at if response is not None else None,
            answered_items=answered.get(expert.id, 0)))
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


def group_views(report: RoundReport, order: list[str] | None = None) -> dict[str, GroupView]:
    """``report.groups`` as per-item tables (with histogram and consensus) per stakeholder group,
    in the study's order of groups (``order``: codes), experts without a group last."""
    rnd, matrix = report.round, report.matrix
    views: dict[str, GroupView] = {}
    rank = {key: i for i, key in enumerate(order or [])}
    for key, stats in sorted(report.groups.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])):
        rows = [i for i, e in enumerate(matrix.experts) if groups_svc.key_of(e) == key]
        sub = matrix.ratings[rows]
        counts = delphi.category_counts(sub, scale_max=rnd.scale_max, scale_min=rnd.scale_min)
        consensus, error = None, None
        try:
            consensus = report.rule.evaluate(stats)
        except ValueError as exc:
            error = str(exc)
        stat_rows = stats.to_rows([node.code for node in matrix.nodes])
        no_opinion = matrix.no_opinion[rows].sum(axis=0)
        items = []
        asked = {item.node.id: item.wording for item in report.items}
        for j, node in enumerate(matrix.nodes):
            items.append(ItemReport(
                node=node, stats=stat_rows[j], wording=asked.get(node.id), counts=[int(c) for c in counts[j]],
                no_opinion=int(no_opinion[j]),
                consensus=bool(consensus.reached[j]) if consensus is not None else False,
                failed=tuple(consensus.failed[j]) if consensus is not None else ()))
        views[key] = GroupView(key=key, experts=[matrix.experts[i] for i in rows], items=items,
                               consensus_error=error)
    return views


class DashboardError(ValueError):
    """The round's figures cannot be computed as configured; the message says what to change."""


def _check_rule_fits(rnd: Round) -> None:
    """``round_report`` refuses a consensus rule written for another scale (e.g. the 1–5
    preset on a 1–9 round): say so in words instead of failing. Each round is judged
    by its own (frozen) rule."""
    rounds = db.session.scalars(select(Round).where(
        Round.study_id == rnd.study_id, Round.kind == RoundKind.delphi, Round.number <= rnd.number,
        db.or_(Round.status != RoundStatus.draft, Round.id == rnd.id))).all()
    for other in rounds:
        rule = settings_of(other).rule
        number, lo, hi = other.number, other.scale_min, other.scale_max
        if rule.scale is not None and (float(lo), float(hi)) != tuple(float(v) for v in rule.scale):
            raise DashboardError(_(
                "The study's consensus rule is written for the scale %(rule)s, but round %(n)s uses %(round)s. "
                "Choose a rule for that scale in the study's settings.",
                rule=f"{rule.scale[0]:g}–{rule.scale[1]:g}", n=number, round=f"{lo}–{hi}"))


def round_dashboard(rnd: Round, *, page: int = 1) -> RoundDashboard:
    """Everything the coordinator's dashboard and exports show for ``rnd``; ``page``: the page of
    the per-expert lists the dashboard shows (the exports take every expert).

    Raises :class:`DashboardError` when the study's consensus rule does not fit a round's scale.
    """
    _check_rule_fits(rnd)
    names = groups_svc.labels(rnd.study)
    data = RoundData(rnd.study)  # the one loader of this request
    data.preload(data.rounds_upto(rnd) + [rnd])  # every round of the trends in one go
    report = round_report(rnd, with_identities=True, data=data)
    trend = history(rnd.study, upto=rnd, upto_report=report, data=data)
    stop, stop_error = None, None
    if rnd.status is not RoundStatus.draft:
        try:
            stop = stop_decision(rnd, data=data)
        except ValueError as exc:
            stop_error = str(exc)
    matrix = report.matrix
    reasons: dict[int, list[ReasonGiven]] = {}
    for j, node in enumerate(matrix.nodes):
        for i, reason in matrix.reasons(j):
            value = matrix.ratings[i, j]
            reasons.setdefault(node.id, []).append(
                ReasonGiven(matrix.experts[i].pseudonym, None if value != value else int(value), reason))
    previous_items = {}
    if report.previous_round is not None:
        for past in trend:
            if past.round.id == report.previous_round.id:
                previous_items = {item.node.id: item for item in past.items}
    return RoundDashboard(
        report=report, history=trend, stop=stop, stop_error=stop_error, panel=panel_status(rnd, data),
        authority_rows=authority_by_expert(report), reasons=reasons, previous_items=previous_items,
        groups=group_views(report, order=list(names)), group_names=names, page=max(1, page),
        froze=data.froze)
