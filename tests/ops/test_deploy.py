"""The deployment examples: gunicorn with deploy/gunicorn.conf.py serves the app and
its access log never records an invitation token; nginx's log format redacts it too."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redact_removes_tokens_only():
    from webapp.accesslog import redact

    assert redact("GET /i/AbC-12_x?lang=zh HTTP/1.1") == "GET /i/[redacted]?lang=zh HTTP/1.1"
    assert redact("/i/tok/more") == "/i/[redacted]/more"
    assert redact("GET /expert/rounds/3 HTTP/1.1") == "GET /expert/rounds/3 HTTP/1.1"


def test_gunicorn_with_the_deploy_config_keeps_tokens_out_of_the_access_log(tmp_path):
    from tests.conftest import make_app
    from webapp.extensions import db

    url = f"sqlite:///{tmp_path}/d.sqlite3"
    app = make_app(url, tmp_path)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    port = free_port()
    env = os.environ | {"CONCORDIA_DATABASE_URL": url, "CONCORDIA_INSTANCE_PATH": str(tmp_path / "inst"),
                        "CONCORDIA_SECRET_KEY": "x" * 32, "CONCORDIA_BIND": f"127.0.0.1:{port}",
                        "CONCORDIA_WORKERS": "1"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "webapp:create_app()"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    token = "SeCrEtToKeN" + "x" * 32
    try:
        deadline = time.monotonic() + 120  # a busy machine starts workers slowly
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/i/{token}?lang=zh", timeout=5)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404  # unknown link
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    # the master compiled the templates before forking (the worker inherits them)
    assert re.search(r"Compiled (\d+) templates before forking", text), text
    assert "/i/[redacted]?lang=zh" in text
    assert "SeCrEtToKeN" not in text


def test_nginx_example_logs_with_the_redacting_format_only():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    access_logs = re.findall(r"^\s*access_log\s+(\S+)(?:\s+(\S+))?;", conf, re.M)
    assert access_logs and all(fmt == "concordia" or path == "off" for path, fmt in access_logs)
    assert "$request_uri" not in conf.split("log_format")[1].split(";")[0]  # the raw URI is never logged
    # the map's pattern (PCRE) behaves like this Python equivalent
    pattern = re.search(r"~(\^/i/\S+)\s+/i/\[redacted\]\$rest;", conf).group(1).replace("(?<rest>", "(?P<rest>")
    match = re.match(pattern, "/i/SeCrEt?lang=zh")
    assert match and match.group("rest") == "?lang=zh"
    assert "client_max_body_size" in conf and "X-Forwarded-Proto" in conf and "ssl_certificate" in conf


def _deploy_config(monkeypatch, **env) -> dict:
    import runpy

    for key in ("CONCORDIA_WORKERS", "CONCORDIA_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_workers_per_core_follow_the_database(monkeypatch):
    cores = os.cpu_count()
    assert _deploy_config(monkeypatch)["workers"] == cores + 1       # SQLite, the embedded default
    assert _deploy_config(monkeypatch, CONCORDIA_DATABASE_URL="sqlite:////srv/c.sqlite3")["workers"] == cores + 1
    assert _deploy_config(monkeypatch, CONCORDIA_DATABASE_URL="postgresql://c@db/c")["workers"] == 2 * cores + 1
    assert _deploy_config(monkeypatch, CONCORDIA_DATABASE_URL="postgresql://c@db/c",
                          CONCORDIA_WORKERS="7")["workers"] == 7


def test_workers_are_forks_of_a_preloaded_app_with_its_objects_frozen(monkeypatch):
    import gc

    config = _deploy_config(monkeypatch)
    assert config["preload_app"] is True
    before = gc.get_freeze_count()
    try:
        config["pre_fork"](None, None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_precompiled_templates_are_served_without_compiling_again(tmp_path, monkeypatch):
    """What gunicorn's master does before forking (``when_ready``): afterwards no page
    compiles a template (a fresh worker starts with them all compiled)."""
    from tests.conftest import make_app
    from webapp.extensions import db
    from webapp.templating import precompile_templates

    compiled = []

    def counting_app():
        app = make_app(f"sqlite:///{tmp_path}/t{len(compiled)}.sqlite3", tmp_path)
        with app.app_context():
            db.create_all()
        original = app.jinja_env.compile
        monkeypatch.setattr(app.jinja_env, "compile",
                            lambda *a, **k: compiled.append(a[1] if len(a) > 1 else k.get("name")) or original(*a, **k))
        return app

    cold = counting_app()
    assert cold.test_client().get("/login").status_code == 200
    assert compiled, "a fresh app compiles the login page's templates on first use"

    warm = counting_app()
    count = precompile_templates(warm)
    assert count == len(warm.jinja_env.list_templates(extensions=["html"])) >= 50
    compiled.clear()
    client = warm.test_client()
    for path in ("/login", "/", "/i/unknown-token"):
        client.get(path)
    assert compiled == []


def test_workers_restart_spread_out(monkeypatch):
    """Workers share the requests evenly, so they reach max_requests together unless the
    jitter is wide: half the limit spreads their restarts (and their cold starts)."""
    config = _deploy_config(monkeypatch)
    assert config["max_requests"] >= 5000
    assert config["max_requests_jitter"] >= config["max_requests"] // 2
    assert callable(config["when_ready"])
