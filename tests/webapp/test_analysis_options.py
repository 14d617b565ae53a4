"""Issue 9 leftovers: the coordinator sets the stability minimum (min_paired), the feedback
minimum (min_feedback_respondents) and the consensus rule's "agree" cut with forms on the
settings page; a round opened later freezes them and its report uses them.

Hand computations are in each test; p-values are checked against ``scipy.stats.wilcoxon``
(an independent implementation of the signed-rank test).
"""
from __future__ import annotations

import pytest
from scipy import stats
from sqlalchemy import select

from tests.helpers import snapshot
from tests.helpers.panels import answer, close_round, make_panel, open_round, text
from webapp.extensions import db
from webapp.models import AuditEvent, Round, Study, User
from webapp.services.delphi_items import round_report


@pytest.fixture
def study(app, coordinator_client, make_study, make_expert):
    """Alice's study with 4 experts (owner: the logged-in coordinator)."""
    with app.app_context():
        alice = db.session.scalar(select(User.id).where(User.username == "alice"))
    return make_panel(app, lambda: make_study(alice), make_expert, n=4)


def set_minimums(client, study_id, **values):
    return client.post(f"/studies/{study_id}/settings/analysis?lang=en", data=values)


def two_rounds(app, study, first, second) -> int:
    """Round 1 and round 2 answered by the 4 experts (first / second: one row per expert,
    a value per item, the rest of the items 3); returns round 2's id, closed."""
    ids = []
    for rows in (first, second):
        round_id, nodes = open_round(app, study.study_id)
        for (expert_id, _token), row in zip(study.experts, rows):
            answer(app, expert_id, round_id, list(row) + [3] * (len(nodes) - len(row)), submit=True)
        close_round(app, round_id)
        ids.append(round_id)
    return ids[-1]


def test_min_paired_set_by_form_makes_a_four_expert_item_judgeable(app, coordinator_client, study):
    response = set_minimums(coordinator_client, study.study_id, min_paired="3", min_feedback_respondents="4")
    assert response.status_code == 302 and response.headers["Location"].endswith("#analysis")
    with app.app_context():
        stored = db.session.get(Study, study.study_id)
        assert (stored.min_paired, stored.min_feedback_respondents) == (3, 4)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "study.analysis_options")).one()
        assert event.details == {"min_paired": 3, "min_feedback_respondents": 4}
    # Item 1: all four experts move 3 → 4. Differences 1, 1, 1, 1: 4 pairs ≥ 3, so the item is judged.
    round2 = two_rounds(app, study, [[3]] * 4, [[4]] * 4)
    with app.app_context():
        rnd = db.session.get(Round, round2)
        assert (rnd.settings["min_paired"], rnd.settings["min_feedback_respondents"]) == (3, 4)
        item = round_report(rnd).items[0]
    want = stats.wilcoxon([1, 1, 1, 1], zero_method="wilcox", correction=True, method="asymptotic").pvalue
    assert item.stability["n_paired"] == 4 and item.stability["judged"] is True
    assert item.stability["p"] == pytest.approx(want, abs=1e-12) and want > 0.05
    assert item.stability["stable"] is True  # p ≥ α = 0.05 with enough pairs
    html = text(coordinator_client.get(f"/studies/{study.study_id}/rounds/{round2}/dashboard?lang=en"))
    assert "with at least 3 experts who answered in both rounds" in html


def test_with_the_default_minimum_the_same_answers_are_not_judged(app, coordinator_client, study):
    round2 = two_rounds(app, study, [[3]] * 4, [[4]] * 4)
    with app.app_context():
        item = round_report(db.session.get(Round, round2)).items[0]
    assert item.stability["n_paired"] == 4 and item.stability["judged"] is False  # 4 < 6
    assert not item.stability["stable"]


