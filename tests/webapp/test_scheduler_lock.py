"""One scheduler only (file and database locks), the scheduler CLI commands, and no scheduler in create_app."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import RoundStatus, Study, utcnow
from webapp.services import round_scope

from tests.webapp.scheduler_support import ROOT, status_of
from tests.webapp.scheduler_support import lock_file  # noqa: F401 (fixtures)


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
