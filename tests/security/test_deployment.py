"""Deployment defaults: Secure cookies with an https public URL, a private instance folder
and database file, access logs without invitation tokens."""
from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import login, make_app


def set_cookies(app) -> str:
    from webapp.extensions import db
    from webapp.services.accounts import create_coordinator

    with app.app_context():
        db.create_all()
        create_coordinator("alice", "correct horse battery")
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "alice", "password": "correct horse battery",
                                           "remember": "y", "csrf_token": client.csrf_token()}, csrf=False)
    assert response.status_code == 302
    return " | ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("base, secure", [("https://concordia.example.org", True),
                                          ("http://127.0.0.1:5000", False), (None, False)])
def test_cookies_are_secure_whenever_the_public_url_is_https(tmp_path, base, secure):
    app = make_app(f"sqlite:///{tmp_path}/c.sqlite3", tmp_path, PUBLIC_BASE_URL=base)
    cookies = set_cookies(app)
    assert "session=" in cookies and "remember_token=" in cookies
    assert all(("Secure" in c) == secure for c in cookies.split(" | ") if c.startswith(("session=", "remember_")))


def test_secure_cookies_can_be_turned_off_explicitly(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/c.sqlite3", tmp_path, PUBLIC_BASE_URL="https://x.example",
                   SECURE_COOKIES=False)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_instance_folder_and_sqlite_file_are_private(tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.extensions import db

    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(tmp_path / "instance"))
    old = os.umask(0o022)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "k", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    finally:
        os.umask(old)
    folder = tmp_path / "instance"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    database = folder / "concordia.sqlite3"
    assert database.exists() and stat.S_IMODE(database.stat().st_mode) == 0o600
    for extra in ("-wal", "-shm", "-writers"):
        side = Path(str(database) + extra)
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0


def test_the_access_log_does_not_record_invitation_tokens():
    from webapp.accesslog import RedactingLogger

    token = "q8Zb3xY7-secret-invitation-token_Aa1"
    logger = RedactingLogger(SimpleNamespace(**{
        "errorlog": "-", "loglevel": "info", "accesslog": None, "access_log_format": "%(r)s", "logconfig": None,
        "logconfig_dict": {}, "logconfig_json": None, "syslog": False, "syslog_addr": None, "syslog_prefix": None,
        "syslog_facility": "user", "disable_redirect_access_to_syslog": False, "capture_output": False,
        "user": os.getuid(), "group": os.getgid(), "statsd_host": None, "dogstatsd_tags": "", "statsd_prefix": "",
        "env": {}}))
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/i/{token}?lang=zh", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": f"/i/{token}", "QUERY_STRING": "lang=zh", "REMOTE_ADDR": "198.51.100.1",
               "HTTP_REFERER": f"https://concordia.example.org/i/{token}"}
    response = SimpleNamespace(status="302 FOUND", sent=0, headers=[("Location", "/expert/")])
    request = SimpleNamespace(headers=[("Referer", f"https://concordia.example.org/i/{token}")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert token not in repr(atoms)
    assert atoms["r"] == "GET /i/[redacted]?lang=zh HTTP/1.1"
    server = (Path(__file__).parents[2] / "script" / "server").read_text()
    assert "--logger-class webapp.accesslog.RedactingLogger" in server
