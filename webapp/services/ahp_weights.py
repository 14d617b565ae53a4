"""Publishable weights of a closed AHP round (contract in briefs/contracts.md).

``publishable_weights(round)`` returns a plain dict the publish helper turns into a
``weight-set/1``: local weights of every non-root node of the weighted part of the
hierarchy (siblings sum to 1; an only child weighs 1), the group CR and S* of every
block, bootstrap intervals of the global weights, the method, the panel and the
provenance with the frozen settings.
"""
from __future__ import annotations

import copy

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Expert, Round, RoundKind, RoundStatus
from webapp.services import ahp_rounds, ahp_settings


class NotPublishable(ValueError):
    """The round has no weights to publish (not a closed AHP round, or a block without group result)."""


def publishable_weights(rnd: Round) -> dict:
    if rnd.kind is not RoundKind.ahp:
        raise NotPublishable(_("Only an AHP round's weights can be published from here."))
    if rnd.status is not RoundStatus.closed:
        raise NotPublishable(_("Close the round before publishing its weights."))
    options = ahp_rounds.options_of(rnd)
    analysis = ahp_rounds.analysis_of(rnd)
    tree = analysis.hierarchy
    if tree is None or not analysis.global_weights:
        raise NotPublishable(_("Some block has no group result yet: no submitted, usable comparisons."))
    local = {}
    for code in tree.codes:
        kids = tree.children(code)
        for kid in kids:
            local[kid] = 1.0 if len(kids) == 1 else float(analysis.local[kid])
    boot = analysis.bootstrap
    rounds = dict(db.session.execute(
        select(Round.kind, func.count()).where(Round.study_id == rnd.study_id, Round.status == RoundStatus.closed)
        .group_by(Round.kind)).all())
    invited = db.session.scalar(select(func.count()).select_from(Expert).where(
        Expert.study_id == rnd.study_id, Expert.revoked_at.is_(None)))
    return {
        "kind": "ahp",
        "local_weights": local,
        "block_cr": {p: float(r.aij_cr) for p, r in analysis.blocks.items()},
        "block_s_star": {p: r.s_star for p, r in analysis.blocks.items()},
        "global_intervals": {c: [lo, hi] for c, (lo, hi) in boot.intervals.items()} if boot is not None else {},
        "method": {
            "priority_method": options["priority_method"],
            "priority_method_label": str(ahp_settings.PRIORITY_METHODS[options["priority_method"]]),
            "aggregation": options["aggregation"],
            "expert_weights": options["expert_weights"],
            "consistency": options["consistency"], "threshold": options["threshold"],
            "ri_table": "saaty", "censor_cr": options["censor_cr"],
            "allow_incomplete": options["allow_incomplete"],
            "bootstrap": dict(options["bootstrap"]) if boot is not None else None,
            "s_star_hierarchy": analysis.s_star,
        },
        "panel": {"experts_invited": int(invited or 0), "experts_used": list(analysis.pseudonyms),
                  "rounds": {"delphi": int(rounds.get(RoundKind.delphi, 0)), "ahp": int(rounds.get(RoundKind.ahp, 0))}},
        "provenance": {"round_ids": [rnd.id], "round_numbers": [rnd.number],
                       "responses_used": len(analysis.pseudonyms), "settings": copy.deepcopy(rnd.settings or {})},
    }
