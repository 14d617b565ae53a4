"""The scheduler's sweep, reminders (log and SMTP), the single-scheduler lock and the CLI."""
from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import AuditEvent, Round, RoundStatus, Study, User, utcnow
from tests.webapp.smtp_server import free_port, smtp_server  # noqa: F401 (fixture)
from webapp.services import answers, between_rounds, notifications, round_lifecycle, round_scope, tree

ROOT = Path(__file__).resolve().parents[2]


class RealSMTP:
    """A real SMTP server in this process (aiosmtpd): ``sent`` is what it received;
    ``fail_connect`` points the app at a closed port instead."""

    def __init__(self, app, inbox):
        self.app, self.inbox = app, inbox

    @property
    def sent(self):
        return self.inbox.messages

    @property
    def fail_connect(self):
        return self.app.config["SMTP_PORT"] != self.inbox.port

    @fail_connect.setter
    def fail_connect(self, value):
        self.app.config["SMTP_PORT"] = free_port() if value else self.inbox.port


@pytest.fixture
def fake_smtp(app, smtp_server):
    return RealSMTP(app, smtp_server)


@pytest.fixture
def lock_file(app, tmp_path):
    app.config["SCHEDULER_LOCK_FILE"] = str(tmp_path / "scheduler.lock")
    return tmp_path / "scheduler.lock"


@pytest.fixture
def study_id(app, make_study, make_expert):
    """A Chinese study with 5 experts: E01–E03 pending with e-mail (E02 prefers English),
    E04 without e-mail, E05 revoked."""
    sid = make_study()
    with app.app_context():
        db.session.get(Study, sid).default_locale = "zh"
        db.session.commit()
    make_expert(sid, name="王建国", email="wang@example.org")
    make_expert(sid, name="Olivia Chen", email="olivia@example.org", locale="en")
    make_expert(sid, name="李秀英", email="li@example.org")
    make_expert(sid, name="张伟")
    revoked, _token = make_expert(sid, name="Revoked", email="gone@example.org")
    with app.app_context():
        from webapp.models import Expert

        db.session.get(Expert, revoked).revoke()
        db.session.commit()
    return sid


def open_round(app, sid, *, closes_in=timedelta(hours=10), reminder_hours=24, submitted=("E03",)):
    with app.app_context():
        study = db.session.get(Study, sid)
        now = utcnow()
        rnd = round_scope.create_delphi_round(study, rated_level=1, closes_at=now + closes_in, reminder_hours=reminder_hours)
        round_lifecycle.open_round(rnd, now=now)
        for expert in study.experts:
            if expert.pseudonym in submitted:
                answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 4} for i in rnd.items])
                answers.submit_response(expert, rnd)
        db.session.commit()
        return rnd.id


def status_of(app, round_id):
    with app.app_context():
        return db.session.get(Round, round_id).status


# --- the sweep ------------------------------------------------------------------------------------

def test_a_due_round_nobody_can_answer_stays_a_draft(app, make_study):
    from webapp.scheduler import sweep

    sid = make_study()
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1, opens_at=utcnow() - timedelta(minutes=1))
        db.session.commit()
        rid = rnd.id
    assert sweep(app).opened == [] and status_of(app, rid) is RoundStatus.draft


def test_one_sweep_opens_a_due_round_and_closes_an_expired_one(app, make_study, make_expert):
    from webapp.scheduler import sweep

    due_sid, expired_sid = make_study(), make_study()
    make_expert(due_sid)
    make_expert(expired_sid)
    now = utcnow()
    with app.app_context():
        due = round_scope.create_delphi_round(db.session.get(Study, due_sid), rated_level=1,
                                  opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=3))
        later = round_scope.create_delphi_round(db.session.get(Study, expired_sid), rated_level=1,
                                    opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=3))
        db.session.commit()
        due_id, later_id = due.id, later.id
    expired_id = None
    with app.app_context():
        # the second study's round: opened by hand, and its deadline is behind us
        db.session.execute(update(Round).where(Round.id == later_id).values(opens_at=None))
        rnd = db.session.get(Round, later_id)
        round_lifecycle.open_round(rnd)
        db.session.execute(update(Round).where(Round.id == later_id)
                           .values(closes_at=now - timedelta(minutes=2)))
        db.session.commit()
        expired_id = later_id
    result = sweep(app)
    assert result.opened == [due_id] and result.closed == [expired_id]
    assert status_of(app, due_id) is RoundStatus.open
    assert status_of(app, expired_id) is RoundStatus.closed
    again = sweep(app)
    assert again.opened == [] and again.closed == []
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.close")) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.open")) == 2


