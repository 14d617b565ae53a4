"""Who may see a round's dashboard and exports: its study's coordinator, nobody else."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login
from tests.webapp.test_dashboard_support import alice, build_round
from webapp.extensions import db
from webapp.services.exports import TABLES

SUFFIXES = ["dashboard", "dashboard?group=regulator", "dashboard?group=compare", "export.xlsx",
            *(f"export/{name}.csv" for name in TABLES)]


@pytest.fixture
def built(app, coordinator_client):
    return build_round(app, alice(app))


def urls(study_id, round_id):
    return [f"/studies/{study_id}/rounds/{round_id}/{suffix}" for suffix in SUFFIXES]


def counts(app):
    from webapp.models import AuditEvent, Rating, Response, Round

    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Round, Response, Rating, AuditEvent)}


def test_the_owner_gets_every_url(coordinator_client, built):
    for path in urls(built.study_id, built.round_id):
        assert coordinator_client.get(path).status_code == 200, path


def test_another_coordinator_gets_404_everywhere(app, make_coordinator, built):
    client = app.test_client()  # `built` logged alice in on the default client
    make_coordinator("mallory")
    login(client, "mallory", PASSWORD)
    before = counts(app)
    for path in urls(built.study_id, built.round_id):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Name E01" not in response.data and b"e01@example.org" not in response.data
    assert counts(app) == before


def test_a_round_of_another_study_is_404_through_ones_own_study(app, make_coordinator, built):
    """Mallory owns a study too: her study id with alice's round id finds nothing."""
    client = app.test_client()
    mallory = make_coordinator("mallory")
    own = build_round(app, mallory, title="Mallory's study")
    login(client, "mallory", PASSWORD)
    assert client.get(f"/studies/{own.study_id}/rounds/{own.round_id}/dashboard").status_code == 200
    for path in urls(own.study_id, built.round_id):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/studies/{own.study_id}/rounds/999999/dashboard").status_code == 404


def test_unknown_table_and_ahp_rounds_are_404(app, coordinator_client, built):
    from webapp.models import Round, RoundKind, Study

    assert coordinator_client.get(
        f"/studies/{built.study_id}/rounds/{built.round_id}/export/secrets.csv").status_code == 404
    with app.app_context():
        study = db.session.get(Study, built.study_id)
        ahp = Round(study=study, number=9, kind=RoundKind.ahp)
        db.session.add(ahp)
        db.session.commit()
        ahp_id = ahp.id
    assert coordinator_client.get(f"/studies/{built.study_id}/rounds/{ahp_id}/dashboard").status_code == 404


def test_an_expert_session_gets_nothing(app, built):
    client = app.test_client()
    assert client.get(f"/i/{built.tokens['E01']}").status_code in (200, 302)
    before = counts(app)
    for path in urls(built.study_id, built.round_id):
        response = client.get(path)
        assert response.status_code in (302, 401, 403, 404), path
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
        assert b"Name E02" not in response.data and b"e02@example.org" not in response.data
        assert not response.headers.get("Content-Disposition")
    assert counts(app) == before


def test_anonymous_visitors_are_sent_to_log_in(app, built):
    client = app.test_client()
    for path in urls(built.study_id, built.round_id):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
