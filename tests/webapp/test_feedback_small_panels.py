"""Small panels must not reveal individual answers (issue 15), and the questionnaire builds only
what it shows (issue 9)."""
from __future__ import annotations

import re

from tests.helpers.panels import answer, close_round, open_round

import delphi
from webapp.extensions import db
from webapp.models import Expert, Round, Study
from webapp.services import panel as panel_service
from webapp.services import round_lifecycle, round_scope, studies
from webapp.services.feedback import feedback_for

WITHHELD = "Not enough answers to show the group result."


def page(client, round_id):
    response = client.get(f"/expert/rounds/{round_id}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_two_answers_show_no_group_result(app, expert_client, panel):
    """With two respondents, counts plus one's own answer would give the other's exact ratings."""
    round1, nodes = open_round(app, panel.study_id)
    answer(app, panel.experts[0][0], round1, [5, 2, 1, 4], submit=True, comments=["Mine", None, None, None])
    answer(app, panel.experts[1][0], round1, [4, 3, 2, 4], submit=True, comments=["Theirs", None, None, None])
    close_round(app, round1)
    round2, _ = open_round(app, panel.study_id)
    html = page(expert_client, round2)
    assert html.count(WITHHELD) == len(nodes)
    assert "experts rated it" not in html and "<dt>Median</dt>" not in html and "Theirs" not in html
    assert 'class="bar own"' not in html                      # no distribution chart at all
    assert re.search(r"Your last answer:\s*5</p>", html)      # the expert's own answer stays
    zh = expert_client.get(f"/expert/rounds/{round2}?lang=zh").get_data(as_text=True)
    assert "作答人数不足，暂不显示专家组结果。" in zh


def test_the_rule_holds_per_indicator(app, expert_client, panel):
    """Four respondents, but two said "no opinion" on B: A is shown, B is not."""
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _), values in zip(panel.experts, [[5, 2, 1, 4], [4, "na", 2, 4], [4, "na", 4, 5],
                                                      [2, 4, 5, 5]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    round2, _ = open_round(app, panel.study_id)
    with app.app_context():
        fb = feedback_for(db.session.get(Expert, panel.experts[0][0]), db.session.get(Round, round2))
    a, b = fb[nodes[0]], fb[nodes[1]]
    assert not a.withheld and a.n == 4 and a.median == 4 and sum(a.counts) == 4
    assert b.withheld and b.n == 2 and b.counts == [] and b.median is None and b.own_value == 2
    assert page(expert_client, round2).count(WITHHELD) == 1


def test_group_filtered_feedback_follows_the_same_rule(app, panel):
    round1, nodes = open_round(app, panel.study_id)
    with app.app_context():
        experts = [db.session.get(Expert, e) for e, _ in panel.experts]
        for expert, group in zip(experts, ["regulator", "regulator", "regulator", "academia"]):
            panel_service.update_profile(expert, {"stakeholder_group": group})
        db.session.commit()
    for (expert_id, _), values in zip(panel.experts, [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    round2, _ = open_round(app, panel.study_id)
    with app.app_context():
        me, rnd = db.session.get(Expert, panel.experts[0][0]), db.session.get(Round, round2)
        regulators = feedback_for(me, rnd, group="regulator")[nodes[0]]
        platform = feedback_for(me, rnd, group="academia")[nodes[0]]
    assert not regulators.withheld and regulators.n == 3 and regulators.median == 4   # 5, 4, 4
    assert platform.withheld and platform.n == 1 and platform.counts == []


def test_the_minimum_is_a_setting_frozen_on_the_round(app, expert_client, panel):
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _), values in zip(panel.experts[:2], [[5, 2, 1, 4], [4, 3, 2, 4]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    with app.app_context():
        study = db.session.get(Study, panel.study_id)
        studies.set_analysis_options(study, min_paired=6, min_feedback_respondents=2)  # the study's setting
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        assert rnd.settings["min_feedback_respondents"] == 2
        round2 = rnd.id
    html = page(expert_client, round2)
    assert WITHHELD not in html and "2 experts rated it" in html


def test_the_questionnaire_builds_only_what_it_shows(app, expert_client, panel, monkeypatch):
    """No Kendall's W, stability, consensus or authority for an expert's page."""
    round1, _ = open_round(app, panel.study_id)
    for (expert_id, _), values in zip(panel.experts, [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    round2, _ = open_round(app, panel.study_id)

    def refuse(*_args, **_kwargs):
        raise AssertionError("the questionnaire computed more than it shows")

    for name in ("kendall_w", "stability", "authority", "stopping"):
        monkeypatch.setattr(delphi, name, refuse)
    monkeypatch.setattr(delphi.ConsensusRule, "evaluate", refuse)
    html = page(expert_client, round2)
    assert "<dt>Median</dt>" in html and WITHHELD not in html
