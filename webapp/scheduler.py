"""The scheduler: one dedicated process that opens and closes rounds and sends reminders.

Run it next to the web workers with ``flask --app webapp scheduler`` (a
systemd unit or supervisor program); ``flask --app webapp sweep`` runs one
sweep, for cron. It is never started by ``create_app``: every web worker would
run every job (see ENGINEERING-NOTES §1). The real schedule lives in the
round table, so the job store is in memory and a restart loses nothing, and
deadlines hold without any scheduler (every request closes an expired round
first).

Two schedulers started by mistake are refused: the process takes a
non-blocking ``fcntl.flock`` on ``instance/scheduler.lock`` and, on
PostgreSQL, ``pg_try_advisory_lock`` on a connection of its own (which also
covers schedulers on several hosts). Each sweep is safe to run twice anyway:
every change is a conditional UPDATE.
"""
from __future__ import annotations

import fcntl
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import Flask


log = logging.getLogger("webapp.scheduler")

SWEEP_MINUTES = 1
# "Concordi" as a 64-bit number: the advisory lock key of the scheduler.
ADVISORY_LOCK_KEY = int.from_bytes(b"Concordi", "big") & 0x7FFFFFFFFFFFFFFF


class SchedulerLocked(RuntimeError):
    """Another scheduler holds the lock."""


@dataclass
class SweepResult:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reminded: dict[int, int] = field(default_factory=dict)  # round id -> reminders the server took
    evaluations_reminded: dict[int, int] = field(default_factory=dict)  # evaluation id -> evaluators reminded
    failed: dict[int, str] = field(default_factory=dict)  # study id -> the error of its step

    def __str__(self) -> str:
        text = (f"opened {len(self.opened)} round(s), closed {len(self.closed)}, "
                f"reminded {sum(self.reminded.values())} expert(s) in {len(self.reminded)} round(s)")
        return text + (f", {len(self.failed)} study(ies) failed" if self.failed else "")


def _studies_with_due_rounds(now: datetime) -> list[int]:
    from sqlalchemy import and_, or_, select

    from webapp.extensions import db
    from webapp.models import Round, RoundStatus

    due_open = and_(Round.status == RoundStatus.draft, Round.opens_at.is_not(None), Round.opens_at <= now)
    due_close = and_(Round.status == RoundStatus.open, Round.closes_at.is_not(None), Round.closes_at <= now)
    return list(db.session.scalars(select(Round.study_id).where(or_(due_open, due_close))
                                   .distinct().order_by(Round.study_id)))


def _isolated(result: SweepResult, study_id: int | None, step: str, work) -> bool:
    """Run one study's (or one round's) step in its own transaction: on an error roll
    back only this step, log it and record it for the study's coordinator."""
    from webapp.extensions import db
    from webapp.models import Study
    from webapp.services import audit
    from webapp.services.mail import header_safe

    try:
        work()
        db.session.commit()
        return True
    except Exception as exc:  # noqa: BLE001 - one study's failure never stops the others
        db.session.rollback()
        log.exception("sweep: %s of study %s failed and was rolled back", step, study_id)
        error = header_safe(f"{type(exc).__name__}: {exc}", limit=500)
        if study_id is not None:
            result.failed[study_id] = error
            try:
                audit.record("scheduler.failed", study=db.session.get(Study, study_id), actor="system",
                             details={"step": step, "error": error})
                db.session.commit()
            except Exception:  # noqa: BLE001 - the log has it
                db.session.rollback()
                log.exception("sweep: could not record the failure of study %s", study_id)
        return False


def sweep(app: Flask, *, now: datetime | None = None) -> SweepResult:
    """One pass: open due rounds, close expired ones, send due reminders.

    Each study's opening/closing and each round's reminder run in a transaction of
    their own, so one study's failure (a mail server refusing a header, a constraint)
    is rolled back, logged and shown to that study's coordinator (audit event
    ``scheduler.failed``) while every other study is served. Messages are queued and
    committed before they are sent (at most once), then their outcome is committed.
    """
    from webapp.extensions import db
    from webapp.models import Round, utcnow
    from webapp.services import notifications, round_lifecycle

    with app.app_context():
        try:
            now = now or utcnow()
            result = SweepResult()

            for study_id in _studies_with_due_rounds(now):
                opened: list[int] = []

                def open_and_close(study_id=study_id, opened=opened):
                    opened += round_lifecycle.open_due_rounds(now=now, study_id=study_id)
                    result.closed.extend(round_lifecycle.close_expired_rounds(now=now, study_id=study_id))

                _isolated(result, study_id, "open/close", open_and_close)
                result.opened.extend(opened)
                for round_id in opened:
                    _notify(result, db.session.get(Round, round_id), notifications.queue_round_open,
                            "round-open notice")

            for round_id in notifications.due_reminder_rounds(now):
                rnd = db.session.get(Round, round_id)
                outcome = _notify(result, rnd, lambda r: notifications.queue_due_reminder(r, now=now),
                                  "reminder")
                if outcome is not None:
                    result.reminded[round_id] = outcome.sent + outcome.not_sent
            _remind_evaluators(result, now)
            return result
        finally:
            db.session.remove()


