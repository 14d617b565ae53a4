"""Invitation e-mails through a real SMTP server in the test process (aiosmtpd): the
mail-merge preview, per-expert delivery status, the expert's language, no SMTP →
nothing claims to be sent; the round-open notice."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.webapp.smtp_server import smtp_server  # noqa: F401 (fixture)
from tests.webapp.test_setup_support import alice_id, open_link, snapshot
from webapp.extensions import db
from webapp.models import DeliveryStatus, Expert, Message, Study


@pytest.fixture
def study_id(app, coordinator_client, make_study, make_expert):
    """A Chinese study (Beijing time) with an open round closing 2031-03-02 18:00 Beijing
    time: E01 王芳 (zh), E02 Olivia (en), E03 without e-mail, E04 revoked."""
    from webapp.services import answers, between_rounds, round_lifecycle, round_scope, tree

    sid = make_study(alice_id(app))
    make_expert(sid, name="王芳", email="wang@example.org", organisation="复旦大学")
    make_expert(sid, name="Olivia Chen", email="olivia@example.org", locale="en")
    make_expert(sid, name="张伟")
    revoked, _ = make_expert(sid, name="Gone", email="gone@example.org")
    with app.app_context():
        study = db.session.get(Study, sid)
        study.time_zone = "Asia/Shanghai"
        db.session.get(Expert, revoked).revoke()
        rnd = round_scope.create_delphi_round(study, rated_level=1, closes_at=datetime(2031, 3, 2, 10, 0, tzinfo=timezone.utc))
        round_lifecycle.open_round(rnd)
        db.session.commit()
    return sid


WELCOME = "本研究旨在构建检验检测平台服务质量评价指标体系，约需 20 分钟。"


def test_the_preview_shows_every_message_and_sends_and_keeps_nothing(app, study_id, coordinator_client,
                                                                     smtp_server):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/invitations?lang=en", data={
        "welcome_text": WELCOME, "recipients": "all", "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview: 2 messages" in page
    assert "专家咨询邀请" in page and "Invitation to the expert consultation" in page  # each in their language
    assert WELCOME in page and "2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)" in page
    with app.app_context():
        tokens = [e.current_token() for e in db.session.get(Study, study_id).experts if e.email and not e.is_revoked]
    assert all(f"/i#{token}" in page for token in tokens)
    assert smtp_server.messages == []
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0
        assert db.session.get(Study, study_id).welcome_text == ""


def test_send_invitations_through_smtp_with_a_status_per_expert(app, study_id, coordinator_client, smtp_server):
    smtp_server.refuse = {"olivia@example.org"}
    response = coordinator_client.post(f"/studies/{study_id}/invitations?lang=en", data={
        "welcome_text": WELCOME, "recipients": "all", "action": "send"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Invitations sent to 1 experts." in page and "1 failed" in page and "550" in page
    [msg] = smtp_server.messages
    assert str(msg["To"]) == "王芳 <wang@example.org>" and msg["Subject"] == "专家咨询邀请：“Seed study”"
    body = msg.get_content()
    assert WELCOME in body and "请于 2031-03-02 18:00 (Asia/Shanghai, UTC+08:00) 前完成填写。" in body
    link = next(line for line in body.splitlines() if "/i#" in line).strip()
    assert open_link(app.test_client(), link).status_code == 302  # the link in the e-mail works
    with app.app_context():
        rows = {r.recipient: r for r in db.session.scalars(select(Message))}
        assert rows["wang@example.org"].status is DeliveryStatus.sent and rows["wang@example.org"].sent_at
        assert rows["olivia@example.org"].status is DeliveryStatus.failed
        assert "mailbox unavailable" in rows["olivia@example.org"].error
        assert set(rows) == {"wang@example.org", "olivia@example.org"}  # no e-mail, revoked: none
        assert db.session.get(Study, study_id).welcome_text == WELCOME
    # the delivery status on the panel and the messages page
    panel = coordinator_client.get(f"/studies/{study_id}/panel?lang=en").get_data(as_text=True)
    assert "e-mail: sent" in panel and "e-mail: failed" in panel
    # "not invited yet" now means Olivia only
    smtp_server.refuse = set()
    coordinator_client.post(f"/studies/{study_id}/invitations", data={
        "welcome_text": WELCOME, "recipients": "new", "action": "send"})
    assert [str(m["To"]) for m in smtp_server.messages[1:]] == ["Olivia Chen <olivia@example.org>"]
    assert smtp_server.messages[1]["Subject"] == "Invitation to the expert consultation “Seed study”"


def test_chosen_recipients_and_refusals_change_nothing(app, study_id, coordinator_client, smtp_server):
    with app.app_context():
        no_email = db.session.scalar(select(Expert.id).where(Expert.name == "张伟"))
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/invitations?lang=en", data={
        "welcome_text": "changed", "recipients": "chosen", "experts": [str(no_email)], "action": "send"})
    assert response.status_code == 400 and "None of these experts" in response.get_data(as_text=True)
    too_long = coordinator_client.post(f"/studies/{study_id}/invitations?lang=en", data={
        "welcome_text": "x" * 4001, "recipients": "all", "action": "send"})
    assert too_long.status_code == 400
    assert snapshot(app) == before and smtp_server.messages == []
    with app.app_context():
        assert db.session.get(Study, study_id).welcome_text == ""


def test_without_smtp_the_page_says_nothing_was_sent_and_offers_the_messages(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/invitations?lang=en", data={
        "welcome_text": WELCOME, "recipients": "all", "action": "send"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Nothing was sent: no mail server is configured." in page and "sent to" not in page
    assert "Messages to copy" in page and page.count("<textarea readonly") == 2 and WELCOME in page
    with app.app_context():
        assert {r.status for r in db.session.scalars(select(Message))} == {DeliveryStatus.not_sent}


def test_opening_a_round_e_mails_the_experts_or_says_to_send_the_messages(app, coordinator_client, make_study,
                                                                         make_expert, smtp_server):
    from webapp.services import answers, between_rounds, round_lifecycle, round_scope, tree

    sid = make_study(alice_id(app))
    make_expert(sid, name="A", email="a@example.org", locale="en")
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1)
        db.session.commit()
        rid = rnd.id
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open?lang=en", follow_redirects=True)
    assert "1 experts were e-mailed that the round is open." in response.get_data(as_text=True)
    [msg] = smtp_server.messages
    assert msg["Subject"] == "Round 1 of “Seed study” is open" and "/i#" in msg.get_content()

    app.config["SMTP_HOST"] = None
    sid2 = make_study(alice_id(app), title="Second")
    make_expert(sid2, name="B", email="b@example.org", locale="en")
    with app.app_context():
        rid2 = round_scope.create_delphi_round(db.session.get(Study, sid2), rated_level=1).id
        db.session.commit()
    page = coordinator_client.post(f"/studies/{sid2}/rounds/{rid2}/open?lang=en",
                                   follow_redirects=True).get_data(as_text=True)
    assert "Nothing was sent" in page and "Round 1 of “Second” is open" in page
    assert len(smtp_server.messages) == 1
