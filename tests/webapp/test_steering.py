"""Steering a round: preview as an expert sees it (both languages), nothing saved."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import AuditEvent, Rating, Response, Study, utcnow
from webapp.services import rounds


@pytest.fixture
def draft(app, coordinator_client, make_study, make_expert):
    sid = make_study(alice_id(app))
    _, token = make_expert(sid, name="A", email="a@example.org")
    with app.app_context():
        rnd = rounds.create_round(db.session.get(Study, sid), rated_level=1, instructions="Rate **carefully**.",
                                  closes_at=utcnow() + timedelta(days=3))
        db.session.commit()
        return sid, rnd.id, token


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Response.id))), db.session.scalar(select(func.count(Rating.id))),
                db.session.scalar(select(func.count(AuditEvent.id))))


def test_preview_shows_the_questionnaire_as_experts_see_it_and_saves_nothing(app, coordinator_client, draft):
    sid, rid, _ = draft
    before = counts(app)
    en = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview?lang=en")
    page = en.get_data(as_text=True)
    assert en.status_code == 200 and "Preview: this is the questionnaire as the experts see it" in page
    assert "<strong>carefully</strong>" in page and "How to answer" in page
    assert page.count('name="rate_') >= 4 * 5  # four first-level indicators, five points each
    assert 'method="get"' in page and "js/questionnaire.js" not in page and 'data-save-url=""' in page
    zh = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview?lang=zh").get_data(as_text=True)
    with app.app_context():
        from webapp.models import Round

        names = [(i.node.name_zh, i.node.name_en) for i in db.session.get(Round, rid).items]
    assert "预览：这是专家看到的问卷" in zh and all(name_zh in zh for name_zh, _ in names)
    assert all(name_en in page for _, name_en in names)
    # answering in the preview only reloads it
    again = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview", query_string={"action": "submit"})
    assert again.status_code == 200 and counts(app) == before


def test_preview_is_for_the_studys_coordinator_only(app, draft, make_coordinator):
    from tests.conftest import login

    sid, rid, token = draft
    make_coordinator("mallory")
    mallory = app.test_client()
    login(mallory, "mallory")
    assert mallory.get(f"/studies/{sid}/rounds/{rid}/preview").status_code == 404
    expert = app.test_client()
    expert.get(f"/i/{token}")
    assert expert.get(f"/studies/{sid}/rounds/{rid}/preview").status_code in (302, 401, 403)


def test_after_the_last_round_the_expert_page_promises_no_invitation(app, draft):
    sid, rid, token = draft
    with app.app_context():
        study = db.session.get(Study, sid)
        study.max_rounds = 1
        from webapp.models import Round

        rnd = db.session.get(Round, rid)
        rounds.open_round(rnd)
        rounds.close_round(rnd)
        db.session.commit()
    expert = app.test_client()
    expert.get(f"/i/{token}")
    page = expert.get("/expert/?lang=en").get_data(as_text=True)
    assert "The consultation is complete" in page and "invited" not in page
    with app.app_context():  # a second round allowed: the page says the next one will come
        db.session.get(Study, sid).max_rounds = 3
        db.session.commit()
    assert "invited when the next one starts" in expert.get("/expert/?lang=en").get_data(as_text=True)