def _notify(result: SweepResult, rnd, queue, step: str):
    """Queue (commit), then deliver and record (commit), each isolated."""
    from webapp.services import notifications

    study_id = rnd.study_id
    box = {}
    if not _isolated(result, study_id, step, lambda: box.setdefault("outcome", queue(rnd))):
        return None
    outcome = box.get("outcome")
    if outcome is None:
        return None
    _isolated(result, study_id, step, lambda: notifications.finish(outcome, study=rnd.study, actor="system"))
    return outcome


def _remind_evaluators(result: SweepResult, now: datetime) -> None:
    """Each due evaluation's reminder: claim and queue (commit), then deliver and record (commit)."""
    from webapp.extensions import db
    from webapp.models import Evaluation
    from webapp.services import evaluator_reminders

    for evaluation_id in evaluator_reminders.due_reminder_evaluations(now):
        evaluation = db.session.get(Evaluation, evaluation_id)
        box = {}
        if not _isolated(result, evaluation.study_id, "evaluator reminder",
                         lambda e=evaluation: box.setdefault("outcome",
                                                             evaluator_reminders.queue_due_reminder(e, now=now))):
            continue
        outcome = box.get("outcome")
        if outcome is None:
            continue
        _isolated(result, evaluation.study_id, "evaluator reminder",
                  lambda e=evaluation: evaluator_reminders.finish(outcome, study=e.study, actor="system"))
        counts = outcome.to_dict()
        result.evaluations_reminded[evaluation_id] = counts["sent"] + counts["not_sent"]


class SchedulerLock:
    """The single-scheduler guard: a file lock, plus an advisory lock on PostgreSQL."""

    def __init__(self, app: Flask):
        self.app = app
        self.path = Path(app.config.get("SCHEDULER_LOCK_FILE") or Path(app.instance_path) / "scheduler.lock")
        self._file = None
        self._connection = None

    def acquire(self) -> "SchedulerLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise SchedulerLocked(
                f"another scheduler is running (it holds {self.path}, pid {holder}); not starting a second one")
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        try:
            self._acquire_advisory_lock()
        except BaseException:
            self.release()
            raise
        return self

    def _acquire_advisory_lock(self) -> None:
        from sqlalchemy import text

        from webapp.extensions import db

        with self.app.app_context():
            if db.engine.dialect.name != "postgresql":
                return
            connection = db.engine.connect()  # dedicated: the lock lives as long as this session
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": ADVISORY_LOCK_KEY}).scalar()
            connection.commit()  # a session-level lock survives the transaction
            if not got:
                connection.close()
                raise SchedulerLocked("another scheduler holds the database lock "
                                      f"(pg_try_advisory_lock({ADVISORY_LOCK_KEY})); not starting a second one")
            self._connection = connection

    def release(self) -> None:
        if self._connection is not None:
            from sqlalchemy import text

            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> "SchedulerLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def build_scheduler(app: Flask):
    """A BlockingScheduler with the one sweep job, every minute, starting at once."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from webapp.models import utcnow

    scheduler = BlockingScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})

    def job() -> None:
        try:
            result = sweep(app)
        except Exception:  # noqa: BLE001 - logged; the next sweep tries again
            log.exception("sweep failed and was rolled back")
            return
        if result.opened or result.closed or result.reminded:
            log.info("sweep: %s", result)

    scheduler.add_job(job, "interval", minutes=SWEEP_MINUTES, id="sweep", replace_existing=True,
                      next_run_time=utcnow())
    return scheduler


def run(app: Flask, *, echo=print) -> None:
    """Run the scheduler in this process until stopped (SIGINT or SIGTERM)."""
    lock = SchedulerLock(app).acquire()  # raises SchedulerLocked
    scheduler = build_scheduler(app)

    def stop(signum, _frame):
        echo(f"scheduler: signal {signum}, stopping")
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    echo(f"scheduler: pid {os.getpid()}, sweeping every {SWEEP_MINUTES} minute(s); lock {lock.path}")
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()
        echo("scheduler: stopped")
