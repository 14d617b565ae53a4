"""Shared fixtures: an app and an empty database for every test, on SQLite and (when
CONCORDIA_TEST_PG gives an admin URL) PostgreSQL; a CSRF-aware client; factories.

The ``app`` is built once per session and backend (building one takes 75–135 ms, about
half a web test's time): before each test its database is emptied (every table, ids
restarting at 1) and its configuration restored, so a test may change ``app.config``
freely. A test that needs an app of its own (other configuration at creation, extra
routes) builds it with :func:`make_app` on ``db_url``; ``db_url`` is the shared database
when the test also uses ``app`` (two "workers" on one database), else a fresh one.

CSRF stays on in tests: the client fetches a real token for its session and
adds it to every POST unless told not to (``csrf=False``).
"""
from __future__ import annotations

import copy
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


def _new_pg_database(prefix: str) -> str:
    import psycopg

    name = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name


def _drop_pg_database(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class SharedApps:
    """One app (and its database) per backend for the whole session."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.urls: dict[str, str] = {}
        self.apps: dict[str, tuple] = {}

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            self.urls[backend] = (f"sqlite:///{self.tmp_path_factory.mktemp('shared')}/test.sqlite3"
                                  if backend == "sqlite" else _new_pg_database("concordia_s_"))
        return self.urls[backend]

    def app(self, url: str):
        """The shared app on ``url`` with an empty database and its configuration as built."""
        from webapp.extensions import db

        if url not in self.apps:
            app = make_app(url, self.tmp_path_factory.mktemp("app"))
            with app.app_context():
                db.create_all()
            self.apps[url] = (app, _copy_config(app.config))
        app, config = self.apps[url]
        app.config.clear()
        app.config.update(_copy_config(config))
        with app.app_context():
            _empty_database(db)
        return app

    def close(self) -> None:
        from webapp.extensions import db

        for app, _config in self.apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for backend, url in self.urls.items():
            if backend != "sqlite":
                _drop_pg_database(url)


def _copy_config(config) -> dict:
    try:
        return copy.deepcopy(dict(config))
    except Exception:  # noqa: BLE001 - a value that cannot be copied deeply is kept as it is
        return dict(config)


def _empty_database(db) -> None:
    """Every row of every table gone, ids restarting at 1."""
    from sqlalchemy import inspect, text

    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in tables:
            conn.execute(table.delete())
        if inspect(conn).has_table("sqlite_sequence"):
            conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture(scope="session")
def shared_apps(tmp_path_factory):
    shared = SharedApps(tmp_path_factory)
    yield shared
    shared.close()


@pytest.fixture
def db_url(request, tmp_path, shared_apps):
    if "app" in request.fixturenames:  # the shared app's database (emptied for each test)
        yield shared_apps.url(request.param)
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.sqlite3"
        return
    url = _new_pg_database("concordia_t_")
    yield url
    _drop_pg_database(url)


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
def app(db_url, shared_apps):
    from webapp.extensions import db

    app = shared_apps.app(db_url)
    yield app
    with app.app_context():
        db.session.remove()


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
