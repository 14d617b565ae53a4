"""Publishable weights from a closed Delphi round (the ``"delphi"`` source of weight sets).

Formula (common Chinese practice; WEIGHTING.md "From Delphi ratings")::

    w_i = mean_i / Σ_{j ∈ siblings(i)} mean_j

where ``mean_i`` is the arithmetic mean importance rating of indicator ``i``
over the round's *submitted* questionnaires, "no opinion" (不熟悉，不评价)
answers left out. Local weights are normalised within each sibling group; the
weighted part of the hierarchy is every rated indicator reachable from the
goal through rated indicators. The contract of the returned dict is in
``/work/briefs/contracts.md`` ("Publishable weights").
"""
from __future__ import annotations

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import NodeStatus, Round, RoundKind, RoundStatus
from webapp.services.round_data import round_matrix
from webapp.services.tree import dropped_ids

FORMULA = "w_i = mean_i / sum_{j in siblings(i)} mean_j"
FORMULA_ZH = "w_i = 指标 i 重要性评分的算术均数 / 同组（同一上级指标下）各指标均数之和"


class SourceError(ValueError):
    """The round cannot give a weight set; the message is shown to the coordinator."""


def _weighted_nodes(rnd: Round, means: dict[int, float], dropped: set[int]):
    """Rated, kept indicators reachable from the goal through rated indicators."""
    study = rnd.study
    root = study.root
    children: dict[int, list] = {}
    for node in study.nodes:
        if node.parent_id is not None and node.status is NodeStatus.active and node.id not in dropped:
            children.setdefault(node.parent_id, []).append(node)
    included, queue = [], [root]
    while queue:
        parent = queue.pop(0)
        kids = sorted(children.get(parent.id, []), key=lambda n: (n.position, n.code))
        rated = [k for k in kids if k.id in means]
        if not rated:
            continue  # a leaf of the weighted part
        if len(rated) != len(kids):
            missing = ", ".join(k.code for k in kids if k.id not in means)
            raise SourceError(_("Round %(n)s did not rate every indicator under %(code)s (missing: "
                                "%(missing)s), so their weights cannot be normalised.",
                                n=rnd.number, code=parent.code, missing=missing))
        included.extend(rated)
        queue.extend(rated)
    return included


def publishable_weights(rnd: Round) -> dict:
    """Weights from the mean importance ratings of a closed Delphi round (see the module)."""
    if rnd.kind is not RoundKind.delphi or rnd.status is not RoundStatus.closed:
        raise SourceError(_("Only a closed Delphi round can give Delphi weights."))
    dropped = dropped_ids(rnd.study, upto=rnd.number)  # in this round or an earlier one
    matrix = round_matrix(rnd)
    m = matrix.ratings.shape[0]
    if m == 0:
        raise SourceError(_("Round %(n)s has no submitted questionnaires.", n=rnd.number))
    answered = np.sum(~np.isnan(matrix.ratings), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.where(answered > 0, np.nansum(matrix.ratings, axis=0) / np.maximum(answered, 1), np.nan)
    means = {node.id: float(mean[j]) for j, node in enumerate(matrix.nodes)
             if node.id not in dropped and node.status is NodeStatus.active and answered[j] > 0}
    nodes = _weighted_nodes(rnd, means, dropped)
    if not nodes:
        raise SourceError(_("Round %(n)s rated no indicator directly under the goal.", n=rnd.number))
    if any(means[n.id] <= 0 for n in nodes):
        raise SourceError(_("A mean rating of zero cannot be turned into a weight."))
    by_parent: dict[int, list] = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    local = {}
    for siblings in by_parent.values():
        values = np.array([means[n.id] for n in siblings])
        for node, w in zip(siblings, values / values.sum()):
            local[node.code] = float(w)
    study = rnd.study
    closed = db.session.scalars(select(Round).where(
        Round.study_id == study.id, Round.status == RoundStatus.closed,
        Round.number <= rnd.number)).all()
    invited = len([e for e in study.experts if not e.is_revoked])
    return {
        "kind": "delphi",
        "local_weights": local,
        "block_cr": {},
        "block_s_star": {},
        "global_intervals": {},
        "method": {
            "name": "delphi-mean-rating",
            "formula": FORMULA,
            "formula_zh": FORMULA_ZH,
            "rating_scale": [rnd.scale_min, rnd.scale_max],
            "missing": "no-opinion answers left out of the mean",
            "means": {n.code: means[n.id] for n in nodes},
        },
        "panel": {
            "experts_invited": max(invited, m),
            "experts_used": sorted(e.pseudonym for e in matrix.experts),
            "rounds": {"delphi": sum(1 for r in closed if r.kind is RoundKind.delphi),
                       "ahp": sum(1 for r in closed if r.kind is RoundKind.ahp)},
        },
        "provenance": {
            "round_ids": [rnd.id],
            "round_numbers": [rnd.number],
            "responses_used": int(m),
            "settings": {
                "scale_min": rnd.scale_min, "scale_max": rnd.scale_max,
                "rated_level": rnd.rated_level,
                "consensus_rule": rnd.settings.get("consensus_rule", study.consensus_rule),
                "round_settings": rnd.settings,
            },
        },
    }
