"""The demo's AHP stage: the seed indicator system weighted by pairwise comparison.

A second demo study (the Delphi demo keeps its open round 2) with the same panel:
AHP round 1 closed, answered by all eight experts (two of them inconsistent in some
blocks, kept with a reason), and AHP round 2 open with six questionnaires submitted,
so the dashboard shows every figure, convergence between rounds, and two experts
can still try the questionnaire. Judgments are drawn with a fixed seed around a
"true" weight vector per block. Idempotent through ``load_demo``.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

import ahp
from webapp.extensions import db
from webapp.models import Expert, Judgment, Study, hash_token, utcnow
from webapp.services import ahp_answers, ahp_rounds, groups, round_lifecycle, studies
from webapp.services.ahp_analysis import pair_index
from webapp.services.hierarchy_io import parse_json, validate_tree

DEMO_AHP_TITLE = ("检验检测公共技术服务平台服务质量评价指标权重（AHP 赋权阶段）· "
                  "Weighting the service-quality indicators: the AHP stage")
DEMO_AHP_DESCRIPTION = """\
德尔菲咨询确定指标体系后，专家以层次分析法（AHP）两两比较各组同级指标，得出组合权重。

After the Delphi rounds settled the indicator system, the panel compares each group of sibling
indicators pairwise (AHP) to weight them.
"""
INSTRUCTIONS = (
    "请逐组比较同一上级指标下的两项指标哪项更重要、重要多少（1–9 标度）。页面会即时显示权重和一致性比例 CR；"
    "CR 超过 0.10 时，可按提示一键修改。\n\n"
    "For each pair of sibling indicators, choose which matters more and by how much (1–9 scale). The page "
    "shows the weights and the consistency ratio CR as you go; above 0.10 it suggests the fix, one tap applies it.")
INCONSISTENT = ("E03", "E07")


def _signed(ratio: float) -> int:
    r = float(ahp.round_to_scale(ratio))
    return int(round(r)) if r >= 1 else -int(round(1 / r))


def simulate_pairwise(expert, rnd, blocks, truth, rng, *, spread, wild, now):
    """One expert's judgments of every block, scattered around the ratios of ``truth``."""
    response = ahp_answers._writable_response(expert, rnd, now)
    for parent, kids in blocks:
        w = truth[parent.code]
        for i, j in pair_index(len(kids)):
            ratio = w[i] / w[j] * float(np.exp(rng.normal(0, spread)))
            if wild and rng.random() < 0.5:
                ratio = 1 / ratio ** 1.5  # reversed and exaggerated: an inconsistent block
            db.session.add(Judgment(response=response, parent_node_id=parent.id, row_node_id=kids[i].id,
                                    col_node_id=kids[j].id, value=_signed(ratio), updated_at=now))
    db.session.flush()
    return response


def keep_with_reasons(expert, rnd, now):
    """A reason for every block the expert keeps over the consistency limit."""
    views = ahp_answers.block_views(rnd, ahp_answers.response_of(expert, rnd))
    notes = [{"block": v.parent.id, "reason": "该组指标在实践中难以严格区分。· These are hard to tell apart in practice."}
             for v in views if v.usable and not v.consistent]
    if notes:
        ahp_answers.save_judgments(expert, rnd, [], notes, now=now)


def simulate_ahp(study) -> None:
    rng = np.random.default_rng(20261201)
    now = utcnow()
    experts = sorted(study.experts, key=lambda e: e.pseudonym)
    options = {"over_threshold": "reason", "expert_weights": "authority", "bootstrap": {"resamples": 1000, "seed": 0}}
    r1 = ahp_rounds.create_ahp_round(study, options=options, now=now - timedelta(days=10),
                                     title="第一轮 AHP 两两比较 · AHP round 1", instructions=INSTRUCTIONS,
                                     closes_at=now - timedelta(days=4))
    round_lifecycle.open_round(r1, now=now - timedelta(days=9))
    blocks = ahp_rounds.round_blocks(r1)
    truth = {p.code: rng.dirichlet(np.full(len(kids), 3.0)) for p, kids in blocks}
    for k, expert in enumerate(experts):
        at = now - timedelta(days=8 - k % 3)
        simulate_pairwise(expert, r1, blocks, truth, rng, spread=0.45, wild=expert.pseudonym in INCONSISTENT, now=at)
        keep_with_reasons(expert, r1, at)
        ahp_answers.submit_judgments(expert, r1, now=at + timedelta(hours=1))
    round_lifecycle.close_round(r1, now=now - timedelta(days=4))

    group = ahp_rounds.analysis_of(r1, bootstrap=False)
    moved = {p: np.array([group.local[c] for c in kids_codes]) for p, kids_codes in
             ((b.parent, b.children) for b in group.blocks.values())}
    r2 = ahp_rounds.create_ahp_round(study, options=options, now=now - timedelta(days=3),
                                     title="第二轮 AHP 两两比较 · AHP round 2", instructions=INSTRUCTIONS,
                                     closes_at=now + timedelta(days=6), reminder_hours=48)
    round_lifecycle.open_round(r2, now=now - timedelta(days=2))
    blocks2 = ahp_rounds.round_blocks(r2)
    for k, expert in enumerate(experts[:6]):
        at = now - timedelta(hours=30 - 4 * k)
        target = {p: 0.5 * truth[p] + 0.5 * moved[p] for p in truth}
        simulate_pairwise(expert, r2, blocks2, target, rng, spread=0.25, wild=False, now=at)
        keep_with_reasons(expert, r2, at)
        ahp_answers.submit_judgments(expert, r2, now=at + timedelta(minutes=20))


# The stakeholder groups of the demo's case (testing and inspection platforms).
DEMO_GROUPS = (
    ("regulator", "监管部门", "Regulator"),
    ("platform", "检验检测平台", "Platform"),
    ("enterprise", "企业", "Enterprise"),
    ("academia", "高校及科研院所", "Academia and research institutes"),
    ("other", "其他", "Other"),
)


def load_ahp_demo(user, panel, secret, hierarchy: bytes) -> list[tuple[str, str | None]]:
    """The AHP-stage study of the demo coordinator, created once; its experts' logins.

    ``panel``: the demo's (name, organisation, group, familiarity, basis) rows; ``secret``:
    the demo's derived-secret function (tokens that stay the same between runs);
    ``hierarchy``: the seed's hierarchy/1 JSON."""
    study = db.session.scalar(select(Study).where(Study.owner_id == user.id, Study.title == DEMO_AHP_TITLE))
    if study is None:
        study = studies.create_study(user, title=DEMO_AHP_TITLE, description=DEMO_AHP_DESCRIPTION)
        groups.define_groups(study, DEMO_GROUPS)
        studies.import_hierarchy(study, validate_tree(parse_json(hierarchy)))
    logins = []
    for i, (name, organisation, group, familiarity, basis) in enumerate(panel, start=1):
        pseudonym = f"E{i:02d}"
        token = secret(f"study{study.id}:{pseudonym}", 43)
        expert = db.session.scalar(select(Expert).where(Expert.study_id == study.id, Expert.pseudonym == pseudonym))
        if expert is None:
            expert = studies.add_expert(study, name=name, organisation=organisation, pseudonym=pseudonym,
                                        email=f"expert{i:02d}@example.org", stakeholder_group=group,
                                        familiarity=familiarity, basis=basis).expert
            expert.token_hash = hash_token(token)
        logins.append((pseudonym, token if expert.token_hash == hash_token(token) else None))
    db.session.flush()
    if not study.rounds:
        simulate_ahp(study)
    return logins
