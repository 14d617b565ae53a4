"""Configuration in layers: class defaults, ``instance/config.py``, environment.

Tests pass a mapping to ``create_app`` which wins over everything else.
The secret key is never in the code: it comes from the environment,
``instance/config.py``, or is generated once into ``instance/secret_key``.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask


class Config:
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Cookies: HttpOnly always; Secure whenever the public URL is https (or
    # CONCORDIA_SECURE_COOKIES=1; =0 turns it off), since the local demo runs on plain http.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(days=60)
    # A slow expert on a phone must not lose a questionnaire to an expired token.
    CSRF_TIME_LIMIT = timedelta(hours=12)
    LANGUAGES = ("en", "zh")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Login throttling (kept in the database so it holds across workers).
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_IP = 20
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    # Outgoing mail for reminders; with no host, reminders go to the log.
    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_FROM = "concordia@localhost"
    # Upload limit for hierarchy and panel files.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # How long a SQLite writer waits for another's write lock (a backup, a long
    # coordinator action) before giving up: well below gunicorn's 30 s timeout
    # (deploy/gunicorn.conf.py), so the request still answers.
    SQLITE_BUSY_TIMEOUT_MS = 15000
    # The app's SQLite writers take turns in a fair queue (webapp/models/sqlite_writers.py)
    # rather than racing in SQLite's busy handler; CONCORDIA_SQLITE_WRITE_QUEUE=0 turns it off.
    SQLITE_WRITE_QUEUE = True
    PUBLIC_BASE_URL = None  # e.g. https://concordia.example.org for links in e-mails
    SECURE_COOKIES = None  # None: Secure exactly when PUBLIC_BASE_URL is https
    TRUST_PROXY = False


ENV_KEYS = {
    "CONCORDIA_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "CONCORDIA_SECRET_KEY": "SECRET_KEY",
    "CONCORDIA_SMTP_HOST": "SMTP_HOST",
    "CONCORDIA_SMTP_PORT": "SMTP_PORT",
    "CONCORDIA_SMTP_USERNAME": "SMTP_USERNAME",
    "CONCORDIA_SMTP_PASSWORD": "SMTP_PASSWORD",
    "CONCORDIA_SMTP_FROM": "SMTP_FROM",
    "CONCORDIA_PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
}


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Config)
    _private_instance_dir(app.instance_path)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for env_key, config_key in ENV_KEYS.items():
            if os.environ.get(env_key):
                app.config[config_key] = os.environ[env_key]
        if isinstance(app.config.get("SMTP_PORT"), str):
            app.config["SMTP_PORT"] = int(app.config["SMTP_PORT"])
        if os.environ.get("CONCORDIA_SECURE_COOKIES") in ("0", "1"):
            app.config["SECURE_COOKIES"] = os.environ["CONCORDIA_SECURE_COOKIES"] == "1"
        if os.environ.get("CONCORDIA_SQLITE_WRITE_QUEUE") in ("0", "1"):
            app.config["SQLITE_WRITE_QUEUE"] = os.environ["CONCORDIA_SQLITE_WRITE_QUEUE"] == "1"
        if os.environ.get("CONCORDIA_TRUST_PROXY") == "1":
            app.config["TRUST_PROXY"] = True
    else:
        app.config.update(test_config)
    secure_cookies(app)

    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///" + os.path.join(app.instance_path, "concordia.sqlite3"),
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def secure_cookies(app: Flask) -> None:
    """Secure cookies whenever the public URL is https, unless SECURE_COOKIES says otherwise."""
    secure = app.config.get("SECURE_COOKIES")
    if secure is None:
        secure = str(app.config.get("PUBLIC_BASE_URL") or "").lower().startswith("https://")
    if secure:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)


def _private_instance_dir(path: str) -> None:
    """The instance folder holds the database and the secret key: owner only (0700)."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError:  # not ours (a read-only install): leave it to the administrator
        pass


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret_key(instance_path: str) -> str:
    """Generate the key once into the instance folder, readable by the owner only."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
