"""The coordinator's round-0 preview in chromium, with and without JavaScript: without it the fields of
the other kinds of proposal are folded (only a summary line shows) and unfold on a tap; with it only the
chosen kind's fields show and nothing is posted while typing. Screenshots (phone zh, desktop en) go to
/work/shots/left/ when /work/shots exists."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.conftest import PHONE
from webapp.extensions import db
from webapp.models import User
from webapp.services import round_zero, studies
from webapp.services.demo import seed_hierarchy_bytes
from webapp.services.hierarchy_io import parse_json, validate_tree

pytestmark = pytest.mark.e2e
SHOTS = Path("/work/shots/left")


def draft_round_zero(live_demo):
    with live_demo.app.app_context():
        owner = db.session.scalar(select(User).where(User.username == live_demo.coordinator[0]))
        study = studies.create_study(owner, title="Round 0 preview study")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        rnd = round_zero.create_round_zero(study, instructions="Which indicators are missing?")
        db.session.commit()
        return f"/studies/{study.id}/rounds/{rnd.id}/round-zero/preview"


def logged_in(browser, live_demo, lang, *, javascript, phone):
    options = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 800}}
    context = browser.new_context(**options, locale="zh-CN" if lang == "zh" else "en-GB",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_demo.url}/login?lang={lang}")
    page.fill("input[name=username]", live_demo.coordinator[0])
    page.fill("input[name=password]", live_demo.coordinator[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.locator("#add").screenshot(path=str(SHOTS / name))


@pytest.mark.parametrize("lang, phone", [("zh", True), ("en", False)])
def test_preview_without_javascript_folds_the_other_kinds(live_demo, browser, lang, phone):
    path = draft_round_zero(live_demo)
    device = "phone" if phone else "desktop"
    context, page = logged_in(browser, live_demo, lang, javascript=False, phone=phone)
    page.goto(f"{live_demo.url}{path}?lang={lang}")
    assert page.locator("#parent").is_visible() and page.locator("#text").is_visible()
    assert not page.locator("#node").is_visible()                    # folded, its summary shown
    change = page.locator('details[data-r0-for="reword merge drop"] > summary')
    assert change.is_visible()
    shot(page, f"r0-preview-nojs-{lang}-{device}.png")
    change.click()
    assert page.locator("#node").is_visible()
    context.close()

    context, page = logged_in(browser, live_demo, lang, javascript=True, phone=phone)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_demo.url}{path}?lang={lang}")
    assert page.locator("#parent").is_visible() and not page.locator("#node").is_visible()
    assert not page.locator("details.r0-kind-fields > summary").first.is_visible()   # JS hides the folds
    page.select_option("#kind", "drop")
    assert page.locator("#node").is_visible() and not page.locator("#parent").is_visible()
    shot(page, f"r0-preview-js-{lang}-{device}.png")
    page.fill("#comment", "a comment that must not be saved")
    page.locator("#comment").blur()
    page.wait_for_timeout(1200)
    assert posts == []                                               # the preview saves nothing
    context.close()
