"""The demo study: the seed standard's indicator system and a small panel.

Idempotent: the demo's password and invitation tokens are derived from the
instance secret key (HMAC), so a second run finds the same rows and prints
the same working logins instead of duplicating or rotating anything.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Expert, Study, User, hash_token, utcnow
from webapp.services import accounts, demo_ahp, groups, round_lifecycle, round_scope, studies
from webapp.services.demo_ahp import DEMO_GROUPS
from webapp.services.answers import save_answers, submit_response
from webapp.services.demo_evaluation import load_demo_evaluation
from webapp.services.demo_finished import load_finished_study
from webapp.services.hierarchy_io import parse_json, seed_hierarchy_bytes, validate_tree

DEMO_USERNAME = "demo"
DEMO_TITLE = "检验检测公共技术服务平台服务质量评价指标权重咨询 · Weighting the service-quality indicators of testing platforms"
DEMO_DESCRIPTION = """\
本咨询为中国出入境检验检疫协会团体标准《检验检测公共技术服务平台服务质量评价指南》确定指标权重。
评价总分 T = T1·S1 + T2·S2 + T3·S3 + T4·S4，四个要素为**基础条件、运营能力、服务能力、服务结果**。

This consultation sets the indicator weights for the group standard *Guidelines for evaluating the
service quality of public technical service platforms for inspection and testing*. The total score is
T = T1·S1 + T2·S2 + T3·S3 + T4·S4 over four elements: **basic conditions, operating capability,
service capability and service results**.

