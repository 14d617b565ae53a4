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
from importlib import resources

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Expert, StakeholderGroup, Study, User, hash_token
from webapp.services import accounts, studies
from webapp.services.hierarchy_io import parse_json, validate_tree

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
    ("王建国", "广州海关技术中心", StakeholderGroup.regulator, "very",
     {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "medium"}),
    ("李秀英", "中国检验认证集团广东有限公司", StakeholderGroup.platform, "very",
     {"practice": "high", "theory": "high", "literature": "medium", "intuition": "low"}),
    ("张伟", "江门海关技术中心", StakeholderGroup.regulator, "familiar",
     {"practice": "medium", "theory": "medium", "literature": "high", "intuition": "medium"}),
    ("刘洋", "华南理工大学", StakeholderGroup.academia, "familiar",
     {"practice": "low", "theory": "high", "literature": "high", "intuition": "medium"}),
    ("陈静", "拱北海关技术中心", StakeholderGroup.platform, "moderate",
     {"practice": "high", "theory": "low", "literature": "medium", "intuition": "medium"}),
    ("Olivia Chen", "Pearl River Instruments Ltd.", StakeholderGroup.enterprise, "familiar",
     {"practice": "medium", "theory": "low", "literature": "low", "intuition": "high"}),
    ("赵敏", "广东省标准化研究院", StakeholderGroup.academia, "very",
     {"practice": "medium", "theory": "high", "literature": "high", "intuition": "low"}),
    ("黄磊", "佛山市质量技术监督检测中心", StakeholderGroup.enterprise, "moderate",
     {"practice": "high", "theory": "medium", "literature": "low", "intuition": "medium"}),
]


def seed_hierarchy_bytes() -> bytes:
    return resources.files("webapp").joinpath("data/seed-indicators.json").read_bytes()


def _derived_secret(purpose: str, length: int = 32) -> str:
    digest = hmac.new(current_app.secret_key.encode(), f"concordia-demo:{purpose}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


@dataclass
class DemoLogins:
    username: str
    password: str
    experts: list[tuple[str, str | None]]  # pseudonym, token (None if reissued since)
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
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        created = True
    experts = []
    for i, (name, organisation, group, familiarity, basis) in enumerate(DEMO_PANEL, start=1):
        pseudonym = f"E{i:02d}"
        token = _derived_secret(f"study{study.id}:{pseudonym}", 43)
        expert = db.session.scalar(select(Expert).where(Expert.study_id == study.id,
                                                        Expert.pseudonym == pseudonym))
        if expert is None:
            invitation = studies.add_expert(
                study, name=name, organisation=organisation, pseudonym=pseudonym,
                email=f"expert{i:02d}@example.org", stakeholder_group=group, familiarity=familiarity,
                basis=basis, years_experience=5 + 3 * i, field="检验检测 / testing and inspection")
            expert = invitation.expert
            expert.token_hash = hash_token(token)
            created = True
        experts.append((pseudonym, token if expert.token_hash == hash_token(token) else None))
    db.session.flush()
    return DemoLogins(DEMO_USERNAME, password, experts, created)


def seed_hierarchy() -> dict:
    return json.loads(seed_hierarchy_bytes())
