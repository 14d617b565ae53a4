"""Issue 9: services are given the acting user (audit log) and the base URL of links by the
web layer; they no longer read Flask-Login's ``current_user`` or call ``url_for``."""
from __future__ import annotations

import re

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, Study, User
from webapp.services import audit, invitations, studies


def actors(app, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.actor).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def alice_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == "alice"))


def test_a_coordinators_page_records_them_as_the_actor(app, coordinator_client, make_study):
    study_id = make_study(alice_id(app))
    response = coordinator_client.post(f"/studies/{study_id}/settings/analysis",
                                       data={"min_paired": "5", "min_feedback_respondents": "3"})
    assert response.status_code == 302
    assert actors(app, "study.analysis_options") == [f"coordinator:{alice_id(app)}"]


def test_outside_a_request_the_actor_is_the_system_unless_given(app, make_study):
    study_id = make_study()
    with app.app_context():
        study = db.session.get(Study, study_id)
        studies.set_analysis_options(study, min_paired=5, min_feedback_respondents=3)
        with audit.acting_as("coordinator:42"):
            studies.set_analysis_options(study, min_paired=4, min_feedback_respondents=3)
        studies.set_analysis_options(study, min_paired=6, min_feedback_respondents=3)
        db.session.commit()
    assert actors(app, "study.analysis_options") == ["system", "coordinator:42", "system"]


def test_the_binding_ends_with_the_request(app, coordinator_client, make_study):
    """After a coordinator's request, work outside any request is the system's again."""
    study_id = make_study(alice_id(app))
    assert coordinator_client.get(f"/studies/{study_id}/settings").status_code == 200
    with app.app_context():
        assert audit.actor_of() == "system"
        assert invitations.base_url() == "http://127.0.0.1:5000"


def test_an_account_change_names_the_user(app, coordinator_client):
    response = coordinator_client.post("/account/email", data={"email": "alice@example.org"})
    assert response.status_code in (200, 302)
    assert actors(app, "user.email") == [f"coordinator:{alice_id(app)}"]


def test_links_use_the_address_the_coordinator_used(app, coordinator_client, make_study, make_expert):
    study_id = make_study(alice_id(app))
    make_expert(study_id, name="王建国")
    html = coordinator_client.get(f"/studies/{study_id}/panel/links",
                                  base_url="https://localhost:8443/consult").get_data(as_text=True)
    assert re.search(r"https://localhost:8443/consult/i#[A-Za-z0-9_-]{43}", html)
    app.config["PUBLIC_BASE_URL"] = "https://public.example.net/"
    html = coordinator_client.get(f"/studies/{study_id}/panel/links",
                                  base_url="https://localhost:8443/consult").get_data(as_text=True)
    assert "https://public.example.net/i#" in html and "https://localhost:8443/consult/i#" not in html