def test_a_change_applies_only_to_rounds_opened_later(app, coordinator_client, study):
    round1, _nodes = open_round(app, study.study_id)
    before = snapshot(app)
    response = set_minimums(coordinator_client, study.study_id, min_paired="3", min_feedback_respondents="2")
    assert response.status_code == 400
    assert "Round 1 is open and uses the current settings" in text(response)
    assert snapshot(app) == before
    close_round(app, round1)
    assert set_minimums(coordinator_client, study.study_id, min_paired="3",
                        min_feedback_respondents="2").status_code == 302
    round2, _nodes = open_round(app, study.study_id)
    with app.app_context():
        frozen = [(r.settings["min_paired"], r.settings["min_feedback_respondents"])
                  for r in (db.session.get(Round, round1), db.session.get(Round, round2))]
    assert frozen == [(6, 3), (3, 2)]


@pytest.mark.parametrize("values", [
    {"min_paired": "1", "min_feedback_respondents": "3"},
    {"min_paired": "101", "min_feedback_respondents": "3"},
    {"min_paired": "six", "min_feedback_respondents": "3"},
    {"min_paired": "", "min_feedback_respondents": "3"},
    {"min_paired": "6", "min_feedback_respondents": "1"},
    {"min_paired": "6", "min_feedback_respondents": "2.5"},
])
def test_bad_minimums_are_refused_and_nothing_is_stored(app, coordinator_client, study, values):
    before = snapshot(app)
    response = set_minimums(coordinator_client, study.study_id, **values)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in text(response) or "field-error" in text(response)
    assert snapshot(app) == before


def test_the_minimums_show_on_the_settings_page_in_both_languages(app, coordinator_client, study):
    english = text(coordinator_client.get(f"/studies/{study.study_id}/settings?lang=en"))
    assert "Paired experts needed to judge stability" in english and 'value="6"' in english
    chinese = text(coordinator_client.get(f"/studies/{study.study_id}/settings?lang=zh"))
    assert "判断轮间稳定性所需的配对专家数" in chinese and "评分达到此值即计为“认同”" in chinese


# --- the "agree" cut of a custom consensus rule -------------------------------------------------

AGREE_3 = {"mode": "custom", "agreement_min": "70", "agreement_min_op": ">=", "combine": "all",
           "scale": "1-5", "agree_at": "3"}


def test_the_agree_cut_set_by_form_is_frozen_and_used_by_the_report(app, coordinator_client, study):
    response = coordinator_client.post(f"/studies/{study.study_id}/settings/consensus?lang=en", data=AGREE_3)
    assert response.status_code == 302
    with app.app_context():
        rule = db.session.get(Study, study.study_id).consensus_rule
        assert rule["agree_at"] == 3.0 and rule["agreement_min"] == 0.7
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "study.consensus_rule")).one()
        assert event.details["agree_at"] == 3.0
    round_id, nodes = open_round(app, study.study_id)
    # Item 1 rated 3, 3, 4, 2: 3 of 4 ratings are ≥ 3 → agreement 0.75 ≥ 0.70, consensus.
    # (With the default cut, the top two points 4–5, it would be 1 of 4 = 0.25.)
    for (expert_id, _token), value in zip(study.experts, [3, 3, 4, 2]):
        answer(app, expert_id, round_id, [value] + [3] * (len(nodes) - 1), submit=True)
    close_round(app, round_id)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd.settings["consensus_rule"]["agree_at"] == 3.0
        report = round_report(rnd)
    assert report.agree_at == 3.0
    assert report.items[0].stats["agreement"] == pytest.approx(0.75)
    assert bool(report.consensus.reached[0]) is True
    page = text(coordinator_client.get(f"/studies/{study.study_id}/settings?lang=en"))
    assert 'name="agree_at"' in page and 'value="3"' in page


@pytest.mark.parametrize("agree_at", ["11", "0", "x"])
def test_a_bad_agree_cut_is_refused_and_nothing_is_stored(app, coordinator_client, study, agree_at):
    """11 and "x" fail the form; 0 passes the form but is not on the 1–5 scale above its lowest point."""
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study.study_id}/settings/consensus?lang=en",
                                       data=dict(AGREE_3, agree_at=agree_at))
    assert response.status_code == 400
    assert snapshot(app) == before
