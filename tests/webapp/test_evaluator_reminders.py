"""Evaluators' reminders: the scheduler's sweep sends each pending evaluator their link through a real
in-process SMTP server (aiosmtpd) once, before the deadline; "Remind now" without a mail server says
nothing was sent and shows the messages to copy; audit entries record both."""
from __future__ import annotations

import re
from urllib.parse import urlsplit
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.webapp.smtp_server import smtp_server  # noqa: F401 (fixture)
from tests.webapp.test_evaluations import evaluation_id, study  # noqa: F401
from tests.webapp.test_evaluators import objects
from webapp.extensions import db


def add(client, sid, eid, name, email, object_ids):
    page = client.post(f"/studies/{sid}/evaluations/{eid}/evaluators",
                       data={"name": name, "email": email, "objects": object_ids})
    assert page.status_code == 200, page.data
    return re.search(r"(/evaluate/i/[A-Za-z0-9_-]+)", page.data.decode()).group(1)


@pytest.fixture()
def panel(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab A\nLab B"})
    ids = objects(app, eid)
    links = {"wang": add(coordinator_client, sid, eid, "Wang", "wang@example.org", [ids["Lab A"]]),
             "li": add(coordinator_client, sid, eid, "Li", "li@example.org", [ids["Lab A"], ids["Lab B"]]),
             "zhao": add(coordinator_client, sid, eid, "Zhao", "", [ids["Lab B"]])}
    deadline = datetime.now(timezone.utc) + timedelta(hours=10)
    response = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                       data={"deadline": deadline.strftime("%Y-%m-%dT%H:%M"), "reminder_hours": "12"})
    assert response.status_code == 302, response.data
    return sid, eid, ids, links


def score_everything(app, link, object_ids):
    """Wang scores all 48 leaves of Lab A (so he is not reminded)."""
    client = app.test_client()
    assert client.get(link).status_code == 302
    from webapp.models import EvaluatedObject
    from webapp.services.evaluations import tree_of
    with app.app_context():
        leaves = tree_of(db.session.get(EvaluatedObject, object_ids[0]).evaluation).leaves
    for oid in object_ids:
        assert client.post(f"/evaluate/objects/{oid}", data={f"s:{c}": "70" for c in leaves}).status_code == 302


def audit(app, action):
    from webapp.models import AuditEvent
    with app.app_context():
        return [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                       .order_by(AuditEvent.id))]


def test_the_sweep_reminds_pending_evaluators_once_with_their_link(app, panel, smtp_server):  # noqa: F811
    from webapp.scheduler import sweep

    sid, eid, ids, links = panel
    score_everything(app, links["wang"], [ids["Lab A"]])
    result = sweep(app)
    assert result.evaluations_reminded == {eid: 1}            # Li; Zhao has no e-mail, Wang is done
    assert [str(m["To"]) for m in smtp_server.messages] == ["Li <li@example.org>"]
    message = smtp_server.messages[0]
    # in the study's language (Chinese by default), the deadline in the study's time zone
    assert message["Subject"].startswith("提醒：评价“Platforms 2026”将于 ") and message["Subject"].endswith("截止")
    body = message.get_content()
    assert "/evaluate/i/" in body
    link = re.search(r"(http\S+/evaluate/i/\S+)", body).group(1)
    assert link.endswith(links["li"])                          # the same link the coordinator was shown
    evaluator = app.test_client()
    assert evaluator.get(urlsplit(link).path).status_code == 302
    assert "Lab B" in evaluator.get("/evaluate/").data.decode()
    # a second sweep sends nothing more
    assert sweep(app).evaluations_reminded == {} and len(smtp_server.messages) == 1
    from webapp.models import DeliveryStatus, EvaluatorMessage
    with app.app_context():
        rows = db.session.scalars(select(EvaluatorMessage)).all()
        assert [(r.recipient, r.status) for r in rows] == [("li@example.org", DeliveryStatus.sent)]
    assert audit(app, "evaluation.remind") == [{"sent": 1, "not_sent": 0, "failed": 0, "without_email": 1}]
    assert audit(app, "evaluation.deadline")[0]["reminder_hours"] == 12


def test_no_reminder_before_it_is_due_or_after_the_deadline(app, panel, smtp_server):  # noqa: F811
    from webapp.models import Evaluation
    from webapp.scheduler import sweep

    sid, eid, ids, links = panel
    with app.app_context():
        db.session.get(Evaluation, eid).reminder_hours = 2          # due 2 h before a deadline 10 h away
        db.session.commit()
    assert sweep(app).evaluations_reminded == {} and smtp_server.messages == []
    with app.app_context():
        db.session.get(Evaluation, eid).deadline_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        db.session.commit()
    assert sweep(app).evaluations_reminded == {} and smtp_server.messages == []


def test_remind_now_without_a_mail_server_offers_the_messages(app, coordinator_client, panel):
    sid, eid, ids, links = panel
    app.config["SMTP_HOST"] = ""
    page = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/remind")
    text = page.data.decode()
    assert page.status_code == 200 and "Nothing was sent: no mail server is configured" in text
    assert "wang@example.org" in text and "li@example.org" in text and links["li"] in text
    assert audit(app, "evaluation.remind") == [{"sent": 0, "not_sent": 2, "failed": 0, "without_email": 1,
                                                "manual": True}]
    listing = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").data.decode()
    assert "Reminders sent (2)" in listing and "not sent (no mail server)" in listing
