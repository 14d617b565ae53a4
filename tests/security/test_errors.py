"""Errors: JSON for every error under /api/ (a 500 included), 503 with Retry-After when the
database stays locked, and never a 500 for refused input."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import make_app
from tests.security.world import fingerprint


def app_with_failing_routes(db_url, tmp_path, error):
    app = make_app(db_url, tmp_path, PROPAGATE_EXCEPTIONS=False)

    def fail():
        raise error

    app.add_url_rule("/api/v1/test-fail", "test_api_fail", fail)
    app.add_url_rule("/test-fail", "test_page_fail", fail)
    return app


def locked() -> OperationalError:
    return OperationalError("UPDATE rating …", {}, sqlite3.OperationalError("database is locked"))


def test_a_500_under_the_api_is_json(db_url, tmp_path):
    app = app_with_failing_routes(db_url, tmp_path, RuntimeError("boom"))
    response = app.test_client().get("/api/v1/test-fail")
    assert response.status_code == 500
    assert response.is_json and response.get_json()["error"] == "internal_server_error"
    assert response.get_json()["message"]
    page = app.test_client().get("/test-fail")
    assert page.status_code == 500 and page.mimetype == "text/html"


def test_a_locked_database_answers_503_with_retry_after(db_url, tmp_path):
    app = app_with_failing_routes(db_url, tmp_path, locked())
    response = app.test_client().get("/api/v1/test-fail")
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert response.is_json and response.get_json()["error"] == "service_unavailable"
    page = app.test_client().get("/test-fail")
    assert page.status_code == 503 and page.headers["Retry-After"] and page.mimetype == "text/html"
    assert b"busy" in page.data


def test_postgresql_lock_timeouts_count_as_busy():
    from webapp.errors import database_busy

    class PgError(Exception):
        sqlstate = "55P03"

    assert database_busy(OperationalError("SELECT", {}, PgError("could not obtain lock")))
    assert not database_busy(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))


def test_other_database_errors_stay_500(db_url, tmp_path):
    error = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    app = app_with_failing_routes(db_url, tmp_path, error)
    assert app.test_client().get("/api/v1/test-fail").status_code == 500


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/health/x"])
def test_api_404_and_405_are_json(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.is_json
    response = client.get("/api/v1/rounds/1/answers")
    assert response.status_code == 405 and response.is_json


def test_autosave_while_another_process_holds_the_write_lock_is_a_503(tmp_path):
    """A real lock: another connection holds SQLite's write lock past the busy timeout (5 s)."""
    from webapp.extensions import db
    from webapp.models import Study
    from webapp.services import round_lifecycle, round_scope, studies
    from webapp.services.accounts import create_coordinator
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    path = tmp_path / "locked.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        db.create_all()
        study = studies.create_study(create_coordinator("alice", "correct horse battery"), title="S")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        token = studies.add_expert(study, name="Ada").token
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        round_id, node_id = rnd.id, rnd.items[0].node_id
    client = app.test_client()
    client.get(f"/i/{token}")
    before = fingerprint(app)
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(f"/api/v1/rounds/{round_id}/answers",
                               json={"answers": [{"node_id": node_id, "value": 4}]})
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503, response.data
    assert response.headers["Retry-After"] and response.get_json()["message"]
    assert fingerprint(app) == before
    with app.app_context():
        db.engine.dispose()
