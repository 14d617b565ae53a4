"""Issue 9, "Numbers that hold": figures a coordinator publishes stay right.

Uses the two-round study of ``test_dashboard_support``: round 1 answered by E01–E04 (closed),
round 2 by E01–E03 (E04 dropped out). Every expected figure is computed by hand below.
"""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from tests.webapp.test_dashboard_support import alice, build_two_rounds

import delphi
from webapp.extensions import db
from webapp.models import AuditEvent, Round, Study
from webapp.services import round_lifecycle, round_scope, studies
from webapp.services.delphi_items import round_report, stop_decision
from webapp.services.round_settings import settings_of
from webapp.services.studies import StudyError

MEAN_3 = {"mode": "custom", "mean_min": "3", "mean_min_op": ">=", "combine": "all", "scale": ""}


@pytest.fixture
def two_rounds(app, coordinator_client):
    return build_two_rounds(app, alice(app))


def consensus_count(app, round_id) -> int:
    with app.app_context():
        return round_report(db.session.get(Round, round_id)).consensus.n_reached


def test_changing_the_rule_while_a_round_is_open_is_refused_and_changes_nothing(app, coordinator_client, two_rounds):
    """The reported defect: with round 2 open, "mean ≥ 3.0" changed closed round 1's count, unrecorded.
    Round 1 (cn-standard: mean > 3.5 and CV < 0.25): A 4.25/0.225 and B 4.25/0.118 pass, C (3.0) and
    D (2.33) fail → 2 of 4. Under "mean ≥ 3.0" it would be 3 of 4 (C's mean is exactly 3)."""
    assert consensus_count(app, two_rounds.round_id) == 2
    with app.app_context():
        before = (db.session.get(Study, two_rounds.study_id).consensus_rule,
                  db.session.scalar(select(db.func.count(AuditEvent.id))))
    response = coordinator_client.post(f"/studies/{two_rounds.study_id}/settings/consensus?lang=en", data=MEAN_3)
    assert response.status_code == 400
    assert "Round 2 is open and uses the current settings" in response.get_data(as_text=True)
    with app.app_context():
        after = (db.session.get(Study, two_rounds.study_id).consensus_rule,
                 db.session.scalar(select(db.func.count(AuditEvent.id))))
    assert after == before
    assert consensus_count(app, two_rounds.round_id) == 2
    # Round 2: A 5,4,4 and B 4,4,5 (mean 4.33, CV 0.133) and C 4,3,4 (3.67, CV 0.157) pass; D 1,3,3 fails.
    assert consensus_count(app, two_rounds.round2_id) == 3


def test_a_later_rule_applies_only_to_rounds_opened_later_and_is_audited(app, coordinator_client, two_rounds):
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, two_rounds.round2_id))
        db.session.commit()
    response = coordinator_client.post(f"/studies/{two_rounds.study_id}/settings/consensus", data=MEAN_3)
    assert response.status_code == 302
    assert consensus_count(app, two_rounds.round_id) == 2      # closed rounds keep their frozen rule
    assert consensus_count(app, two_rounds.round2_id) == 3      # (under "mean ≥ 3": also 3, by chance)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "study.consensus_rule")).one()
        assert event.details["mean_min"] == 3.0
        study = db.session.get(Study, two_rounds.study_id)
        rnd3 = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd3)
        assert settings_of(rnd3).rule.criteria == {"mean_min": 3.0}
        assert settings_of(db.session.get(Round, two_rounds.round_id)).rule.name == "cn-standard"
        db.session.rollback()


def test_other_study_settings_are_refused_too_while_a_round_is_open(app, two_rounds):
    with app.app_context():
        study = db.session.get(Study, two_rounds.study_id)
        with pytest.raises(StudyError):
            studies.set_authority_tables(study, basis=None, familiarity=None)
        with pytest.raises(round_lifecycle.RoundError):
            from webapp.services.between_rounds import set_stopping_rule
            set_stopping_rule(study, max_rounds=5, stability_alpha=0.1)
        db.session.rollback()


def test_opening_freezes_what_the_analysis_depends_on(app, two_rounds):
    from webapp.models import InvalidTransition

    with app.app_context():
        rnd = db.session.get(Round, two_rounds.round2_id)
        frozen = rnd.settings
        assert frozen["consensus_rule"] == delphi.ConsensusRule.preset("cn-standard").to_dict()
        assert frozen["authority_tables"]["familiarity"] == delphi.check_familiarity_scale(
            delphi.DEFAULT_FAMILIARITY_SCALE)
        assert (frozen["alpha"], frozen["min_paired"], frozen["min_feedback_respondents"]) == (0.05, 6, 3)
        assert frozen["wilcoxon"] == {"zero_method": "wilcox", "correction": True, "method": "asymptotic"}
        assert frozen["no_opinion"] == "missing" and frozen["quantile_type"] == 7
        with pytest.raises(InvalidTransition):
            rnd.settings = dict(frozen, alpha=0.1)
        db.session.rollback()