def test_a_failing_study_is_rolled_back_alone_and_shown_to_its_coordinator(app, make_study, make_expert,
                                                                           monkeypatch, caplog, coordinator_client):
    """Issue 15: one study's error used to roll back the whole sweep, so no other study's
    round ever opened. Now each study's step has its own transaction."""
    from webapp.scheduler import sweep

    with app.app_context():
        alice = db.session.scalar(select(User.id).where(User.username == "alice"))
    broken_sid, fine_sid = make_study(alice, title="Broken"), make_study(title="Fine")
    for sid in (broken_sid, fine_sid):
        make_expert(sid)  # a round opens only with somebody to answer it
    now = utcnow()
    with app.app_context():
        broken = round_scope.create_delphi_round(db.session.get(Study, broken_sid), rated_level=1,
                                     opens_at=now - timedelta(minutes=1))
        fine = round_scope.create_delphi_round(db.session.get(Study, fine_sid), rated_level=1, opens_at=now - timedelta(minutes=1))
        db.session.commit()
        broken_id, fine_id = broken.id, fine.id
    real_open = round_lifecycle.open_due_rounds

    def open_due(*, now=None, study_id=None):
        opened = real_open(now=now, study_id=study_id)
        if study_id == broken_sid:
            raise RuntimeError("constraint violated in study Broken")
        return opened

    monkeypatch.setattr(round_lifecycle, "open_due_rounds", open_due)
    result = sweep(app)
    assert result.opened == [fine_id] and list(result.failed) == [broken_sid]
    assert status_of(app, fine_id) is RoundStatus.open
    assert status_of(app, broken_id) is RoundStatus.draft  # its own step rolled back
    assert "constraint violated in study Broken" in caplog.text
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "scheduler.failed")).all()
        assert event.study_id == broken_sid and "constraint violated" in event.details["error"]
    page = coordinator_client.get(f"/studies/{broken_sid}?lang=en").get_data(as_text=True)
    assert "The scheduler could not complete “open/close” for this study" in page
    assert "constraint violated in study Broken" in page


def test_a_line_break_in_a_title_or_name_no_longer_stops_the_sweep(app, make_study, make_expert, fake_smtp):
    """Issue 15: a line break in a study title or an expert's name made the reminder raise
    (header injection refused) and rolled back every study's sweep. Header values are now
    folded into one line, and the other study's round opens and is announced."""
    from webapp.scheduler import sweep

    odd_sid, other_sid = make_study(title="Line\r\nBcc: victim@example.org"), make_study(title="Other")
    make_expert(odd_sid, name="Wang\nFang", email="wang@example.org")
    make_expert(other_sid, name="Li", email="li@example.org")
    now = utcnow()
    with app.app_context():
        odd = round_scope.create_delphi_round(db.session.get(Study, odd_sid), rated_level=1, closes_at=now + timedelta(hours=10),
                                  reminder_hours=24)
        round_lifecycle.open_round(odd, now=now)
        other = round_scope.create_delphi_round(db.session.get(Study, other_sid), rated_level=1,
                                    opens_at=now - timedelta(minutes=1))
        db.session.commit()
        odd_id, other_id = odd.id, other.id
    result = sweep(app)
    assert result.failed == {}
    assert status_of(app, other_id) is RoundStatus.open and result.reminded == {odd_id: 1}
    reminder = fake_smtp.inbox.to("wang@example.org")[0]
    assert "\n" not in reminder["Subject"] and "Line Bcc: victim@example.org" in reminder["Subject"]
    assert "Wang Fang" in str(reminder["To"])
    assert all("victim@example.org" not in str(m["To"]) + str(m.get("Bcc", "")) for m in fake_smtp.sent)
    assert len(fake_smtp.inbox.to("li@example.org")) == 1  # round-open notice of the other study
    sweep(app)
    assert len(fake_smtp.sent) == 2  # nothing twice


