"""Reminders sent by the scheduler and by the button: log and SMTP, exactly once, failures recorded."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, Round, Study, User, utcnow
from webapp.services import notifications, round_lifecycle

from tests.webapp.scheduler_support import open_round
from tests.webapp.scheduler_support import fake_smtp, smtp_server, study_id  # noqa: F401 (fixtures)


# --- reminders ------------------------------------------------------------------------------------

def test_without_smtp_nothing_is_sent_and_nothing_claims_it_was(app, study_id, caplog):
    from webapp.models import DeliveryStatus, Message
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    result = sweep(app)
    assert result.reminded == {rid: 2}
    with app.app_context():
        rows = db.session.scalars(select(Message).order_by(Message.id)).all()
        assert [(r.recipient, r.status) for r in rows] == [("wang@example.org", DeliveryStatus.not_sent),
                                                           ("olivia@example.org", DeliveryStatus.not_sent)]
        # E03 submitted, E04 has no e-mail, E05 is revoked
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.remind"))
        assert event.details == {"sent": 0, "not_sent": 2, "failed": 0, "without_email": 1}
        assert db.session.get(Round, rid).reminded_at is not None
    assert sweep(app).reminded == {}


def test_reminders_by_smtp_exactly_once_with_the_link(app, study_id, fake_smtp):
    from webapp.models import Expert
    from webapp.scheduler import sweep

    with app.app_context():
        db.session.get(Study, study_id).time_zone = "Asia/Shanghai"
        db.session.commit()
    open_round(app, study_id)
    sweep(app)
    assert len(fake_smtp.sent) == 2
    [wang] = fake_smtp.inbox.to("wang@example.org")
    [olivia] = fake_smtp.inbox.to("olivia@example.org")
    assert "提醒" in wang["Subject"] and "(Asia/Shanghai, UTC+08:00)" in wang.get_content()
    assert olivia["Subject"].startswith("Reminder: round 1") and "Please answer by" in olivia.get_content()
    assert wang["From"] == "concordia@example.org"
    with app.app_context():  # each reminder carries the expert's current link
        for msg, email in ((wang, "wang@example.org"), (olivia, "olivia@example.org")):
            expert = db.session.scalar(select(Expert).where(Expert.email == email))
            assert f"/i#{expert.current_token()}" in msg.get_content()
    sweep(app)
    sweep(app)
    assert len(fake_smtp.sent) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.remind")) == 1


def test_a_reminder_is_not_due_before_its_time(app, study_id, fake_smtp):
    from webapp.scheduler import sweep

    rid = open_round(app, study_id, closes_in=timedelta(hours=30), reminder_hours=24)
    sweep(app)
    assert fake_smtp.sent == []
    sweep(app, now=utcnow() + timedelta(hours=7))
    assert len(fake_smtp.sent) == 2
    with app.app_context():
        assert db.session.get(Round, rid).reminded_at is not None


def test_an_unreachable_mail_server_is_recorded_for_the_coordinator_not_retried_every_minute(
        app, study_id, fake_smtp, coordinator_client):
    from webapp.models import DeliveryStatus, Message
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    fake_smtp.fail_connect = True
    result = sweep(app)
    assert result.reminded == {rid: 0}
    with app.app_context():
        rows = db.session.scalars(select(Message)).all()
        assert len(rows) == 2 and all(r.status is DeliveryStatus.failed for r in rows)
        assert all("127.0.0.1" in r.error for r in rows)  # the connection error, as the server gave it
        alice = db.session.scalar(select(User).where(User.username == "alice"))
        db.session.get(Study, study_id).owner_id = alice.id  # the coordinator_client's study
        db.session.commit()
    fake_smtp.fail_connect = False
    sweep(app)
    assert fake_smtp.sent == []  # at most once: the coordinator decides ("Remind now")
    page = coordinator_client.get(f"/studies/{study_id}/messages?lang=en").get_data(as_text=True)
    assert page.count("failed") >= 2 and "127.0.0.1" in page


def test_two_sweeps_racing_send_once(app, db_url, tmp_path, study_id, fake_smtp):
    """Two app instances (two processes) on one database: the conditional UPDATE lets one send."""
    from tests.conftest import make_app

    rid = open_round(app, study_id)
    other = make_app(db_url, tmp_path, SMTP_HOST="mail.example.org")
    now = utcnow()
    with app.app_context():
        first = db.session.get(Round, rid)
        assert notifications._claim(first, now) is True
        db.session.commit()
    with other.app_context():
        assert notifications.send_due_reminders(now=now) == []
        db.session.commit()
        db.engine.dispose()
    assert fake_smtp.sent == []


def test_send_reminder_now_button(app, client, make_coordinator, make_study, make_expert, fake_smtp):
    from tests.conftest import login

    from webapp.scheduler import sweep

    owner = make_coordinator("alice")
    login(client)
    sid = make_study(owner)
    make_expert(sid, name="A", email="a@example.org")
    make_expert(sid, name="B", email="b@example.org")
    rid = open_round(app, sid, submitted=())
    response = client.post(f"/studies/{sid}/rounds/{rid}/remind?lang=en", follow_redirects=True)
    assert response.status_code == 200 and "Reminder sent to 2 experts." in response.get_data(as_text=True)
    assert len(fake_smtp.sent) == 2
    with app.app_context():
        assert db.session.get(Round, rid).reminded_at is not None  # the automatic one was due: it counts
    sweep(app)
    assert len(fake_smtp.sent) == 2
    # the button still works on request, for another nudge
    client.post(f"/studies/{sid}/rounds/{rid}/remind")
    assert len(fake_smtp.sent) == 4


def test_reminder_button_when_the_server_is_down(app, client, make_coordinator, make_study, make_expert, fake_smtp,
                                                monkeypatch):
    from tests.conftest import login
    from webapp.services import mail

    owner = make_coordinator("alice")
    login(client)
    sid = make_study(owner)
    make_expert(sid, name="A", email="a@example.org")
    rid = open_round(app, sid, submitted=())
    fake_smtp.fail_connect = True
    response = client.post(f"/studies/{sid}/rounds/{rid}/remind?lang=en", follow_redirects=True)
    assert response.status_code == 200 and "could not be sent" in response.get_data(as_text=True)
    assert "Reminder sent" not in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.remind"))
        assert event.details["sent"] == 0 and event.details["failed"] == 1

    # "Remind now" never answers 500, whatever breaks while sending
    def boom(rows):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(mail, "deliver", boom)
    fake_smtp.fail_connect = False
    response = client.post(f"/studies/{sid}/rounds/{rid}/remind?lang=en", follow_redirects=True)
    assert response.status_code == 200 and "could not be sent" in response.get_data(as_text=True)




def test_no_reminder_on_a_closed_round(app, study_id, fake_smtp):
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, rid))
        db.session.commit()
    sweep(app)
    assert fake_smtp.sent == []
    with app.app_context():
        assert db.session.scalar(select(User)) is not None
