"""Shared fixtures: a fresh app and database per test, on SQLite and (when
CONCORDIA_TEST_PG gives an admin URL) PostgreSQL; a CSRF-aware client; factories.

CSRF stays on in tests: the client fetches a real token for its session and
adds it to every POST unless told not to (``csrf=False``).
"""
from __future__ import annotations

import os
import uuid

import pytest
from flask.testing import FlaskClient

PG_ADMIN = os.environ.get("CONCORDIA_TEST_PG")
PASSWORD = "correct horse battery"


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("postgres"):
            backends = ["postgresql"]  # deselected below when no cluster is given
        else:
            backends = ["sqlite"] + (["postgresql"] if PG_ADMIN else [])
        metafunc.parametrize("db_url", backends, indirect=True)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are deselected (not skipped) without CONCORDIA_TEST_PG."""
    if PG_ADMIN:
        return
    keep = [item for item in items if not item.get_closest_marker("postgres")]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("postgres")])
        items[:] = keep


@pytest.fixture
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.sqlite3"
        return
    import psycopg

    name = "concordia_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class CsrfClient(FlaskClient):
    """A test client that behaves like a browser holding the page's CSRF token."""

    def csrf_token(self) -> str:
        return self.get("/api/v1/csrf-token").get_json()["csrf_token"]

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            token = self.csrf_token()
            if "json" in kwargs:
                headers = dict(kwargs.pop("headers", None) or {})
                headers.setdefault("X-CSRF-Token", token)
                kwargs["headers"] = headers
            else:
                data = kwargs.get("data")
                if data is None:
                    data = {}
                if isinstance(data, dict):
                    data = dict(data)
                    data.setdefault("csrf_token", token)
                kwargs["data"] = data
        return super().post(*args, **kwargs)


def make_app(db_url: str, tmp_path, **overrides):
    from webapp import create_app

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = CsrfClient
    return app


@pytest.fixture
def app(db_url, tmp_path):
    from webapp.extensions import db

    app = make_app(db_url, tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


# --- factories ------------------------------------------------------------------

@pytest.fixture
def make_coordinator(app):
    from webapp.extensions import db
    from webapp.services.accounts import create_coordinator

    def make(username: str = "alice", password: str = PASSWORD, **kwargs):
        with app.app_context():
            user = create_coordinator(username, password, **kwargs)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_study(app, make_coordinator):
    """A study owned by ``owner`` (a user id), with the seed hierarchy by default."""
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    def make(owner: int | None = None, *, title: str = "Seed study", seed: bool = True, time_zone: str = "UTC"):
        """A Chinese study; its time zone is UTC unless given (so typed times read as UTC)."""
        with app.app_context():
            if owner is None:
                owner = make_coordinator(f"owner{uuid.uuid4().hex[:6]}")
            study = studies.create_study(db.session.get(User, owner), title=title, time_zone=time_zone)
            if seed:
                studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
            db.session.commit()
            return study.id

    return make


@pytest.fixture
def make_expert(app):
    """Invite an expert; returns (expert_id, token)."""
    from webapp.extensions import db
    from webapp.models import Study
    from webapp.services import studies

    def make(study_id: int, **kwargs):
        with app.app_context():
            invitation = studies.add_expert(db.session.get(Study, study_id), **kwargs)
            db.session.commit()
            return invitation.expert.id, invitation.token

    return make


def login(client, username: str = "alice", password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def coordinator_client(client, make_coordinator):
    """A client logged in as coordinator 'alice'."""
    make_coordinator("alice")
    response = login(client)
    assert response.status_code == 302, response.data
    return client
