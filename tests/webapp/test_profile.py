"""The descriptive expert profile Chinese Delphi papers report (职称, 学历, age band,
organisation type) and the panel make-up that counts it, never naming anybody."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.webapp.test_setup_support import alice_id, snapshot
from webapp.extensions import db
from webapp.models import Expert

PROFILE = {"name": "王建国", "email": "wang@example.org", "organisation": "广州海关技术中心", "field": "检验检测",
           "years_experience": "20", "stakeholder_group": "regulator", "familiarity": "very",
           "basis_practice": "high", "basis_theory": "medium", "basis_literature": "medium", "basis_intuition": "low",
           "title": "senior", "education": "doctorate", "age_band": "50-59", "organisation_type": "government"}


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    return make_study(alice_id(app))


def test_profile_fields_are_stored_and_counted_without_names(app, study_id, coordinator_client, make_expert):
    a, _ = make_expert(study_id, name="王建国")
    make_expert(study_id, name="李秀英", title="associate", education="doctorate", age_band="40-49",
                organisation_type="university")
    make_expert(study_id, name="张伟")
    response = coordinator_client.post(f"/studies/{study_id}/panel/{a}", data=PROFILE)
    assert response.status_code == 302
    with app.app_context():
        expert = db.session.get(Expert, a)
        assert (expert.title, expert.education, expert.age_band, expert.organisation_type) == (
            "senior", "doctorate", "50-59", "government")
    page = coordinator_client.get(f"/studies/{study_id}/panel?lang=en").get_data(as_text=True)
    makeup = page.split('id="makeup"', 1)[1].split("</section>", 1)[0]
    assert "Professional title (职称)" in makeup and "Senior (正高级)" in makeup
    assert '<th scope="row">Doctorate</th><td class="num">2</td>' in makeup
    assert '<th scope="row">not given</th><td class="num">1</td>' in makeup
    assert "王建国" not in makeup and "李秀英" not in makeup and "张伟" not in makeup
    zh = coordinator_client.get(f"/studies/{study_id}/panel?lang=zh").get_data(as_text=True)
    assert "专家组构成" in zh and "博士" in zh


def test_an_unknown_profile_value_is_refused_and_changes_nothing(app, study_id, coordinator_client, make_expert):
    a, _ = make_expert(study_id, name="A")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/{a}", data=PROFILE | {"title": "emperor"})
    assert response.status_code == 400
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.get(Expert, a).title is None


def test_the_expert_gives_them_in_the_self_assessment(app, study_id, make_expert):
    _, token = make_expert(study_id, name="A")
    expert = app.test_client()
    expert.get(f"/i/{token}")
    page = expert.get("/expert/profile?lang=zh").get_data(as_text=True)
    assert "职称" in page and "学历" in page
    data = {k: v for k, v in PROFILE.items() if k not in ("name", "email", "organisation")}
    assert expert.post("/expert/profile", data=data).status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Expert).where(Expert.study_id == study_id))
        assert (stored.title, stored.organisation_type) == ("senior", "government")
