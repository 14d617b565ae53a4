"""What people do on Concordia's pages, for the whole-study browser test: a live server on an
empty migrated database, the coordinator's steps, an expert answering a Delphi round or an AHP
round through the page, and screenshots kept as test artefacts. Every step clicks, types and
reads what a person would; waits are on conditions, never fixed sleeps."""
from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots of every main page (ignored by git); CONCORDIA_E2E_ARTIFACTS moves them.
ARTIFACTS = Path(os.environ.get("CONCORDIA_E2E_ARTIFACTS", ROOT / "tests" / "e2e" / "artifacts")) / "whole-study"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SLOW = 60_000  # ms: generous waits on conditions, for a loaded 2-core machine


@dataclass
class Live:
    url: str
    app: object
    username: str
    password: str


@contextmanager
def live_empty_server(tmp_path, monkeypatch):
    """An empty database migrated to head, one coordinator account (the only thing not made
    through the pages: accounts come from ``flask create-coordinator``), served on a free port."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.extensions import db
    from webapp.services.accounts import create_coordinator

    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CONCORDIA_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONCORDIA_SECRET_KEY", raising=False)
    app = create_app()
    password = "a long coordinator passphrase"
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        create_coordinator("coordinator", password, locale="en")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app, "coordinator", password)
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


class Shots:
    """Screenshots named in the order taken, under :data:`ARTIFACTS`: the whole page down to
    ``MAX_HEIGHT`` pixels (a 60-item questionnaire on a phone is 13,000 px tall), or the viewport."""

    MAX_HEIGHT = 3000

    def __init__(self, folder: Path = ARTIFACTS):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.taken: list[Path] = []
        self.seconds = 0.0

    def __call__(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        start = time.monotonic()
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        if full_page:
            width, height = page.evaluate("() => [document.documentElement.scrollWidth, "
                                          "document.documentElement.scrollHeight]")
            page.screenshot(path=str(path), full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": min(height, self.MAX_HEIGHT)})
        else:
            page.screenshot(path=str(path))
        self.taken.append(path)
        self.seconds += time.monotonic() - start
        return path


def watch(page: Page, problems: list[str]) -> Page:
    """Collect what must never happen on a page: console errors (a CSP violation is one),
    uncaught script errors and server errors."""
    page.set_default_timeout(SLOW)
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"script: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 500 else None)
    page.on("dialog", lambda dialog: dialog.accept())  # "Open round 1 now?" and the like
    return page


def flash_text(page: Page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


# --- the coordinator -----------------------------------------------------------------------

def log_in(page: Page, live: Live) -> None:
    page.goto(live.url + "/login")
    page.fill("input[name=username]", live.username)
    page.fill("input[name=password]", live.password)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/studies/$"))


def read_links(page: Page) -> dict[str, str]:
    """Pseudonym → invitation link, as the links page shows them."""
    rows = page.locator("input[data-link]").evaluate_all("els => els.map(e => [e.dataset.who, e.value])")
    return {who.split()[0]: url for who, url in rows}


def open_round(page: Page) -> None:
    page.get_by_role("button", name="Open now").click()
    expect(page.locator(".flash").first).to_contain_text("is open")


def close_round(page: Page, live: Live, study_id: int, round_id: int) -> None:
    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}")
    page.get_by_role("button", name="Close now").click()
    expect(page.locator(".badge-lg")).to_have_text("Closed")


# --- an expert -----------------------------------------------------------------------------

def enter(page: Page, link: str) -> None:
    """Open the personal link (the token rides in the fragment) and land on the study page."""
    page.goto(link)
    page.wait_for_url(re.compile(r"/expert/$"))


def start_round(page: Page) -> None:
    """From the expert's study page: Start / Continue, and the one-minute self-assessment the
    first time (familiarity and judgment basis feed the authority coefficient)."""
    page.locator(".w-start a").click()
    if "/expert/profile" in page.url:
        page.locator("input[name=familiarity]").first.check()
        rows = page.locator(".basis-matrix input[type=radio]").evaluate_all(
            "els => [...new Set(els.map(e => e.name))]")
        for name in rows:
            page.locator(f"input[name='{name}']").first.check()
        page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/expert/rounds/\d+"))


def delphi_items(page: Page) -> dict[str, int]:
    """Indicator code → node id of the questionnaire's items, in page order."""
    pairs = page.locator("article.q-item").evaluate_all(
        "els => els.map(e => [e.querySelector('.q-code').textContent.trim(), Number(e.dataset.node)])")
    return dict(pairs)


def checked(page: Page) -> dict[str, str | None]:
    """Indicator code → the rating shown as chosen (None: nothing chosen), for every item."""
    return dict(page.locator("article.q-item").evaluate_all(
        "els => els.map(e => [e.querySelector('.q-code').textContent.trim(), "
        "(e.querySelector('input[type=radio]:checked') || {}).value || null])"))


def rate(page: Page, node_id: int, value: int) -> None:
    """Tap the segmented button (the radio itself is visually hidden)."""
    page.locator(f'#item-{node_id} label:has(input[type=radio][value="{value}"])').click()


def wait_saved(page: Page) -> None:
    """The page's autosave reports every answer stored (no request in flight or queued)."""
    expect(page.locator("[data-status]").first).to_have_class(re.compile(r"\bis-saved\b"), timeout=SLOW)


def submit(page: Page) -> None:
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(re.compile(r"/thanks"))


def ahp_blocks(page: Page) -> dict[str, object]:
    """Parent code → the block's section, from the block chips."""
    chips = page.locator(".ahp-chip").evaluate_all("els => els.map(e => [e.textContent.trim(), e.dataset.chip])")
    return {code: page.locator(f'.ahp-block[data-block="{block}"]') for code, block in chips}


def judge(block, values: list[int]) -> list[tuple[int, int, int]]:
    """Answer a block's comparisons in page order (row i vs column j; value v > 0: the row is
    v times as important, v < 0: the column is |v| times). Returns (row node, col node, v)."""
    pairs = block.locator(".ahp-pair").evaluate_all(
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), Number(e.dataset.i), Number(e.dataset.j)])")
    n = int(block.get_attribute("data-n"))
    assert [(i, j) for _r, _c, i, j in pairs] == [(i, j) for i in range(n) for j in range(i + 1, n)]
    typed = []
    for (row, col, _i, _j), v in zip(pairs, values, strict=True):
        block.locator(f'.ahp-pair[data-row="{row}"][data-col="{col}"] label:has(input[value="{v}"])').click()
        typed.append((row, col, v))
    return typed


def judged(block) -> list[int | None]:
    return block.locator(".ahp-pair").evaluate_all(
        "els => els.map(e => { const c = e.querySelector('input:checked'); return c ? Number(c.value) : null; })")


@dataclass
class Expert:
    """One panel member: a browser context (their device) and what they typed."""
    pseudonym: str
    context: object
    english: bool
    link: str = ""
    typed: dict = field(default_factory=dict)

    def page(self, problems: list[str]) -> Page:
        page = watch(self.context.new_page(), problems)
        enter(page, self.link)
        if self.english and page.locator("html").get_attribute("lang") != "en":
            page.get_by_role("link", name="English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        return page