- 每轮约需 15 分钟 · each round takes about 15 minutes
- 您的回答匿名，其他专家只能看到汇总结果 · your answers are anonymous; other experts see only the group result
"""

DEMO_PANEL = [
    # name, organisation, group, familiarity, basis
    ("王建国", "广州海关技术中心", "regulator", "very",
     {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "medium"}),
    ("李秀英", "中国检验认证集团广东有限公司", "platform", "very",
     {"practice": "high", "theory": "high", "literature": "medium", "intuition": "low"}),
    ("张伟", "江门海关技术中心", "regulator", "familiar",
     {"practice": "medium", "theory": "medium", "literature": "high", "intuition": "medium"}),
    ("刘洋", "华南理工大学", "academia", "familiar",
     {"practice": "low", "theory": "high", "literature": "high", "intuition": "medium"}),
    ("陈静", "拱北海关技术中心", "regulator", "moderate",
     {"practice": "high", "theory": "low", "literature": "medium", "intuition": "medium"}),
    ("Olivia Chen", "Pearl River Instruments Ltd.", "enterprise", "familiar",
     {"practice": "medium", "theory": "low", "literature": "low", "intuition": "high"}),
    ("赵敏", "广东省标准化研究院", "academia", "very",
     {"practice": "medium", "theory": "high", "literature": "high", "intuition": "low"}),
    ("黄磊", "佛山市质量技术监督检测中心", "enterprise", "moderate",
     {"practice": "high", "theory": "medium", "literature": "low", "intuition": "medium"}),
]


def _derived_secret(purpose: str, length: int = 32) -> str:
    digest = hmac.new(current_app.secret_key.encode(), f"concordia-demo:{purpose}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


@dataclass
class DemoLogins:
    username: str
    password: str
    experts: list[tuple[str, str | None]]  # pseudonym, token (None if reissued since)
    ahp_experts: list[tuple[str, str | None]]  # the same panel in the AHP-stage study
    created: bool


def load_demo() -> DemoLogins:
    password = _derived_secret("password", 20)
    user = db.session.scalar(select(User).where(User.username == DEMO_USERNAME))
    created = user is None
    if user is None:
        user = accounts.create_coordinator(DEMO_USERNAME, password, display_name="Demo coordinator 示例组织者")
    study = db.session.scalar(select(Study).where(Study.owner_id == user.id, Study.title == DEMO_TITLE))
    if study is None:
        study = studies.create_study(user, title=DEMO_TITLE, description=DEMO_DESCRIPTION)
        groups.define_groups(study, DEMO_GROUPS)
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        created = True
    experts = []
    for i, (name, organisation, group, familiarity, basis) in enumerate(DEMO_PANEL, start=1):
        pseudonym = f"E{i:02d}"
        expert = db.session.scalar(select(Expert).where(Expert.study_id == study.id,
                                                        Expert.pseudonym == pseudonym))
        if expert is None:
            invitation = studies.add_expert(
                study, name=name, organisation=organisation, pseudonym=pseudonym,
                email=f"expert{i:02d}@example.org", stakeholder_group=group, familiarity=familiarity,
                basis=basis, years_experience=5 + 3 * i, field="检验检测 / testing and inspection")
            expert = invitation.expert
            created = True
        experts.append((pseudonym, expert.current_token()))
    db.session.flush()
    if not study.rounds:
        simulate_rounds(study)
        created = True
    finished = load_finished_study(user)
    load_demo_evaluation(finished)
    ahp_experts = demo_ahp.load_ahp_demo(user, DEMO_PANEL, _derived_secret, seed_hierarchy_bytes())
    return DemoLogins(DEMO_USERNAME, password, experts, ahp_experts, created)


DEMO_COMMENTS = [
    "该指标在实际评价中较难量化，建议细化评分细则。",
    "Important, but overlaps with the staff-structure indicator.",
    "建议与相近指标合并。",
    "对中小企业客户尤其重要。",
    "Hard to verify without an on-site visit.",
]


def simulate_rounds(study) -> None:
    """A closed round 1 answered by the whole panel and an open round 2 half done.

    Ratings are drawn reproducibly (fixed seed) around a per-indicator
    importance, and move towards round 1's median in round 2, as panels do.
    """
    rng = np.random.default_rng(20201201)
    now = utcnow()
    experts = sorted(study.experts, key=lambda e: e.pseudonym)
    r1 = round_scope.create_delphi_round(
        study, now=now - timedelta(days=15), title="第一轮咨询 · Round 1",
        instructions=("请对每项指标的**重要性**评分（1 = 很不重要，5 = 很重要）。不熟悉的指标请选择“不熟悉，不评价”。\n\n"
                      "Rate the **importance** of each indicator (1 = not important at all, 5 = very important). "
                      "Choose “no opinion” for indicators outside your expertise."),
        closes_at=now - timedelta(days=7))
    round_lifecycle.open_round(r1, now=now - timedelta(days=14))
    importance = rng.uniform(2.6, 4.9, size=len(r1.items))
    ratings1 = {}
    for k, expert in enumerate(experts):
        values = np.clip(np.rint(importance + rng.normal(0, 0.8, size=len(importance))), 1, 5).astype(int)
        batch = []
        for j, item in enumerate(r1.items):
            no_opinion = rng.random() < 0.03
            comment = DEMO_COMMENTS[(k + j) % len(DEMO_COMMENTS)] if rng.random() < 0.05 else ""
            batch.append({"node_id": item.node_id, "value": None if no_opinion else int(values[j]),
                            "no_opinion": no_opinion, "comment": comment})
            ratings1[(expert.id, item.node_id)] = None if no_opinion else int(values[j])
        save_answers(expert, r1, batch, now=now - timedelta(days=13 - k % 5))
        submit_response(expert, r1, now=now - timedelta(days=12 - k % 5))
    round_lifecycle.close_round(r1, now=now - timedelta(days=7))

    r2 = round_scope.create_delphi_round(
        study, now=now - timedelta(days=6), title="第二轮咨询 · Round 2", drop_consensus_items=True,
        instructions=("每项指标旁显示第一轮专家组的匿名结果（中位数、四分位数间距和分布）及您所属专家类别的结果。您可以修改评分；"
                      "若您的评分落在四分位数间距之外，请简要说明理由。\n\n"
                      "Beside each indicator you see the panel's anonymous result of round 1 (median, IQR and "
                      "distribution), and your own stakeholder group's. You may revise your rating; if it lies "
                      "outside the IQR, please give a reason."),
        closes_at=now + timedelta(days=5), reminder_hours=48, feedback_by_group=True)
    round_lifecycle.open_round(r2, now=now - timedelta(days=5))
    medians = {}
    for item in r2.items:
        values = [v for (e, n), v in ratings1.items() if n == item.node_id and v is not None]
        medians[item.node_id] = float(np.median(values)) if values else 3.0
    for k, expert in enumerate(experts[:5]):
        batch = []
        for item in r2.items:
            before = ratings1.get((expert.id, item.node_id))
            target = medians[item.node_id]
            value = before if before is not None else int(round(target))
            if rng.random() < 0.6:
                value = int(np.clip(round((value + target) / 2 + rng.normal(0, 0.3)), 1, 5))
            batch.append({"node_id": item.node_id, "value": value})
        if k == 4:
            batch = batch[: len(batch) // 2]  # E05 is half-way through
        save_answers(expert, r2, batch, now=now - timedelta(days=4 - k % 3))
        if k < 4:
            submit_response(expert, r2, now=now - timedelta(days=3 - k % 3))


def seed_hierarchy() -> dict:
    return json.loads(seed_hierarchy_bytes())
