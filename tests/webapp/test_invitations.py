"""Invitation links shown again (HMAC tokens), kept out of logs, QR codes, sheets, IM text."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from tests.webapp.test_setup_support import links_in, open_link, snapshot
from webapp.extensions import db
from webapp.models import AuditEvent, Expert, Study

SECRET = "test-secret-key"  # tests/conftest.py make_app


def expected_token(expert_id: int, generation: int) -> str:
    """The documented formula, computed here independently of webapp.models:
    base64url(HMAC-SHA256(SHA-256("concordia-invitation-links:" + SECRET_KEY),
                          "concordia-invitation/1:<id>:<generation>")) without padding."""
    key = hashlib.sha256(b"concordia-invitation-links:" + SECRET.encode()).digest()
    mac = hmac.new(key, f"concordia-invitation/1:{expert_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    from tests.webapp.test_setup_support import alice_id

    return make_study(alice_id(app))


def links_page(client, study_id, **query):
    return client.get(f"/studies/{study_id}/panel/links", query_string={"lang": "en", **query}).get_data(as_text=True)


def test_a_token_is_the_hmac_of_the_expert_and_generation_and_only_its_hash_is_stored(app, study_id, make_expert):
    expert_id, token = make_expert(study_id, name="A")
    assert token == expected_token(expert_id, 1)
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM expert")).all()
        assert token not in str(stored)
        assert db.session.get(Expert, expert_id).token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_links_can_be_shown_again_without_changing_them(app, study_id, coordinator_client, make_expert):
    a_id, a_token = make_expert(study_id, name="A", email="a@example.org")
    b_id, b_token = make_expert(study_id, name="B")
    before = snapshot(app)["expert"]
    first = links_page(coordinator_client, study_id)
    second = links_page(coordinator_client, study_id)
    assert links_in(first) == links_in(second) == [f"http://localhost/i#{a_token}", f"http://localhost/i#{b_token}"]
    assert snapshot(app)["expert"] == before  # nothing reissued
    assert open_link(app.test_client(), links_in(first)[0]).status_code == 302
    # filtered to the experts just added
    assert links_in(links_page(coordinator_client, study_id, experts=str(b_id))) == [f"http://localhost/i#{b_token}"]
    with app.app_context():  # showing links is audited
        assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "expert.links_shown")
                                 .order_by(AuditEvent.id)) == {"experts": 2}


def test_reissue_moves_to_the_next_generation_and_refuses_the_old_link(app, study_id, coordinator_client,
                                                                     make_expert):
    expert_id, old = make_expert(study_id, name="A")
    coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/reissue")
    [url] = links_in(links_page(coordinator_client, study_id))
    new = url.split("#")[1]
    assert new == expected_token(expert_id, 2) != old
    browser = app.test_client()
    assert open_link(browser, f"http://localhost/i#{old}").status_code == 404
    assert app.test_client().get(f"/i/{old}").status_code == 404
    assert open_link(app.test_client(), url).status_code == 302
    # revoke: the link is refused and no longer shown or downloaded
    coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/revoke")
    assert open_link(app.test_client(), url).status_code == 403
    page = links_page(coordinator_client, study_id)
    assert links_in(page) == [] and "The link is revoked" in page
    assert new not in coordinator_client.get(f"/studies/{study_id}/panel/links.csv").get_data(as_text=True)
    # issuing again gives generation 3, not the revoked link back
    coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/reissue")
    assert links_in(links_page(coordinator_client, study_id))[0].endswith(expected_token(expert_id, 3))


def test_a_link_from_before_re_displayable_links_asks_for_a_reissue(app, study_id, coordinator_client, make_expert):
    expert_id, _ = make_expert(study_id, name="Old")
    legacy = "legacy-random-token-from-an-older-version"
    with app.app_context():
        expert = db.session.get(Expert, expert_id)
        expert.token_hash = hashlib.sha256(legacy.encode()).hexdigest()
        expert.token_generation = 0
        db.session.commit()
    assert app.test_client().get(f"/i/{legacy}").status_code == 302  # links already sent keep working
    page = links_page(coordinator_client, study_id)
    assert links_in(page) == [] and "issued before links could be shown again" in page


def test_the_token_never_reaches_the_server_in_a_url(app, study_id, coordinator_client, make_expert):
    """The link is /i#<token>: the browser requests /i (no token), then posts the token."""
    _, token = make_expert(study_id, name="A")
    [url] = links_in(links_page(coordinator_client, study_id))
    assert url == f"http://localhost/i#{token}" and "/i/" not in url
    browser = app.test_client()
    page = browser.get("/i?lang=en")
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    assert 'src="/static/js/enter.js"' in page.get_data(as_text=True)
    assert browser.post("/i", data={"token": token}).headers["Location"].endswith("/expert/")
    assert browser.get("/expert/").status_code == 200


