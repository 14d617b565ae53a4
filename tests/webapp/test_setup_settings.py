"""Study settings: title and description, consensus rule, authority tables."""
from __future__ import annotations

import copy

import pytest

import delphi
from tests.helpers import snapshot
from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    return make_study(alice_id(app))


def stored(app, study_id):
    from webapp.models import Study

    with app.app_context():
        study = db.session.get(Study, study_id)
        return study.title, study.description, study.default_locale, study.consensus_rule, study.authority_tables


def rule_of(app, study_id):
    from webapp.models import Study
    from webapp.services import studies

    with app.app_context():
        return studies.consensus_rule_of(db.session.get(Study, study_id))


def tables_of(app, study_id):
    from webapp.models import Study
    from webapp.services import studies

    with app.app_context():
        return studies.authority_tables_of(db.session.get(Study, study_id))


def authority_form(basis=delphi.DEFAULT_BASIS_TABLE, familiarity=delphi.DEFAULT_FAMILIARITY_SCALE) -> dict:
    data = {f"basis_{s}_{lv}": str(w) for s, row in basis.items() for lv, w in row.items()}
    data.update({f"familiarity_{lv}": str(w) for lv, w in familiarity.items()})
    return data


def test_defaults_while_nothing_is_chosen(app, study_id, coordinator_client):
    assert stored(app, study_id)[3:] == (None, None)
    assert rule_of(app, study_id) == delphi.ConsensusRule.preset("cn-standard")
    basis, familiarity = tables_of(app, study_id)
    assert basis == delphi.check_basis_table(delphi.DEFAULT_BASIS_TABLE)
    assert familiarity == delphi.check_familiarity_scale(delphi.DEFAULT_FAMILIARITY_SCALE)
    page = coordinator_client.get(f"/studies/{study_id}/settings?lang=en").get_data(as_text=True)
    assert "Mean &gt; 3.5 and Coefficient of variation (CV) &lt; 0.25" in page
    assert delphi.BASIS_TABLE_SOURCE[:40] in page and delphi.FAMILIARITY_SCALE_SOURCE[:40] in page
    zh = coordinator_client.get(f"/studies/{study_id}/settings?lang=zh").get_data(as_text=True)
    assert "均数 &gt; 3.5 且 变异系数 CV &lt; 0.25" in zh


def test_save_title_description_and_language(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/settings", data={
        "title": "  新标题 · New title ", "description": "**Welcome** <script>alert(1)</script>",
        "default_locale": "en"})
    assert response.status_code == 302
    title, description, locale, *_ = stored(app, study_id)
    assert (title, locale) == ("新标题 · New title", "en")
    overview = coordinator_client.get(f"/studies/{study_id}").get_data(as_text=True)
    assert "<strong>Welcome</strong>" in overview and "<script>alert(1)" not in overview


def test_an_empty_title_is_refused(app, study_id, coordinator_client):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/settings?lang=en", data={
        "title": "", "description": "x", "default_locale": "zh"})
    assert response.status_code == 400 and "This field is required." in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("name", delphi.ConsensusRule.presets())
def test_choose_a_preset(app, study_id, coordinator_client, name):
    response = coordinator_client.post(f"/studies/{study_id}/settings/consensus", data={"mode": name})
    assert response.status_code == 302
    assert stored(app, study_id)[3] == delphi.ConsensusRule.preset(name).to_dict()
    assert rule_of(app, study_id) == delphi.ConsensusRule.preset(name)


def test_a_preset_ignores_whatever_the_hidden_custom_fields_hold(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/settings/consensus", data={
        "mode": "agreement-75", "mean_min": "abc", "cv_max": "-3"})
    assert response.status_code == 302
    assert rule_of(app, study_id) == delphi.ConsensusRule.preset("agreement-75")


def test_custom_thresholds(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/settings/consensus", data={
        "mode": "custom", "mean_min": "4", "mean_min_op": ">", "cv_max": "0.2", "cv_max_op": "<=",
        "agreement_min": "80", "agreement_min_op": ">=", "median_min": "", "combine": "any", "scale": "1-5"})
    assert response.status_code == 302
    rule = rule_of(app, study_id)
    assert rule.criteria == {"mean_min": 4.0, "cv_max": 0.2, "agreement_min": 0.8}
    assert rule.strict == frozenset({"mean_min"}) and rule.combine == "any" and rule.scale == (1.0, 5.0)
    assert rule.operator("mean_min") == ">" and rule.operator("cv_max") == "<="
    page = coordinator_client.get(f"/studies/{study_id}/settings?lang=en").get_data(as_text=True)
    assert "Mean &gt; 4 or Coefficient of variation (CV) ≤ 0.2 or Agreement (ratings 4–5) ≥ 80% (scale 1–5)" in page
    assert 'value="80"' in page  # shown again as a percentage


