"""Feedback by stakeholder group (issue 10): an option of the round, frozen at open. From round 2
experts see the whole panel's result and their own group's (median, IQR, n), each only with at
least ``min_feedback_respondents`` answers.

Round 1 ratings of the first indicator (A), by group:
  regulator  E01 5, E02 4, E03 4, E04 2   → sorted 2 4 4 5
  academia   E05 3, E06 1                 → two answers: below the minimum of 3
  no group   E07 5
Quartiles as R type 7 (Hyndman & Fan 1996, definition 7; the round's "quantile_type"):
  h = (n − 1)·p + 1, Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
  Regulators (n = 4): Q1 h = 1.75 → 2 + 0.75·(4 − 2) = 3.5; median h = 2.5 → 4; Q3 h = 3.25 → 4 + 0.25·1 = 4.25.
  Whole panel (n = 7: 1 2 3 4 4 5 5): Q1 h = 2.5 → 2.5; median h = 4 → 4; Q3 h = 5.5 → 4.5.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers.panels import answer, close_round, make_panel, open_round
from webapp.extensions import db
from webapp.models import Expert, InvalidTransition, Round
from webapp.services import panel as panel_service
from webapp.services.round_settings import settings_of

GROUPS = ["regulator", "regulator", "regulator", "regulator", "academia", "academia", None]
ROUND1 = [[5, 4, 4, 4], [4, 4, 3, 4], [4, 5, 5, 4], [2, 3, 4, 4], [3, 2, 2, 2], [1, 2, 2, 3], [5, 5, 5, 5]]


@pytest.fixture
def seven(app, make_study, make_expert):
    panel = make_panel(app, make_study, make_expert, n=7)
    with app.app_context():
        for (expert_id, _token), group in zip(panel.experts, GROUPS):
            panel_service.update_profile(db.session.get(Expert, expert_id), {"stakeholder_group": group})
        db.session.commit()
    round1, _nodes = open_round(app, panel.study_id)
    for (expert_id, _token), values in zip(panel.experts, ROUND1):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    return panel


def expert_page(app, panel, k, round_id, lang="en") -> str:
    client = app.test_client()
    client.get(f"/i/{panel.experts[k][1]}")
    response = client.get(f"/expert/rounds/{round_id}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def first_panel(html: str) -> str:
    """The feedback box of the first indicator."""
    return html.split('class="q-feedback"', 1)[1].split("</details>", 1)[0].split('class="q-item', 1)[0]


def test_an_expert_sees_their_own_groups_figures(app, seven):
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    html = expert_page(app, seven, 0, round2)
    box = first_panel(html)
    figures = re.findall(r"<dt>(Median|Interquartile range)</dt><dd[^>]*>([^<]*)</dd>", box)
    assert figures[:2] == [("Median", "4"), ("Interquartile range", "2.5–4.5")]      # whole panel, n = 7
    assert "7 experts rated it" in box
    assert "Your group (Government and regulators)" in box and "4 experts rated it" in box
    assert re.search(r'data-testid="group-median">4<', box)
    assert re.search(r'data-testid="group-iqr">3\.5–4\.25<', box)
    assert html.count('data-testid="group-feedback"') == 4                                 # every indicator
    zh = expert_page(app, seven, 0, round2, lang="zh")
    assert "本类别（政府及监管部门）" in zh


def test_a_small_group_is_hidden(app, seven):
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    html = expert_page(app, seven, 4, round2)        # E05, academia: two answers
    assert html.count('data-testid="group-feedback-withheld"') == 4
    assert "Too few answers in your group to show its result." in html
    assert 'data-testid="group-median"' not in html
    assert "7 experts rated it" in html             # the whole panel's result stays
    zh = expert_page(app, seven, 4, round2, lang="zh")
    assert "本类别作答人数不足，暂不显示其结果。" in zh
    # an expert without a group sees the whole panel only
    assert 'data-testid="group-feedback' not in expert_page(app, seven, 6, round2)


def test_the_setting_off_shows_the_overall_result_only(app, seven):
    round2, _ = open_round(app, seven.study_id)
    html = expert_page(app, seven, 0, round2)
    assert "7 experts rated it" in html and 'data-testid="group-feedback' not in html
    assert "Your group" not in html


def test_the_setting_is_frozen_at_open_and_set_on_the_round_form(app, seven, coordinator_client):
    from webapp.models import Study, User
    from sqlalchemy import select

    with app.app_context():       # hand the study to alice, who is logged in
        study = db.session.get(Study, seven.study_id)
        study.owner_id = db.session.scalar(select(User.id).where(User.username == "alice"))
        db.session.commit()
    response = coordinator_client.post(f"/studies/{seven.study_id}/rounds/new", data={
        "title": "", "instructions": "", "scale": "1-5", "scope": "all", "allow_comments": "y",
        "feedback_by_group": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.study_id == seven.study_id, Round.number == 2))
        assert settings_of(rnd).feedback_by_group is True and rnd.settings["feedback_by_group"] is True
        round_id = rnd.id
    edit = coordinator_client.get(f"/studies/{seven.study_id}/rounds/{round_id}/edit?lang=en").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="feedback_by_group"|<input[^>]*name="feedback_by_group"[^>]*checked',
                     edit)
    with app.app_context():
        from webapp.services import round_lifecycle

        rnd = db.session.get(Round, round_id)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        with pytest.raises(InvalidTransition):
            rnd.settings = {**rnd.settings, "feedback_by_group": False}
        db.session.rollback()
        assert settings_of(db.session.get(Round, round_id)).feedback_by_group is True
