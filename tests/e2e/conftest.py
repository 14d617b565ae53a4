"""Browser tests: a live server on a migrated demo database, driven by
Playwright in Debian's chromium (never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(config, items):
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason="Debian's chromium is not installed (script/test installs it)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@dataclass
class LiveDemo:
    url: str
    app: object
    coordinator: tuple[str, str]
    expert_links: dict[str, str]
    ahp_links: dict[str, str]  # the AHP-stage demo study's experts


@pytest.fixture
def live_demo(tmp_path, monkeypatch):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.extensions import db
    from webapp.services.demo import load_demo

    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CONCORDIA_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONCORDIA_SECRET_KEY", raising=False)
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        logins = load_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield LiveDemo(url, app, (logins.username, logins.password),
                   {p: f"{url}/i/{t}" for p, t in logins.experts if t},
                   {p: f"{url}/i/{t}" for p, t in logins.ahp_experts if t})
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone_zh(browser):
    context = browser.new_context(**PHONE, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def desktop_en(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    yield context
    context.close()
