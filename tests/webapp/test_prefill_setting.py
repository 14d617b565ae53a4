"""``prefill_answers`` lives in ``Round.settings`` (read through ``round_settings``), frozen at
open like the other settings; the migration moves the old column's values into the JSON
and back on downgrade; the round form's field keeps working."""
from __future__ import annotations

import json
import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from tests.conftest import make_app
from webapp.extensions import db
from webapp.models import InvalidTransition, Round, Study, User
from webapp.services import between_rounds, round_lifecycle, round_scope, round_settings

PANEL_REVISION = "c3536a577274"  # the revision that had the column
REVISION = "r0a1b2c3d4e5"


def test_the_migration_moves_the_column_into_the_settings_and_back(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    with app.app_context():
        upgrade(revision=PANEL_REVISION)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO \"user\" (id, username, display_name, password_hash, session_token, "
                              "active, created_at) VALUES (1, 'migrator', 'U', 'x', 't', true, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO study (id, title, description, status, owner_id, default_locale, "
                              "created_at) VALUES (1, 'S', '', 'running', 1, 'zh', '2026-01-01 00:00:00')"))
            for rid, number, prefill, settings in [(1, 1, True, '{"alpha": 0.05}'), (2, 2, False, "{}")]:
                conn.execute(text(
                    "INSERT INTO round (id, study_id, number, kind, title, instructions, status, scale_min, "
                    "scale_max, allow_comments, allow_proposals, allow_no_opinion, drop_consensus_items, "
                    "created_at, settings, prefill_answers) VALUES (:id, 1, :n, 'delphi', '', '', 'closed', 1, 5, "
                    "true, true, true, false, '2026-01-01 00:00:00', :s, :p)"),
                    {"id": rid, "n": number, "s": settings, "p": prefill})
        upgrade(revision=REVISION)
        assert "prefill_answers" not in {c["name"] for c in inspect(db.engine).get_columns("round")}
        with db.engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT id, settings FROM round ORDER BY id")).all())
        assert json.loads(stored[1]) == {"alpha": 0.05, "prefill_answers": True}
        assert json.loads(stored[2]) == {"prefill_answers": False}

        downgrade(revision=PANEL_REVISION)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, prefill_answers, settings FROM round ORDER BY id")).all()
        assert [(r[0], bool(r[1]), json.loads(r[2])) for r in rows] == [(1, True, {"alpha": 0.05}), (2, False, {})]
        with db.engine.begin() as conn:  # empty again, so the schema goes down to nothing
            for table in ("round", "study", '"user"'):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(revision="base")
        db.engine.dispose()


@pytest.fixture
def study(app, make_study, make_expert, coordinator_client):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "alice")).id
    sid = make_study(owner)
    make_expert(sid, name="E", email="e@example.org")
    return sid


FORM = {"title": "", "instructions": "", "scale": "1-5", "scale_min": "1", "scale_max": "5", "scope": "1",
        "allow_comments": "y", "allow_proposals": "y", "allow_no_opinion": "y", "opens_at": "", "closes_at": "",
        "reminder_hours": ""}


def prefill_ticked(page: str) -> bool:
    (tag,) = re.findall(r'<input[^>]*name="prefill_answers"[^>]*>', page)
    return " checked" in tag


def test_the_form_field_sets_the_setting_and_it_freezes_at_open(app, coordinator_client, study):
    # Unticked: no "prefill_answers" in the post.
    assert coordinator_client.post(f"/studies/{study}/rounds/new", data=FORM).status_code == 302
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.study_id == study))
        assert rnd.settings["prefill_answers"] is False
        assert round_settings.settings_of(rnd).prefill_answers is False
        rid = rnd.id
    page = coordinator_client.get(f"/studies/{study}/rounds/{rid}/edit").get_data(as_text=True)
    assert not prefill_ticked(page)
    assert coordinator_client.post(f"/studies/{study}/rounds/{rid}/edit",
                                   data=FORM | {"prefill_answers": "y"}).status_code == 302
    with app.app_context():
        rnd = db.session.get(Round, rid)
        assert round_settings.settings_of(rnd).prefill_answers is True
    page = coordinator_client.get(f"/studies/{study}/rounds/{rid}/edit").get_data(as_text=True)
    assert prefill_ticked(page)
    assert coordinator_client.post(f"/studies/{study}/rounds/{rid}/open").status_code == 302
    with app.app_context():
        rnd = db.session.get(Round, rid)
        assert rnd.settings["prefill_answers"] is True
        with pytest.raises(InvalidTransition):
            round_settings.with_options(rnd, prefill_answers=False)
        db.session.rollback()
        with pytest.raises(round_lifecycle.RoundError):
            round_lifecycle.update_round(rnd, prefill_answers=False)
        db.session.rollback()
        assert round_settings.settings_of(db.session.get(Round, rid)).prefill_answers is True


def test_the_next_round_carries_the_setting(app, study):
    with app.app_context():
        s = db.session.get(Study, study)
        first = round_scope.create_delphi_round(s, rated_level=1, prefill_answers=False)
        round_lifecycle.open_round(first)
        round_lifecycle.close_round(first)
        second = between_rounds.create_next_round(first)
        assert round_settings.settings_of(second).prefill_answers is False
        assert second.settings["prefill_answers"] is False
