"""Shared by the scheduler tests: a real SMTP server, the scheduler's lock file, a
five-expert study, and opening a round with some experts submitted."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from webapp.extensions import db
from webapp.models import Round, Study, utcnow
from tests.webapp.smtp_server import free_port, smtp_server  # noqa: F401 (fixture)
from webapp.services import answers, round_lifecycle, round_scope

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
