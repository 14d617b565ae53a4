"""What the coordinator's AHP dashboard shows: the panel's progress, every block's figures
and the hierarchy's weights (from ``ahp_rounds.analysis_of``), convergence between AHP
rounds, and the notes that go with the exports. Reads only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Expert, Judgment, Node, Response, Round
from webapp.services import ahp_rounds, ahp_settings
from webapp.services.ahp_analysis import RoundAnalysis

WORDING = {"very low": "very low", "low": "low", "moderate": "moderate", "high": "high", "very high": "very high"}


def wording_label(word: str | None) -> str:
    return {"very low": _("very low"), "low": _("low"), "moderate": _("moderate"), "high": _("high"),
            "very high": _("very high")}.get(word or "", "–")


@dataclass
class PanelRow:
    pseudonym: str
    status: str          # "submitted", "draft" or "none"
    saved_at: object
    judgments: int


@dataclass
class HistoryPoint:
    number: int
    s_star: float | None
    max_change: float | None


@dataclass
class AhpDashboard:
    rnd: Round
    options: dict
    analysis: RoundAnalysis
    panel: list
    nodes: dict                      # code -> Node
    total_pairs: int
    convergence: object | None
    history: list = field(default_factory=list)

    @property
    def invited(self) -> int:
        return len(self.panel)

    @property
    def submitted(self) -> int:
        return sum(1 for p in self.panel if p.status == "submitted")

    @property
    def response_rate(self) -> float | None:
        return self.submitted / self.invited if self.invited else None

    def inconsistent(self, parent: str) -> list[str]:
        r = self.analysis.blocks[parent]
        return [p for k, p in enumerate(self.analysis.pseudonyms) if r.answered[k] and not r.consistent[k]]

    def chart_peak(self) -> float:
        """The largest leaf global weight or interval end (the global chart's scale)."""
        a, top = self.analysis, [0.01]
        for code in self.leaves():
            top.append(a.global_weights.get(code, 0.0))
            if a.bootstrap is not None and code in a.bootstrap.intervals:
                top.append(a.bootstrap.intervals[code][1])
        return max(top)

    def leaves(self) -> list[str]:
        """Leaves of the weighted part, depth first (A1.1, A1.2, …, then B…), as the chart lists them."""
        h = self.analysis.hierarchy
        if h is None:
            return []
        out, stack = [], [h.root]
        while stack:
            code = stack.pop()
            kids = h.children(code)
            if not kids:
                out.append(code)
            stack.extend(reversed(kids))
        return out


def panel_rows(rnd: Round) -> list[PanelRow]:
    counts = dict(db.session.execute(
        select(Judgment.response_id, func.count()).join(Response, Response.id == Judgment.response_id)
        .where(Response.round_id == rnd.id).group_by(Judgment.response_id)).all())
    responses = {r.expert_id: r for r in db.session.scalars(select(Response).where(Response.round_id == rnd.id))}
    rows = []
    experts = db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id)).all()
    for e in sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym)):
        r = responses.get(e.id)
        if e.revoked_at is not None and (r is None or not r.is_submitted):
            continue
        rows.append(PanelRow(e.pseudonym, "none" if r is None else r.status.value,
                             r.updated_at if r is not None else None, counts.get(r.id, 0) if r is not None else 0))
    return rows


def ahp_dashboard(rnd: Round) -> AhpDashboard:
    options = ahp_rounds.options_of(rnd)
    analysis = ahp_rounds.analysis_of(rnd)
    blocks = ahp_rounds.round_blocks(rnd)
    codes = {c for p, kids in blocks for c in [p.code, *[k.code for k in kids]]}
    codes |= set(analysis.hierarchy.codes) if analysis.hierarchy is not None else set()
    nodes = {n.code: n for n in db.session.scalars(select(Node).where(Node.study_id == rnd.study_id,
                                                                      Node.code.in_(codes)))}
    dash = AhpDashboard(rnd=rnd, options=options, analysis=analysis, panel=panel_rows(rnd), nodes=nodes,
                        total_pairs=sum(len(k) * (len(k) - 1) // 2 for _, k in blocks),
                        convergence=ahp_rounds.convergence_of(rnd, analysis) if analysis.local else None)
    previous = None
    for other in ahp_rounds.ahp_rounds_upto(rnd):
        a = analysis if other.id == rnd.id else ahp_rounds.analysis_of(other, bootstrap=False)
        change = None
        if previous is not None:
            shared = [c for c in a.local if c in previous.local]
            change = max((abs(a.local[c] - previous.local[c]) for c in shared), default=None)
        dash.history.append(HistoryPoint(other.number, a.s_star, change))
        previous = a
    return dash


def export_notes(dash: AhpDashboard) -> list[tuple[str, str]]:
    """The settings and provenance printed beside the exported figures."""
    o = dash.options
    a = dash.analysis
    rule = {"cr": _("CR ≤ %(t)s", t=o["threshold"]), "cr_saaty": _("Saaty's limits by size"),
            "gci": _("GCI thresholds")}[o["consistency"]]
    notes = [
        (_("Study"), dash.rnd.study.title),
        (_("Round"), str(dash.rnd.number)),
        (_("Priority method"), str(ahp_settings.PRIORITY_METHODS[o["priority_method"]])),
        (_("Consistency rule"), rule + " · RI: Saaty (1980)"),
        (_("Group aggregation"), str(ahp_settings.AGGREGATIONS[o["aggregation"]])),
        (_("Expert weights"), str(ahp_settings.EXPERT_WEIGHTS[o["expert_weights"]])),
        (_("Experts over the limit left out"), _("yes") if o["censor_cr"] else _("no")),
        (_("Questionnaires used"), str(len(a.pseudonyms))),
        (_("Bootstrap"), _("%(b)s resamples over experts, seed %(s)s, judgment noise %(n)s",
                          b=o["bootstrap"]["resamples"], s=o["bootstrap"]["seed"], n=o["bootstrap"]["noise"])),
        ("ahpsurvey", "ahp.mat(df[, cols], atts = c(...), negconvert = FALSE)"),
    ]
    if a.s_star is not None:
        notes.append(("S*", f"{a.s_star:.4f}"))
    return notes


def quartiles(r):
    """Min, Q1, median, Q3, max of the experts' weights per child (the block chart of a large panel)."""
    ind = r.individual[r.answered]
    if not len(ind):
        return None
    return np.quantile(ind, [0, 0.25, 0.5, 0.75, 1], axis=0)
