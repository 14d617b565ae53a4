"""The scheduler's sweep, reminders (log and SMTP), the single-scheduler lock and the CLI."""
from __future__ import annotations

import logging
import smtplib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import AuditEvent, Round, RoundStatus, Study, User, utcnow
from webapp.services import answers, notifications, round_lifecycle, round_scope

ROOT = Path(__file__).resolve().parents[2]


class FakeSMTP:
    """Stands in for smtplib.SMTP: records every message instead of sending it."""

    sent: list = []
    connections: list = []
    fail_connect = False

    def __init__(self, host, port=0, timeout=None):
        if FakeSMTP.fail_connect:
            raise ConnectionRefusedError(111, "Connection refused")
        FakeSMTP.connections.append((host, port))

    def send_message(self, msg):
        FakeSMTP.sent.append(msg)
        return {}

    def quit(self):
        pass


@pytest.fixture
def fake_smtp(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.connections, FakeSMTP.fail_connect = [], [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(SMTP_HOST="mail.example.org", SMTP_PORT=2525, SMTP_FROM="concordia@example.org")
    return FakeSMTP


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


def test_a_failing_sweep_rolls_back_everything(app, make_study, monkeypatch):
    from webapp.scheduler import sweep

    sid = make_study()
    now = utcnow()
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1, opens_at=now - timedelta(minutes=1))
        db.session.commit()
        rid = rnd.id

    def boom(**_kwargs):
        raise RuntimeError("mail queue on fire")

    monkeypatch.setattr(notifications, "send_due_reminders", boom)
    with pytest.raises(RuntimeError):
        sweep(app)
    assert status_of(app, rid) is RoundStatus.draft


# --- reminders ------------------------------------------------------------------------------------

def test_reminders_go_to_the_log_without_smtp_exactly_once(app, study_id, caplog):
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    caplog.set_level(logging.INFO, logger="webapp")
    result = sweep(app)
    assert result.reminded == {rid: 2}
    reminders = [r for r in caplog.records if "reminder (no SMTP_HOST" in r.getMessage()]
    text = "\n".join(r.getMessage() for r in reminders)
    assert len(reminders) == 2
    assert "wang@example.org" in text and "olivia@example.org" in text
    assert "li@example.org" not in text and "gone@example.org" not in text  # submitted, revoked
    assert "E04" in caplog.text and "no e-mail address" in caplog.text
    assert "第 1 轮" in text and "Round 1 of the expert consultation" in text  # each in their language
    assert "https://" not in text and "/invite/" not in text  # the link is never in a reminder
    with app.app_context():
        assert db.session.get(Round, rid).reminded_at is not None
    caplog.clear()
    assert sweep(app).reminded == {}
    assert "reminder (no SMTP_HOST" not in caplog.text


def test_reminders_by_smtp_exactly_once(app, study_id, fake_smtp):
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    sweep(app)
    assert fake_smtp.connections == [("mail.example.org", 2525)]
    by_to = {m["To"]: m for m in fake_smtp.sent}
    assert len(fake_smtp.sent) == 2
    wang = next(m for to, m in by_to.items() if "wang@example.org" in to)
    olivia = next(m for to, m in by_to.items() if "olivia@example.org" in to)
    assert "提醒" in wang["Subject"] and "北京时间" in wang.get_content()
    assert olivia["Subject"].startswith("Reminder: round 1") and "invitation e-mail" in olivia.get_content()
    assert wang["From"] == "concordia@example.org"
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


def test_an_unreachable_mail_server_leaves_the_reminder_for_the_next_sweep(app, study_id, fake_smtp, caplog):
    from webapp.scheduler import sweep

    rid = open_round(app, study_id)
    fake_smtp.fail_connect = True
    result = sweep(app)
    assert result.reminded == {}
    assert "not sent" in caplog.text
    with app.app_context():
        assert db.session.get(Round, rid).reminded_at is None
    fake_smtp.fail_connect = False
    sweep(app)
    assert len(fake_smtp.sent) == 2


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


def test_reminder_button_when_the_server_is_down(app, client, make_coordinator, make_study, make_expert, fake_smtp):
    from tests.conftest import login

    owner = make_coordinator("alice")
    login(client)
    sid = make_study(owner)
    make_expert(sid, name="A", email="a@example.org")
    rid = open_round(app, sid, submitted=())
    fake_smtp.fail_connect = True
    response = client.post(f"/studies/{sid}/rounds/{rid}/remind?lang=en", follow_redirects=True)
    assert "could not be sent" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Round, rid).reminded_at is None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.remind")) == 0


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


def test_sweep_command(app, runner, make_study):
    sid = make_study()
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
