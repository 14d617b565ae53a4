"""Feedback by stakeholder group is frozen with the closed round's report (issue 16 "Cost").

Round 1 of ``test_group_feedback.py`` (seven experts; ratings of the first indicator A):
  regulator  E01 5, E02 4, E03 4, E04 2   → n 4, Q1 3.5, median 4, Q3 4.25 (R type 7, worked there)
  academia   E05 3, E06 1                 → n 2 (below the minimum of 3: withheld)
  no group   E07 5
When E05 joins the regulators after the close, their result is over 2 3 4 4 5 (n 5):
  h = (n − 1)·p + 1: Q1 h = 2 → 3; median h = 3 → 4; Q3 h = 4 → 4.
"""
from __future__ import annotations

import re

import numpy as np
from sqlalchemy import select, update
from tests.helpers import count_queries
from tests.helpers.panels import BASIS, open_round
from tests.webapp.test_group_feedback import ROUND1, expert_page, first_panel, seven  # noqa: F401 (fixture)

from webapp.extensions import db
from webapp.models import Expert, FrozenReport, Rating, Response, Round
from webapp.services import frozen_reports, groups, panel as panel_service
from webapp.services.round_data import RoundData


def rating_reads(statements) -> list[str]:
    """Statements reading the rating table for more than one expert's own answers."""
    return [s for s in statements if re.search(r"\b(FROM|JOIN)\s+rating\b", s)
            and not re.search(r"response\.expert_id = |= rating\.response_id\b", s)]


def answers_reads(statements) -> list[str]:
    """Statements reading a frozen report's answers (the panel's whole matrix)."""
    return [s for s in statements if "round_report.answers" in s]


def group_box(html: str) -> tuple[str, str]:
    box = first_panel(html)
    return (re.search(r'data-testid="group-median">([^<]*)<', box).group(1),
            re.search(r'data-testid="group-iqr">([^<]*)<', box).group(1))


def round1_of(app, panel) -> int:
    with app.app_context():
        return db.session.scalar(select(Round.id).where(Round.study_id == panel.study_id, Round.number == 1))


def test_the_close_freezes_each_groups_result(app, seven):
    round1 = round1_of(app, seven)
    with app.app_context():
        by_group = db.session.get(FrozenReport, round1).feedback["by_group"]
        node_a = str(by_group["nodes"][0])
        ids = [expert_id for expert_id, _token in seven.experts]
        assert sorted(by_group["members"]) == ["academia", "regulator"]              # no group: left out
        assert by_group["members"]["regulator"] == ids[:4] and by_group["members"]["academia"] == ids[4:6]
        assert sorted(by_group["submitters"]) == sorted(ids)
        regulators = by_group["items"]["regulator"][node_a]
        assert (regulators["n"], regulators["q1"], regulators["median"], regulators["q3"]) == (4, 3.5, 4, 4.25)
        assert regulators["counts"] == [0, 1, 0, 2, 1]                              # 2, 4, 4, 5
        assert by_group["items"]["academia"][node_a]["n"] == 2


def test_the_questionnaire_reads_the_frozen_group_result(app, seven):
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    client = app.test_client()
    client.get(f"/i/{seven.experts[0][1]}")
    with count_queries(app) as q:
        html = client.get(f"/expert/rounds/{round2}?lang=en").get_data(as_text=True)
    assert group_box(html) == ("4", "3.5–4.25")
    assert rating_reads(q.statements) == [] and answers_reads(q.statements) == []
    with app.app_context():      # the rating rows are not what the page shows: the frozen result is
        round1 = round1_of(app, seven)
        db.session.execute(update(Rating).where(Rating.response_id.in_(
            select(Response.id).where(Response.round_id == round1))).values(value=1))
        db.session.commit()
    assert group_box(expert_page(app, seven, 0, round2)) == ("4", "3.5–4.25")


def test_a_report_frozen_before_groups_is_completed_by_its_first_reader(app, seven):
    round1 = round1_of(app, seven)
    with app.app_context():
        row = db.session.get(FrozenReport, round1)
        expected = row.feedback["by_group"]
        row.feedback = {k: v for k, v in row.feedback.items() if k != "by_group"}   # as frozen before
        db.session.commit()
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    client = app.test_client()
    client.get(f"/i/{seven.experts[0][1]}")
    with count_queries(app) as q:
        first = client.get(f"/expert/rounds/{round2}?lang=en").get_data(as_text=True)
    assert answers_reads(q.statements)                        # computed from the frozen answers, once …
    assert rating_reads(q.statements) == []
    assert group_box(first) == ("4", "3.5–4.25")
    with app.app_context():                                   # … and stored with the report
        assert db.session.get(FrozenReport, round1).feedback["by_group"] == expected
    with count_queries(app) as q:
        again = client.get(f"/expert/rounds/{round2}?lang=en").get_data(as_text=True)
    assert answers_reads(q.statements) == [] and group_box(again) == group_box(first)


def test_an_expert_who_changed_group_since_the_close_counts_in_the_new_group(app, seven):
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    with app.app_context():
        panel_service.update_profile(db.session.get(Expert, seven.experts[4][0]), {"stakeholder_group": "regulator"})
        db.session.commit()
    html = expert_page(app, seven, 0, round2)
    assert group_box(html) == ("4", "3–4") and "5 experts rated it" in first_panel(html).split("Your group", 1)[1]
    # E06 is now alone in academia: withheld, as a fresh computation would say
    assert expert_page(app, seven, 5, round2).count('data-testid="group-feedback-withheld"') == 4


def test_a_group_without_submitters_is_withheld(app, seven, make_expert):
    """A group created after the close, whose only member joined after it: n = 0 on every item."""
    round2, _ = open_round(app, seven.study_id, feedback_by_group=True)
    with app.app_context():
        groups.add_group(db.session.get(Round, round2).study, code="newcomers", name_en="Newcomers", name_zh="新成员")
        db.session.commit()
    expert_id, token = make_expert(seven.study_id, stakeholder_group="newcomers", familiarity="familiar",
                                   basis=dict(BASIS))
    client = app.test_client()
    client.get(f"/i/{token}")
    with count_queries(app) as q:
        html = client.get(f"/expert/rounds/{round2}?lang=en").get_data(as_text=True)
    assert answers_reads(q.statements) == []                  # the frozen path: nobody of round 1 is a newcomer
    assert html.count('data-testid="group-feedback-withheld"') == 4
    assert "7 experts rated it" in html                       # the whole panel's result stays
    assert frozen_reports.nobodys_feedback([11, 12], 1, 5)[11] == {
        "n": 0, "median": None, "q1": None, "q3": None, "counts": [0] * 5, "comments": []}


def test_the_frozen_group_result_equals_a_fresh_computation(app, seven):
    """Every group's frozen figures equal ``feedback_of`` over that group's rows of the submitted answers."""
    round1 = round1_of(app, seven)
    with app.app_context():
        rnd = db.session.get(Round, round1)
        stored = frozen_reports.frozen_group_feedback(rnd)
        answers = RoundData(rnd.study).submitted(rnd)
        for code in ("regulator", "academia"):
            rows = [i for i, e in enumerate(answers.experts) if e.group_code == code]
            fresh = frozen_reports.feedback_of(answers, stored["nodes"], rnd.scale_min, rnd.scale_max, rows=rows)
            assert {int(k): v for k, v in stored["items"][code].items()} == fresh
        # and the regulators' medians straight from ROUND1 (E01–E04), per indicator
        medians = np.median(np.array(ROUND1[:4], dtype=float), axis=0)
        assert [stored["items"]["regulator"][str(n)]["median"] for n in stored["nodes"]] == list(medians)