def test_the_dashboard_and_the_export_print_the_rounds_settings(app, coordinator_client, two_rounds):
    html = coordinator_client.get(
        f"/studies/{two_rounds.study_id}/rounds/{two_rounds.round_id}/dashboard?lang=en").get_data(as_text=True)
    assert "Settings of this round" in html
    assert "α = 0.05" in html and "at least 6 paired experts" in html
    notes = coordinator_client.get(f"/studies/{two_rounds.study_id}/rounds/{two_rounds.round_id}/export.xlsx")
    assert notes.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(notes.data))[load_workbook(io.BytesIO(notes.data)).sheetnames[-1]]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "Mean > 3.5 and Coefficient of variation (CV) < 0.25" in text
    assert "α = 0.05" in text


# --- one aligned pair of rounds ----------------------------------------------------------------

# Hand computation, item A: round 1 = 5, 4, 5, 3 (E01–E04): mean 4.25, SD √(2.75/3) = 0.957427,
# CV 0.225277; round 2 = 5, 4, 4 (E01–E03): mean 4.3333, SD √(0.6667/2) = 0.577350, CV 0.133235.
# CV change = −0.092042. Paired experts: E01 5→5, E02 4→4, E03 5→4: n = 3, changed 1/3.
CV1_A, CV2_A = 0.957427 / 4.25, 0.577350 / (13 / 3)


def test_cv_change_compares_each_rounds_own_cv_with_an_expert_who_dropped_out(app, coordinator_client, two_rounds):
    with app.app_context():
        r1 = round_report(db.session.get(Round, two_rounds.round_id))
        r2 = round_report(db.session.get(Round, two_rounds.round2_id))
        a = r2.items[0].stability
        assert r1.items[0].stats["cv"] == pytest.approx(CV1_A, abs=1e-6)
        assert a["cv_previous"] == pytest.approx(CV1_A, abs=1e-6)     # = the trend table's round-1 CV
        assert a["cv_change"] == pytest.approx(CV2_A - CV1_A, abs=1e-6)  # −0.0920, not +0.0095
        assert (a["n_paired"], a["changed"]) == (3, pytest.approx(1 / 3))
        stop = stop_decision(db.session.get(Round, two_rounds.round2_id))
    rows = list(csv.reader(io.StringIO(coordinator_client.get(
        f"/studies/{two_rounds.study_id}/rounds/{two_rounds.round2_id}/export/items.csv?lang=en")
        .get_data(as_text=True).lstrip("\ufeff"))))
    header, first = rows[0], rows[1]
    assert float(first[header.index("CV change")]) == pytest.approx(CV2_A - CV1_A, abs=1e-6)
    # The stop advice uses the same pair: 3 paired experts < 6, so no item can be judged stable.
    assert stop.n_stable == 0 and stop.not_judged == (0, 1, 2, 3)


# --- stability on small panels -----------------------------------------------------------------

def test_four_experts_all_moving_up_is_not_stable_by_default(app, coordinator_client, make_study, make_expert):
    """Wilcoxon on four +1 differences: W+ = 10, σ² = 4·5·9/24 − (4³ − 4)/48 = 6.25 (all |d| tied),
    z = (10 − 5 − 0.5)/2.5 = 1.8, p = 0.0719: "stable" at α = 0.05 by the test alone. With fewer than
    6 paired experts it must not be called stable."""
    from webapp.services.answers import save_answers, submit_response

    sid = make_study(alice(app))
    for _ in range(4):
        make_expert(sid)
    with app.app_context():
        study = db.session.get(Study, sid)
        experts = sorted(study.experts, key=lambda e: e.pseudonym)
        rounds = []
        for shift in (0, 1):
            rnd = round_scope.create_delphi_round(study, rated_level=1)
            round_lifecycle.open_round(rnd)
            for k, expert in enumerate(experts):
                save_answers(expert, rnd, [{"node_id": i.node_id, "value": 2 + (k + j) % 3 + shift}
                                           for j, i in enumerate(rnd.items)])
                submit_response(expert, rnd)
            round_lifecycle.close_round(rnd)
            rounds.append(rnd.id)
        db.session.commit()
        report = round_report(db.session.get(Round, rounds[1]))
        item = report.items[0].stability
        assert item["p"] == pytest.approx(0.0719, abs=5e-4) and item["changed"] == 1.0
        assert item["judged"] is False and item["stable"] is False
        stop = stop_decision(db.session.get(Round, rounds[1]))
        assert stop.n_stable == 0 and len(stop.not_judged) == 4 and stop.reason != "stable"
    html = coordinator_client.get(f"/studies/{sid}/rounds/{rounds[1]}/dashboard?lang=en").get_data(as_text=True)
    assert "not enough paired answers to judge stability" in html
    assert "Too few pairs" in html
