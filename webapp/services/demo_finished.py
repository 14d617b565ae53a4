"""The finished example study of the demo: twelve simulated experts, two closed Delphi rounds and
one AHP round on the seed hierarchy, weight sets v1 (Delphi) and v2 (AHP) published and public — so every page is filled and the API serves
a set at once.

Reproducible (fixed seed) and idempotent: a second ``load-demo`` finds the study and adds nothing.
Answers scatter around a hidden "true" importance per indicator (so the true weight vector is that
importance normalised within each sibling group, the Delphi formula); two experts are much noisier
(inconsistent), and in round 2 everyone moves part of the way towards round 1's median.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ItemDecision, Study, User, utcnow
from webapp.services import (ahp_answers, ahp_rounds, between_rounds, groups, round_lifecycle, round_scope, studies,
                             weight_sets)
from webapp.services.demo_ahp import DEMO_GROUPS, keep_with_reasons, simulate_pairwise
from webapp.services.answers import save_answers, submit_response
from webapp.services.hierarchy_io import parse_json, seed_hierarchy_bytes, validate_tree

FINISHED_TITLE = ("已完成示例：检验检测平台服务质量评价指标权重 · "
                  "Finished example: weights of the testing-platform service-quality indicators")
FINISHED_DESCRIPTION = """\
本示例研究已完成两轮德尔菲专家咨询和一轮 AHP 两两比较（12 名模拟专家），并已发布权重集 v1（德尔菲）和 v2（AHP）。

A finished example: two Delphi rounds and one AHP round with twelve simulated experts, weight sets
v1 (Delphi) and v2 (AHP) published and readable by anyone through the API.
"""
CONCLUSIONS = """\
两轮咨询后专家意见趋于一致（肯德尔和谐系数提高）；AHP 轮的群组权重与德尔菲均值权重一致，建议采用权重集 v2 作为团体标准附录的指标权重。

After two rounds the panel's opinions converged (Kendall's W rose); the AHP round's group weights
agree with the Delphi mean weights, and we propose weight set v2 for the standard's annex.
"""
SEED = 20261201
NOISY = {4, 9}  # the two inconsistent experts (0-based)
GROUPS = ["regulator", "platform", "enterprise", "academia"]
FIELDS = ["检验检测 / testing", "标准化 / standardisation", "质量管理 / quality management"]


def _answers(rnd, values) -> list[dict]:
    return [{"node_id": item.node_id, "value": None if v is None else int(v), "no_opinion": v is None}
            for item, v in zip(rnd.items, values)]


def load_finished_study(owner: User) -> Study:
    study = db.session.scalar(select(Study).where(Study.owner_id == owner.id, Study.title == FINISHED_TITLE))
    if study is not None:
        return study
    rng = np.random.default_rng(SEED)
    now = utcnow()
    study = studies.create_study(owner, title=FINISHED_TITLE, description=FINISHED_DESCRIPTION)
    groups.define_groups(study, DEMO_GROUPS)
    studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
    experts = []
    for i in range(12):
        basis = {"practice": ["high", "medium"][i % 2], "theory": ["medium", "high", "low"][i % 3],
                 "literature": "medium", "intuition": ["low", "medium"][i % 2]}
        invitation = studies.add_expert(
            study, name=f"示例专家 {i + 1:02d}", pseudonym=f"E{i + 1:02d}", email=f"panel{i + 1:02d}@example.org",
            organisation="示例单位 / Example organisation", stakeholder_group=GROUPS[i % 4],
            familiarity=["very", "familiar", "familiar", "moderate"][i % 4], basis=basis,
            years_experience=6 + (7 * i) % 25, field=FIELDS[i % 3])
        experts.append(invitation.expert)
    db.session.flush()

    r1 = round_scope.create_delphi_round(study, now=now - timedelta(days=40), title="第一轮咨询 · Round 1",
                                         closes_at=now - timedelta(days=30))
    round_lifecycle.open_round(r1, now=now - timedelta(days=39))
    truth = rng.uniform(2.8, 4.8, size=len(r1.items))       # the hidden importance of each indicator
    first = np.empty((len(experts), len(truth)))
    for k, expert in enumerate(experts):
        noise = rng.normal(0, 1.6 if k in NOISY else 0.55, size=len(truth))
        values = np.clip(np.rint(truth + noise), 1, 5)
        first[k] = values
        rated = [None if rng.random() < 0.003 else v for v in values]  # rare "no opinion"
        save_answers(expert, r1, _answers(r1, rated), now=now - timedelta(days=38 - k % 5))
        submit_response(expert, r1, now=now - timedelta(days=37 - k % 5))
    round_lifecycle.close_round(r1, now=now - timedelta(days=30))
    for item in r1.items:
        between_rounds.set_item_decision(item, ItemDecision.keep.value)

    r2 = round_scope.create_delphi_round(study, nodes=[item.node for item in r1.items],
                                         now=now - timedelta(days=28), title="第二轮咨询 · Round 2",
                                         closes_at=now - timedelta(days=15))
    round_lifecycle.open_round(r2, now=now - timedelta(days=27))
    median = np.median(first, axis=0)
    for k, expert in enumerate(experts):
        pull = 0.3 if k in NOISY else 0.6
        values = np.clip(np.rint(first[k] + pull * (median - first[k]) + rng.normal(0, 0.3, size=len(median))), 1, 5)
        save_answers(expert, r2, _answers(r2, values), now=now - timedelta(days=26 - k % 5))
        submit_response(expert, r2, now=now - timedelta(days=25 - k % 5))
    round_lifecycle.close_round(r2, now=now - timedelta(days=15))
    for item in r2.items:
        between_rounds.set_item_decision(item, ItemDecision.keep.value)
    weight_sets.publish(study, r2, by=owner, label="两轮德尔菲咨询后 · after two Delphi rounds",
                        now=now - timedelta(days=14))

    # The AHP round weighs the agreed system: each expert's judgments scatter around the ratios
    # of the hidden importances (so AHP and Delphi agree on the true weights); two are inconsistent.
    importance = {item.node_id: value for item, value in zip(r1.items, truth)}
    r3 = ahp_rounds.create_ahp_round(study, options={"over_threshold": "reason", "expert_weights": "authority",
                                                     "bootstrap": {"resamples": 1000, "seed": 0}},
                                     now=now - timedelta(days=13), title="第三轮 AHP 两两比较 · Round 3 (AHP)",
                                     closes_at=now - timedelta(days=5))
    round_lifecycle.open_round(r3, now=now - timedelta(days=12))
    blocks = ahp_rounds.round_blocks(r3)
    block_truth = {parent.code: np.array([importance[kid.id] for kid in kids]) for parent, kids in blocks}
    for k, expert in enumerate(experts):
        at = now - timedelta(days=11 - k % 4)
        simulate_pairwise(expert, r3, blocks, block_truth, rng, spread=0.35, wild=k in NOISY, now=at)
        keep_with_reasons(expert, r3, at)
        ahp_answers.submit_judgments(expert, r3, now=at + timedelta(hours=1))
    round_lifecycle.close_round(r3, now=now - timedelta(days=5))
    round_lifecycle.finish_study(study)
    weight_sets.publish(study, r3, by=owner, label="AHP 赋权后 · after the AHP round", now=now - timedelta(days=4))
    weight_sets.set_api_public(study, True)
    study.conclusions = CONCLUSIONS
    db.session.flush()
    return study
