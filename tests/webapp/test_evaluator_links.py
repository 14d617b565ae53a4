"""Evaluators' language and links: a Chinese evaluator of an English study gets a Chinese reminder (through
the real SMTP path: the scheduler's sweep and aiosmtpd), the language the evaluator picks on their pages
becomes theirs; the coordinator's "New link" for an evaluator ends the old link and its sessions, and a
forged or foreign request changes nothing."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.helpers import snapshot
from tests.webapp.smtp_server import smtp_server  # noqa: F401 (fixture)
from tests.webapp.test_evaluations import create, evaluation_id, study  # noqa: F401
from tests.webapp.test_evaluators import objects
from webapp.extensions import db

LINK = re.compile(r"(/evaluate/i/[A-Za-z0-9_-]+)")


def add(client, sid, eid, name, email, object_ids, locale=""):
    return client.post(f"/studies/{sid}/evaluations/{eid}/evaluators",
                       data={"name": name, "email": email, "objects": object_ids, "locale": locale})


def evaluator(app, name):
    from webapp.models import Evaluator

    with app.app_context():
        return db.session.scalar(select(Evaluator).where(Evaluator.name == name))


def audit(app, action):
    from webapp.models import AuditEvent

    with app.app_context():
        return [(e.target, e.details) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


@pytest.fixture()
def english_study(app, coordinator_client, evaluation_id):  # noqa: F811
    """The study's default language is English; Wang (Chinese) and Smith (no language) score Lab A; the
    reminder is due now (12 h before a deadline 10 h away)."""
    from webapp.models import Study

    sid, eid = evaluation_id
    with app.app_context():
        db.session.get(Study, sid).default_locale = "en"
        db.session.commit()
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab A"})
    ids = objects(app, eid)
    links = {}
    for name, locale in (("Wang", "zh"), ("Smith", "")):
        page = add(coordinator_client, sid, eid, name, f"{name.lower()}@example.org", [ids["Lab A"]], locale)
        assert page.status_code == 200, page.data
        links[name] = LINK.search(page.data.decode()).group(1)
    deadline = datetime.now(timezone.utc) + timedelta(hours=10)
    response = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                       data={"deadline": deadline.strftime("%Y-%m-%dT%H:%M"), "reminder_hours": "12"})
    assert response.status_code == 302, response.data
    return sid, eid, ids, links


def test_a_chinese_evaluator_gets_a_chinese_reminder(app, english_study, smtp_server):  # noqa: F811
    from webapp.models import EvaluatorMessage
    from webapp.scheduler import sweep

    sid, eid, ids, links = english_study
    assert evaluator(app, "Wang").locale == "zh" and evaluator(app, "Smith").locale is None
    assert sweep(app).evaluations_reminded == {eid: 2}
    wang, = smtp_server.to("wang@example.org")
    smith, = smtp_server.to("smith@example.org")
    # Chinese subject and body (webapp/translations/zh/parts/evalx.po, rounds.po), the deadline included
    assert wang["Subject"].startswith("提醒：评价“Platforms 2026”将于 ") and wang["Subject"].endswith("截止")
    body = wang.get_content()
    assert body.startswith("尊敬的Wang：") and "评价“Platforms 2026”中您还有部分指标未评分" in body
    assert links["Wang"] in body
    # the study's language for an evaluator without one
    assert smith["Subject"].startswith("Reminder: the evaluation “Platforms 2026” closes ")
    assert smith.get_content().startswith("Dear Smith,")
    with app.app_context():
        rows = db.session.scalars(select(EvaluatorMessage).order_by(EvaluatorMessage.recipient)).all()
        assert [(r.recipient, r.locale) for r in rows] == [("smith@example.org", "en"), ("wang@example.org", "zh")]


def test_one_refused_reminder_does_not_stop_the_others(app, english_study, smtp_server):  # noqa: F811
    """Evaluators' reminders go through the experts' delivery (services/mail.deliver): each row on its own."""
    from webapp.models import DeliveryStatus, EvaluatorMessage
    from webapp.scheduler import sweep

    smtp_server.refuse.add("wang@example.org")
    sweep(app)
    assert [str(m["To"]) for m in smtp_server.messages] == ["Smith <smith@example.org>"]
    with app.app_context():
        rows = {r.recipient: r for r in db.session.scalars(select(EvaluatorMessage))}
        assert rows["smith@example.org"].status is DeliveryStatus.sent and rows["smith@example.org"].sent_at
        assert rows["wang@example.org"].status is DeliveryStatus.failed and "550" in rows["wang@example.org"].error
    assert audit(app, "evaluation.remind")[0][1] == {"sent": 1, "not_sent": 0, "failed": 1, "without_email": 0}


def test_the_link_opens_the_pages_in_the_evaluators_language(app, english_study):
    sid, eid, ids, links = english_study
    wang = app.test_client()
    assert wang.get(links["Wang"]).status_code == 302
    assert 'lang="zh-Hans"' in wang.get("/evaluate/").data.decode()
    smith = app.test_client()
    assert smith.get(links["Smith"]).status_code == 302
    assert 'lang="en"' in smith.get("/evaluate/").data.decode()


def test_the_language_an_evaluator_picks_is_remembered_for_reminders(app, english_study, smtp_server):  # noqa: F811
    from webapp.scheduler import sweep

    sid, eid, ids, links = english_study
    smith = app.test_client()
    smith.get(links["Smith"])
    assert smith.get("/evaluate/?lang=zh").status_code == 200
    person = evaluator(app, "Smith")
    assert person.locale == "zh"
    assert audit(app, "evaluation.evaluator_language") == [(f"evaluator:{person.id}", {"locale": "zh"})]
    smith.get("/evaluate/?lang=zh")                            # unchanged: no second audit entry
    assert len(audit(app, "evaluation.evaluator_language")) == 1
    sweep(app)
    assert smtp_server.to("smith@example.org")[0]["Subject"].startswith("提醒：评价")


def test_a_language_other_than_english_or_chinese_is_refused(app, coordinator_client, english_study):
    sid, eid, ids, links = english_study
    before = snapshot(app)
    page = add(coordinator_client, sid, eid, "Dupont", "", [ids["Lab A"]], "fr")
    assert page.status_code == 400 and "Choose English or Chinese" in page.data.decode()
    assert snapshot(app) == before


# --- a new link for an evaluator -----------------------------------------------------------------

def reissue_url(sid, eid, evaluator_id):
    return f"/studies/{sid}/evaluations/{eid}/evaluators/{evaluator_id}/reissue"


def test_new_link_ends_the_old_one_and_its_sessions(app, coordinator_client, english_study):
    sid, eid, ids, links = english_study
    person = evaluator(app, "Wang")
    holder = app.test_client()                                  # a session of the old link
    assert holder.get(links["Wang"]).status_code == 302 and holder.get("/evaluate/").status_code == 200
    listing = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").data.decode()
    assert f'action="{reissue_url(sid, eid, person.id)}"' in listing and "New link" in listing
    response = coordinator_client.post(reissue_url(sid, eid, person.id))
    assert response.status_code == 302 and f"shown={person.id}" in response.headers["Location"]
    page = coordinator_client.get(response.headers["Location"]).data.decode()
    assert "New link for Wang: the previous link no longer works." in page
    new = [link for link in LINK.findall(page) if link not in links.values()]
    assert len(new) == 1 and new[0] != links["Wang"]
    assert app.test_client().get(links["Wang"]).status_code == 404   # the old link is refused
    assert holder.get("/evaluate/").status_code == 403                # and its session has ended
    fresh = app.test_client()
    assert fresh.get(new[0]).status_code == 302 and "Lab A" in fresh.get("/evaluate/").data.decode()
    assert audit(app, "evaluation.evaluator_reissue") == [(f"evaluator:{person.id}", {"generation": 2})]


def test_a_revoked_evaluator_can_be_given_a_link_again(app, coordinator_client, english_study):
    sid, eid, ids, links = english_study
    person = evaluator(app, "Smith")
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/{person.id}/revoke")
    assert "Issue a link" in coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").data.decode()
    assert coordinator_client.post(reissue_url(sid, eid, person.id)).status_code == 302
    assert evaluator(app, "Smith").revoked_at is None
    assert app.test_client().get(links["Smith"]).status_code == 404
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").data.decode()
    new = [link for link in LINK.findall(page) if link != links["Wang"]]
    assert len(new) == 1 and app.test_client().get(new[0]).status_code == 302


def test_forged_or_foreign_reissue_changes_nothing(app, client, coordinator_client, english_study, make_coordinator,
                                                   study):  # noqa: F811
    sid, eid, ids, links = english_study
    person = evaluator(app, "Wang")
    other = create(coordinator_client, sid, study[1], title="Other evaluation")
    other_eid = int(other.headers["Location"].rstrip("/").split("/")[-1])
    before = snapshot(app)
    assert coordinator_client.post(reissue_url(sid, eid, person.id), csrf=False).status_code == 400
    assert coordinator_client.post(reissue_url(sid, other_eid, person.id)).status_code == 404  # not its evaluation
    assert snapshot(app) == before
    make_coordinator("bob")
    coordinator_client.post("/logout")
    assert login(client, "bob").status_code == 302
    before = snapshot(app)                                      # bob's login is audited
    assert client.post(reissue_url(sid, eid, person.id)).status_code == 404               # not his study
    assert snapshot(app) == before
    assert app.test_client().get(links["Wang"]).status_code == 302                        # the link still works
