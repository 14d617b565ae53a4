"""The "round n is open" message promises the previous round's group results only when there
are some (found by the whole-study browser test: round 1's message promised them)."""
from __future__ import annotations

from tests.webapp.test_dashboard_support import alice, build_two_rounds
from webapp.extensions import db


def test_only_a_later_delphi_round_promises_the_previous_results(app, coordinator_client):
    from webapp.models import MessageKind, Round, Study
    from webapp.services.mail import compose

    built = build_two_rounds(app, alice(app))
    with app.test_request_context():
        study = db.session.get(Study, built.study_id)
        expert = study.experts[0]
        first, second = db.session.get(Round, built.round_id), db.session.get(Round, built.round2_id)
        for locale, promise in (("en", "results of the previous round"), ("zh", "上一轮专家组的匿名汇总结果")):
            expert.locale = locale
            one, two = compose(MessageKind.round_open, expert, first), compose(MessageKind.round_open, expert, second)
            assert promise not in one.body and ("Round 1 of" in one.body or "第 1 轮已开始" in one.body)
            assert promise in two.body
