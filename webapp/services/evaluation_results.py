"""What an evaluation's results page and report show, computed from a weight-set/1 document.

Pure: a published document and the scores in, plain rows out (no queries, no writes), so the
page, the report and the CLI show the same figures. All numerics come from ``evaluation/``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import evaluation


@dataclass(frozen=True)
class ObjectRow:
    name: str
    total: float
    stars: int
    label: str
    rank: int
    coverage: float
    low_coverage: bool
    missing: list
    elements: list            # [{"code", "score", "coverage"}]


@dataclass(frozen=True)
class StabilityRow:
    code: str
    weight: float
    low: float
    high: float
    rank_low: float
    rank_high: float
    low_event: str
    high_event: str


@dataclass(frozen=True)
class EvaluationResults:
    elements: tuple                       # first-level codes (the seed's four elements)
    element_weights: dict                 # {code: S_i}
    rows: list                            # ObjectRow, in rank order
    bands: tuple
    missing_policy: str
    coverage_threshold: float
    stability: list = field(default_factory=list)     # StabilityRow per element weight (complete data only)
    stability_note: str = ""
    uncertainty: dict | None = None                   # {object: {...}} when weight samples were given
    fce: dict | None = None                           # {object: {...}} when memberships were given
    nodes: list = field(default_factory=list)         # every node but the root: {code, parent, level, local, global}
    node_scores: dict = field(default_factory=dict)   # {object: {code: score or None}} for every node

    def row(self, name: str) -> ObjectRow:
        return next(r for r in self.rows if r.name == name)


def competition_ranks(totals) -> list[int]:
    """1 for the highest total; equal totals share the best rank (1, 2, 2, 4)."""
    return [1 + sum(1 for u in totals if u > t + 1e-12) for t in totals]


def build_results(document: dict, scores: dict, *, bands=None, missing: str = "refuse",
                  hierarchy=None, weight_samples=None, memberships=None, operator: str = "M(·,+)",
                  grade_values=None) -> EvaluationResults:
    """Score, grade, rank; weight stability of the element weights; optional uncertainty and FCE.

    Raises ``ValueError`` (from ``evaluation``) for scores or a document it refuses.
    """
    tree = evaluation.WeightTree.from_dict(document, hierarchy=hierarchy, partial=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evaluation.LowCoverageWarning)
        res = evaluation.score(tree, scores, missing=missing)
    graded = evaluation.grade(res.total, bands)
    ranks = competition_ranks(res.total.tolist())
    rows = []
    for i, name in enumerate(res.objects):
        rows.append(ObjectRow(
            name=name, total=float(res.total[i]), stars=int(graded.stars[i]), label=graded.label[i],
            rank=ranks[i], coverage=float(res.coverage[i]), low_coverage=bool(res.low_coverage[i]),
            missing=list(res.missing[name]),
            elements=[{"code": c, "score": _num(res.element_scores[i, k]),
                       "coverage": float(res.element_coverage[i, k])} for k, c in enumerate(res.elements)]))
    rows.sort(key=lambda r: (r.rank, r.name))
    stability, note = [], ""
    complete = not any(r.missing for r in rows)
    if complete and len(rows) >= 1:
        st = evaluation.weight_stability(tree, scores, bands=bands)
        for j, code in enumerate(st.codes):
            if code in res.elements:
                stability.append(StabilityRow(
                    code=code, weight=float(st.weights[j]), low=float(st.interval[j, 0]),
                    high=float(st.interval[j, 1]), rank_low=float(st.rank_interval[j, 0]),
                    rank_high=float(st.rank_interval[j, 1]), low_event=st.low_event[j],
                    high_event=st.high_event[j]))
    elif not complete:
        note = "incomplete"
    unc = None
    if weight_samples is not None and complete:
        u = evaluation.uncertainty(weight_samples, scores, bands, tree=tree)
        unc = {name: {"interval": u.score_interval[i].tolist(), "ranks": u.rank_interval[i].tolist(),
                      "at_least": dict(zip(u.stars, u.at_least_probability[i].tolist())),
                      "probability": dict(zip(u.stars, u.grade_probability[i].tolist())),
                      "samples": u.samples}
               for i, name in enumerate(u.objects)}
    fce_rows = None
    if memberships is not None:
        f = evaluation.fce_hierarchy(tree, memberships, operator, grade_values=grade_values)
        fce_rows = {name: {"b": f.b[i, 0].tolist(), "grade": int(f.grade[i]),
                           "score": None if f.score is None else float(f.score[i]),
                           "agree": bool(f.operators_agree[i]),
                           "by_operator": {op: int(v["grade"][i]) for op, v in f.by_operator.items()},
                           "operator": f.operator}
                    for i, name in enumerate(f.objects)}
    nodes = [{"code": c, "parent": tree.codes[tree.parent[k]], "level": int(tree.depth[k]),
              "local": float(tree.local[k]), "global": float(tree.glob[k]), "leaf": c in res.leaves}
             for k, c in enumerate(tree.codes) if k > 0]
    node_scores = {name: {c: _num(res.subtotals[i, k]) for k, c in enumerate(tree.codes)}
                   for i, name in enumerate(res.objects)}
    return EvaluationResults(
        nodes=nodes, node_scores=node_scores,
        elements=res.elements, element_weights={c: float(tree.local[tree.index(c)]) for c in res.elements},
        rows=rows, bands=graded.bands, missing_policy=missing, coverage_threshold=res.coverage_threshold,
        stability=stability, stability_note=note, uncertainty=unc, fce=fce_rows)


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x
