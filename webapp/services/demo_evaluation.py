"""The demo's evaluation: five fictitious platforms scored with the finished study's weight set v1.

Reproducible (fixed seed) and idempotent: a second ``load-demo`` finds the evaluation and adds nothing.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from webapp.models import Evaluation
from webapp.services import evaluations as svc

TITLE = "2026 年度平台服务质量第三方评价（示例）· Third-party evaluation 2026 (example)"
PLATFORMS = [  # (name, overall level, spread, description)
    ("华东检测公共服务平台 · East China Testing Platform", 91, 5, "省级检验检测公共技术服务平台，CMA/CNAS 认可，服务长三角企业。"),
    ("滨海计量测试服务中心 · Binhai Metrology Centre", 84, 6, "Municipal metrology and testing centre serving port enterprises."),
    ("西部材料检测平台 · Western Materials Testing", 76, 7, "材料与化学检测为主，近三年扩建实验室。"),
    ("北方食品安全检测站 · Northern Food Safety Lab", 67, 8, "Food-safety laboratory; strong on testing, weaker on outreach."),
    ("南岭新兴产业检测基地 · Nanling Emerging Industries Base", 55, 9, "新建平台，服务能力仍在建设中。"),
]


def load_demo_evaluation(study) -> Evaluation | None:
    """Create (once) the demo evaluation on the study's latest published weight set; None without one."""
    existing = [e for e in svc.evaluations_of(study) if e.title == TITLE]
    if existing:
        return existing[0]
    versions = svc.published_versions(study)
    if not versions:
        return None
    evaluation = svc.create_evaluation(
        study, weight_set_id=versions[0].id, title=TITLE, kind="third_party",
        purpose="评价五个检验检测公共技术服务平台的服务质量，为资源配置与改进提供依据。\n\n"
                "Assess the service quality of five testing platforms to guide support and improvement.",
        period_start=date(2026, 1, 1), period_end=date(2026, 6, 30))
    leaves = svc.tree_of(evaluation).leaves
    rng = np.random.default_rng(20260701)
    table = {}
    for name, level, spread, _ in PLATFORMS:
        values = np.clip(np.round(rng.normal(level, spread, len(leaves))), 0, 100)
        table[name] = {code: float(v) for code, v in zip(leaves, values)}
    svc.import_scores(evaluation, table, source="demo")
    for obj, (_, _, _, description) in zip(evaluation.objects, PLATFORMS):
        svc.set_object_description(obj, description)
    svc.update_report_contents(
        evaluation,
        evaluating_body="示例检验检测认证研究院（第三方评价机构）· Example Institute of Testing and Certification",
        participants="评价组 3 人：组长（高级工程师，15 年检验检测管理经验）、两名评价员（注册审核员）。",
        guidance="专家建议各平台加强客户满意度回访，并公开服务时限承诺。",
        conclusions="**总体结论 / Overall**：两家平台达到四星及以上；南岭基地需重点提升服务能力。\n\n"
                    "1. 缩短检测报告周期 · shorten report turnaround;\n2. 加强人才队伍建设 · build up expert staff.")
    svc.finish(evaluation)
    return evaluation