def test_an_expert_without_javascript_pastes_the_whole_link(app, study_id, make_expert):
    _, token = make_expert(study_id, name="A")
    browser = app.test_client()
    browser.get("/i")
    response = browser.post("/i", data={"token": f"  https://concordia.example.org/i#{token} "})
    assert response.status_code == 302 and browser.get("/expert/").status_code == 200
    refused = app.test_client()
    refused.get("/i")
    assert refused.post("/i", data={"token": "nonsense"}).status_code == 404
    assert refused.post("/i", data={"token": ""}).status_code == 400
    assert refused.post("/i", data={"token": token}, csrf=False).status_code == 400  # CSRF as everywhere


def test_qr_code_im_text_and_printable_sheet(app, study_id, coordinator_client, make_expert):
    from webapp.services import answers, between_rounds, round_lifecycle, round_scope, tree

    expert_id, token = make_expert(study_id, name="王芳", email="wang@example.org")
    en_id, en_token = make_expert(study_id, name="Olivia", locale="en")
    with app.app_context():
        study = db.session.get(Study, study_id)
        study.time_zone = "Asia/Shanghai"
        study.welcome_text = "本次咨询约需 20 分钟。"
        closes = datetime(2031, 3, 2, 10, 0, tzinfo=timezone.utc)  # 18:00 Beijing time
        rnd = round_scope.create_delphi_round(study, rated_level=1, closes_at=closes)
        round_lifecycle.open_round(rnd)
        db.session.commit()
    page = links_page(coordinator_client, study_id)
    assert len(re.findall(r'<img class="invite-qr" src="data:image/svg\+xml', page)) == 2
    assert "Message for WeChat or another messenger" in page
    # the IM text: in the expert's language, with the link and the deadline in Beijing time
    assert f"http://localhost/i#{token}" in page and "2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)" in page
    assert "专家编号：E01" in page and "Your expert number: E02" in page

    sheet = coordinator_client.get(f"/studies/{study_id}/panel/{expert_id}/sheet").get_data(as_text=True)
    assert "专家咨询邀请" in sheet and "王芳" in sheet and "本次咨询约需 20 分钟。" in sheet
    assert f"http://localhost/i#{token}" in sheet and 'src="data:image/svg+xml' in sheet
    assert "2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)" in sheet
    english = coordinator_client.get(f"/studies/{study_id}/panel/{en_id}/sheet").get_data(as_text=True)
    assert "Invitation to an expert consultation" in english and en_token in english
    assert "Invitation to an expert consultation" in coordinator_client.get(
        f"/studies/{study_id}/panel/{expert_id}/sheet?sheet_lang=en").get_data(as_text=True)
    # another study's expert: 404
    assert coordinator_client.get(f"/studies/{study_id}/panel/99999/sheet").status_code == 404


def test_links_of_another_coordinators_study_are_not_shown(app, study_id, make_expert, make_coordinator):
    from tests.conftest import login

    _, token = make_expert(study_id, name="A")
    make_coordinator("mallory")
    mallory = app.test_client()
    login(mallory, "mallory")
    for path in ("panel/links", "panel/links.csv", "invitations", "messages"):
        response = mallory.get(f"/studies/{study_id}/{path}")
        assert response.status_code == 404 and token not in response.get_data(as_text=True)
