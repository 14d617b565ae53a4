"""Group weights of a G1 or BWM round, and its publishable weights (contract in briefs/contracts.md).

Per block, every submitted questionnaire's answer gives the expert's local weights
(``weighting.g1`` or ``weighting.bwm``); the group's are their weighted geometric mean
``weighting.aggregate`` with the round's frozen expert weights (as in AHP rounds: equal,
authority Cr, or by hand). Reads only.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

import weighting
from webapp.extensions import db
from webapp.models import Expert, Response, ResponseStatus, Round, RoundKind, RoundStatus, WeightAnswer
from webapp.services import ahp_blocks, ahp_rounds
from webapp.services.g1bwm_answers import answer_of, expert_weights, method_of


@dataclass
class BlockResult:
    parent: str
    children: tuple
    pseudonyms: list                 # experts whose answer counts, panel order
    individual: np.ndarray           # (k, n) local weights
    group: np.ndarray | None         # (n,) weighted geometric mean, None without answers
    expert_weights: np.ndarray | None
    cr: np.ndarray | None = None     # BWM input-based CR per expert
    acceptable: np.ndarray | None = None
    threshold: np.ndarray | None = None  # BWM CR limit per expert (by a_BW and n)
    answers: list = field(default_factory=list)  # the experts' answers, as posted, ids -> codes


@dataclass
class G1BWMAnalysis:
    method: str
    pseudonyms: list
    blocks: dict = field(default_factory=dict)   # parent code -> BlockResult

    def local(self) -> dict:
        out = {}
        for r in self.blocks.values():
            if r.group is not None:
                out.update({c: float(w) for c, w in zip(r.children, r.group)})
        return out


def _frozen_weights(rnd: Round, pseudonyms: list[str]) -> dict:
    options = ahp_blocks.options_of(rnd)
    frozen = options.get("weights")
    if frozen is None:  # a draft: as they would be frozen now
        experts = db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id))
        frozen, _source = ahp_blocks.resolve_weights(rnd.study, list(experts), options)
    return {p: float(frozen.get(p, 1.0)) for p in pseudonyms}


def analysis_of(rnd: Round) -> G1BWMAnalysis:
    method = method_of(rnd)
    rows = db.session.execute(
        select(Expert.pseudonym, WeightAnswer).join(Response, Response.id == WeightAnswer.response_id)
        .join(Expert, Expert.id == Response.expert_id)
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)).all()
    by_expert: dict[str, dict[int, list]] = {}
    for pseudonym, row in rows:
        by_expert.setdefault(pseudonym, {}).setdefault(row.parent_node_id, []).append(row)
    pseudonyms = sorted(by_expert, key=lambda p: (len(p), p))
    alpha = _frozen_weights(rnd, pseudonyms)
    out = G1BWMAnalysis(method=method, pseudonyms=pseudonyms)
    for parent, kids in ahp_rounds.round_blocks(rnd):
        ids = [c.id for c in kids]
        names, vectors, crs, oks, limits, answers = [], [], [], [], [], []
        code = {c.id: c.code for c in kids}
        for p in pseudonyms:
            answer = answer_of(method, by_expert[p].get(parent.id, []), ids)
            if answer is None:
                continue
            result = expert_weights(method, answer, ids)
            names.append(p)
            vectors.append(result.weights)
            answers.append(_coded(answer, code))
            if method == "bwm":
                crs.append(float(result.cr_input))
                oks.append(bool(result.acceptable))
                limits.append(float(result.cr_input_threshold))
        n = len(ids)
        individual = np.array(vectors, dtype=float).reshape(len(vectors), n)
        a = np.array([alpha[p] for p in names]) if names else None
        group = weighting.aggregate(individual, weights=a).weights if names else None
        out.blocks[parent.code] = BlockResult(parent.code, tuple(c.code for c in kids), names, individual, group, a,
                                              np.array(crs) if method == "bwm" else None,
                                              np.array(oks) if method == "bwm" else None,
                                              np.array(limits) if method == "bwm" else None, answers)
    return out


def _coded(answer: dict, code: dict) -> dict:
    if "order" in answer:
        return {"order": [code[n] for n in answer["order"]], "ratios": list(answer["ratios"])}
    return {"best": code[answer["best"]], "worst": code[answer["worst"]],
            "best_to_others": {code[n]: v for n, v in answer["best_to_others"].items()},
            "others_to_worst": {code[n]: v for n, v in answer["others_to_worst"].items()}}


class NotPublishable(ValueError):
    """The round has no weights to publish."""


METHOD_TEXT = {"g1": "G1 (order relation analysis, Guo Yajun): w_n = (1 + sum_k prod_{i>=k} r_i)^-1, "
                     "w_{k-1} = r_k w_k; group: weighted geometric mean (AIP)",
               "bwm": "Best-worst method, linear model (Rezaei 2016), input-based CR (Liang, Brunelli & "
                      "Rezaei 2020); group: weighted geometric mean (AIP)"}


def publishable_weights(rnd: Round) -> dict:
    """The contract's PublishableWeights of a closed G1 or BWM round (kind "g1" / "bwm")."""
    method = method_of(rnd)
    if method not in ("g1", "bwm"):
        raise NotPublishable(_("Only a G1 or BWM round's weights can be published from here."))
    if rnd.status is not RoundStatus.closed:
        raise NotPublishable(_("Close the round before publishing its weights."))
    analysis = analysis_of(rnd)
    if any(r.group is None for r in analysis.blocks.values()):
        raise NotPublishable(_("Some block has no group result yet: no submitted answers."))
    options = ahp_blocks.options_of(rnd)
    rounds = dict(db.session.execute(
        select(Round.kind, func.count()).where(Round.study_id == rnd.study_id, Round.status == RoundStatus.closed)
        .group_by(Round.kind)).all())
    invited = db.session.scalar(select(func.count()).select_from(Expert).where(
        Expert.study_id == rnd.study_id, Expert.revoked_at.is_(None)))
    return {
        "kind": method,
        "local_weights": analysis.local(),
        "block_cr": {}, "block_s_star": {}, "global_intervals": {},
        "method": {"method": method, "formula": METHOD_TEXT[method], "aggregation": "aip_geometric",
                   "expert_weights": options["expert_weights"]},
        "panel": {"experts_invited": int(invited or 0), "experts_used": list(analysis.pseudonyms),
                  "rounds": {"delphi": int(rounds.get(RoundKind.delphi, 0)),
                             "ahp": int(rounds.get(RoundKind.ahp, 0))}},
        "provenance": {"round_ids": [rnd.id], "round_numbers": [rnd.number],
                       "responses_used": len(analysis.pseudonyms), "settings": copy.deepcopy(rnd.settings or {})},
    }