def test_one_refused_message_does_not_stop_the_others(app, study_id, fake_smtp):
    from webapp.models import DeliveryStatus, Message
    from webapp.scheduler import sweep

    fake_smtp.inbox.refuse = {"wang@example.org"}
    rid = open_round(app, study_id)
    assert sweep(app).reminded == {rid: 1}
    assert [str(m["To"]) for m in fake_smtp.sent] == ["Olivia Chen <olivia@example.org>"]
    with app.app_context():
        rows = {r.recipient: r for r in db.session.scalars(select(Message))}
        assert rows["wang@example.org"].status is DeliveryStatus.failed
        assert "550" in rows["wang@example.org"].error and "mailbox unavailable" in rows["wang@example.org"].error
        assert rows["olivia@example.org"].status is DeliveryStatus.sent


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


# --- one scheduler only -----------------------------------------------------------------------------

def test_the_lock_refuses_a_second_scheduler(app, lock_file):
    from webapp.scheduler import SchedulerLock, SchedulerLocked

    with SchedulerLock(app) as first:
        assert first.path == lock_file
        with pytest.raises(SchedulerLocked, match="another scheduler"):
            SchedulerLock(app).acquire()
    # released: a scheduler may start again
    SchedulerLock(app).acquire().release()


@pytest.mark.postgres  # advisory locks are a PostgreSQL feature
def test_the_database_lock_refuses_a_scheduler_on_another_host(app, tmp_path):
    from webapp.scheduler import SchedulerLock, SchedulerLocked

    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    app.config["SCHEDULER_LOCK_FILE"] = str(tmp_path / "host-a.lock")
    first = SchedulerLock(app).acquire()
    try:
        app.config["SCHEDULER_LOCK_FILE"] = str(tmp_path / "host-b.lock")  # another host: its own file
        with pytest.raises(SchedulerLocked, match="database lock"):
            SchedulerLock(app).acquire()
    finally:
        first.release()


def test_scheduler_command_refuses_when_another_runs(app, runner, lock_file, monkeypatch):
    from apscheduler.schedulers.blocking import BlockingScheduler

    from webapp.scheduler import SchedulerLock

    started = []
    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **k: started.append(self))
    with SchedulerLock(app):
        result = runner.invoke(args=["scheduler"])
    assert result.exit_code != 0
    assert "another scheduler is running" in result.output
    assert started == []


def test_scheduler_command_runs_one_sweep_job_a_minute(app, runner, lock_file, monkeypatch):
    from apscheduler.schedulers.blocking import BlockingScheduler

    from webapp.scheduler import SchedulerLock

    seen = {}

    def fake_start(self, *args, **kwargs):
        jobs = self.get_jobs()
        seen["jobs"] = [(j.id, j.trigger.interval) for j in jobs]
        # while it runs, nobody else gets the lock
        from webapp.scheduler import SchedulerLocked

        with pytest.raises(SchedulerLocked):
            SchedulerLock(app).acquire()
        jobs[0].func()  # one sweep, as the scheduler would run it

    monkeypatch.setattr(BlockingScheduler, "start", fake_start)
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    assert seen["jobs"] == [("sweep", timedelta(minutes=1))]
    assert "stopped" in result.output
    SchedulerLock(app).acquire().release()  # released on the way out


def test_sweep_command(app, runner, make_study, make_expert):
    sid = make_study()
    make_expert(sid)
    now = utcnow()
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1, opens_at=now - timedelta(minutes=1))
        db.session.commit()
        rid = rnd.id
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "opened 1 round(s)" in result.output
    assert status_of(app, rid) is RoundStatus.open


def test_create_app_never_starts_a_scheduler(tmp_path):
    code = (
        "import sys\n"
        "from webapp import create_app\n"
        f"app = create_app({{'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db'}})\n"
        "app.test_client().get('/')\n"
        "print('apscheduler' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False")


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