@pytest.mark.parametrize("fields, message", [
    ({"agreement_min": "150"}, "Number must be between 0 and 100."),
    ({"cv_max": "-0.1"}, "Number must be between 0 and 10."),
    ({"mean_min": "abc"}, "Not a valid float value."),
    ({}, "Set at least one threshold for a custom consensus rule."),
    ({"mean_min": "3.5", "combine": "sometimes"}, "Not a valid choice."),
], ids=["share over 100%", "negative cv", "not a number", "no threshold", "bad combine"])
def test_a_bad_custom_rule_is_refused(app, study_id, coordinator_client, fields, message):
    coordinator_client.post(f"/studies/{study_id}/settings/consensus", data={"mode": "iqr-agreement"})
    before = snapshot(app)
    data = {"mode": "custom", "combine": "all", "scale": ""}
    data.update(fields)
    response = coordinator_client.post(f"/studies/{study_id}/settings/consensus?lang=en", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert rule_of(app, study_id) == delphi.ConsensusRule.preset("iqr-agreement")


def test_the_service_refuses_what_delphi_refuses(app, study_id):
    from webapp.models import Study
    from webapp.services import studies
    from webapp.services.studies import StudyError

    with app.test_request_context():
        study = db.session.get(Study, study_id)
        with pytest.raises(StudyError, match="between 0% and 100%"):
            studies.set_consensus_rule(study, thresholds={"agreement_min": 1.5})
        with pytest.raises(StudyError, match="cannot be negative"):
            studies.set_consensus_rule(study, thresholds={"iqr_max": -1})
        with pytest.raises(StudyError, match="Unknown consensus rule"):
            studies.set_consensus_rule(study, preset="nope")
        with pytest.raises(StudyError, match="refused"):
            studies.set_consensus_rule(study, thresholds={"mean_min": 3}, scale=(5, 1))
        assert study.consensus_rule is None


def test_custom_authority_tables_and_back_to_the_defaults(app, study_id, coordinator_client):
    basis = copy.deepcopy(delphi.DEFAULT_BASIS_TABLE)
    basis["literature"] = {"high": 0.05, "medium": 0.05, "low": 0.05}
    familiarity = {"very": 1.0, "familiar": 0.8, "moderate": 0.5, "little": 0.2, "unfamiliar": 0.0}
    response = coordinator_client.post(f"/studies/{study_id}/settings/authority", data=authority_form(basis, familiarity))
    assert response.status_code == 302
    assert stored(app, study_id)[4] == {"basis": basis, "familiarity": familiarity}
    assert tables_of(app, study_id) == (basis, familiarity)
    page = coordinator_client.get(f"/studies/{study_id}/settings?lang=en").get_data(as_text=True)
    assert "custom tables" in page and 'value="0.05"' in page
    assert coordinator_client.post(f"/studies/{study_id}/settings/authority/reset").status_code == 302
    assert stored(app, study_id)[4] is None
    assert tables_of(app, study_id)[1] == delphi.DEFAULT_FAMILIARITY_SCALE


@pytest.mark.parametrize("change, message", [
    ({"basis_practice_high": "0.7"}, "add up to 1.2"),
    ({"familiarity_very": "1.5"}, "Every weight must be a number between 0 and 1."),
    ({"basis_theory_low": ""}, "Every weight must be a number between 0 and 1."),
    ({"familiarity_little": "x"}, "Every weight must be a number between 0 and 1."),
], ids=["Ca over 1", "weight over 1", "blank", "not a number"])
def test_bad_authority_tables_are_refused(app, study_id, coordinator_client, change, message):
    before = snapshot(app)
    data = authority_form()
    data.update(change)
    response = coordinator_client.post(f"/studies/{study_id}/settings/authority?lang=en", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_settings_are_audited(app, study_id, coordinator_client):
    from sqlalchemy import select

    from webapp.models import AuditEvent

    coordinator_client.post(f"/studies/{study_id}/settings/consensus", data={"mode": "agreement-75"})
    coordinator_client.post(f"/studies/{study_id}/settings/authority", data=authority_form())
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.study_id == study_id)).all()
    assert "study.consensus_rule" in actions and "study.authority_tables" in actions
