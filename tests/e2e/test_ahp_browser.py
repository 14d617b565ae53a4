"""An expert answers an AHP block in the browser: the CR and weights the page shows equal
ahp/ on the same judgments; a revision hint applied with one tap fixes the block; the
judgments autosave. Screenshots of the phone (Chinese) and desktop pages are saved
under /work/shots/ahp/ when that folder exists."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

import ahp
from webapp.extensions import db
from webapp.models import Expert, Judgment, Response, Round, RoundKind, RoundStatus

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("CONCORDIA_SHOTS", "/work/shots/ahp"))


def open_ahp_round(app):
    with app.app_context():
        return db.session.scalar(select(Round.id).where(Round.status == RoundStatus.open, Round.kind == RoundKind.ahp))


def stored(app, pseudonym, round_id):
    with app.app_context():
        rows = db.session.execute(
            select(Judgment.row_node_id, Judgment.col_node_id, Judgment.value).join(Response).join(Expert)
            .where(Expert.pseudonym == pseudonym, Response.round_id == round_id,
                   Expert.study_id == select(Round.study_id).where(Round.id == round_id).scalar_subquery())).all()
        return {(r, c): v for r, c, v in rows}


def choose(block, row, col, value):
    block.locator(f'.ahp-pair[data-row="{row}"][data-col="{col}"] label:has(input[value="{value}"])').click()


def shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=False)


def test_shown_cr_and_weights_equal_ahp_and_a_hint_fixes_the_block(live_demo, desktop_en):
    app = live_demo.app
    round_id = open_ahp_round(app)
    page = desktop_en.new_page()
    page.goto(live_demo.ahp_links["E08"])            # E08 has not started AHP round 2
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}/pairwise?lang=en")
    block = page.locator(".ahp-block").first
    pairs = block.locator(".ahp-pair").evaluate_all(
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), Number(e.dataset.i), Number(e.dataset.j)])")
    n = int(block.get_attribute("data-n"))
    assert n == 4 and len(pairs) == 6
    typed = [3, 5, -2, 2, -7, 9]                        # an inconsistent 4 x 4
    for (row, col, _i, _j), v in zip(pairs, typed):
        choose(block, row, col, v)
    a = ahp.from_upper([v if v > 0 else 1 / -v for v in typed], 4)
    want = ahp.consistency(a)
    assert float(block.get_attribute("data-cr")) == pytest.approx(want.cr, abs=1e-9)
    np.testing.assert_allclose(json.loads(block.get_attribute("data-weights")), want.priorities, atol=1e-9)
    assert f"CR = {want.cr:.3f}" in block.locator("[data-cr]").inner_text()
    shown = [float(block.locator(f'[data-bar-text="{i}"]').text_content()) for i in range(4)]
    np.testing.assert_allclose(shown, want.priorities, atol=5e-4)
    assert "is-over" in block.get_attribute("class") and "Over the limit" in block.inner_text()
    # the first hint is ahp.revision_hints' best; one tap applies it
    hint = ahp.revision_hints(a, 3)[0]
    hints = block.locator("[data-hints] li")
    assert hints.count() >= 1
    shot(page, "expert-block-desktop-en.png")
    hints.first.locator("button").click()
    fixed = a.copy()
    fixed[hint.i, hint.j], fixed[hint.j, hint.i] = hint.suggested, 1 / hint.suggested
    assert float(block.get_attribute("data-cr")) == pytest.approx(ahp.consistency(fixed).cr, abs=1e-9)
    assert float(block.get_attribute("data-cr")) == pytest.approx(hint.cr_after, abs=1e-9)
    # autosave: what the page shows is what is stored
    page.wait_for_function("() => document.querySelector('[data-status]').className.includes('is-saved')")
    saved = stored(app, "E08", round_id)
    for (row, col, i, j), v in zip(pairs, typed):
        expect = v
        if (i, j) == (hint.i, hint.j):
            expect = int(round(hint.suggested)) if hint.suggested >= 1 else -int(round(1 / hint.suggested))
        assert saved[(row, col)] == expect


def test_phone_in_chinese_is_thumb_sized_and_keyboard_usable(live_demo, phone_zh):
    app = live_demo.app
    round_id = open_ahp_round(app)
    page = phone_zh.new_page()
    page.goto(live_demo.ahp_links["E07"])
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}/pairwise")
    assert "同等重要" in page.content() and "一致性" in page.content()
    block = page.locator(".ahp-block").first
    first = block.locator(".ahp-pair").first
    boxes = first.locator(".ahp-seg-box").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height, r.right]; })")
    assert len(boxes) == 17
    assert all(w >= 36 and h >= 44 and right <= 390 for w, h, right in boxes)  # thumb-sized, no sideways scroll
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # keyboard: focus the "1" and move with the arrow keys like any radio group
    first.locator('input[value="1"]').focus()
    page.keyboard.press("ArrowRight")
    assert first.locator("input:checked").get_attribute("value") == "-2"
    rows = block.locator(".ahp-pair").evaluate_all("els => els.map(e => [e.dataset.row, e.dataset.col])")
    for (row, col), v in zip(rows, [2, 3, 2, 2, 1, -2]):
        choose(block, row, col, v)
    page.wait_for_timeout(300)
    shot(page, "expert-block-phone-zh.png")
    block.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, document.querySelector('.ahp-block').offsetTop + 500)")
    shot(page, "expert-block-phone-zh-figures.png")


def test_dashboard_screenshots(live_demo, desktop_en, phone_zh):
    app = live_demo.app
    with app.app_context():
        closed = db.session.scalar(select(Round.id).where(Round.status == RoundStatus.closed, Round.kind == RoundKind.ahp))
        study = db.session.get(Round, closed).study_id
    username, password = live_demo.coordinator
    for context, name, lang in ((desktop_en, "dashboard-desktop-en.png", "en"), (phone_zh, "dashboard-phone-zh.png", "zh")):
        page = context.new_page()
        page.goto(live_demo.url + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("form button[type=submit]").last.click()
        page.goto(f"{live_demo.url}/studies/{study}/rounds/{closed + 1}/ahp-dashboard?lang={lang}")
        assert page.locator("#global-table").count() == 1
        shot(page, name)
        if lang == "en":
            page.evaluate("() => document.getElementById('global').scrollIntoView()")
            shot(page, "dashboard-global-desktop-en.png")
            page.evaluate("() => document.getElementById('blocks').scrollIntoView()")
            shot(page, "dashboard-blocks-desktop-en.png")
            page.evaluate("() => document.getElementById('convergence').scrollIntoView()")
            shot(page, "dashboard-convergence-desktop-en.png")


def test_matrix_view_on_a_desktop_is_bound_to_the_rows(live_demo, desktop_en):
    app = live_demo.app
    round_id = open_ahp_round(app)
    page = desktop_en.new_page()
    page.goto(live_demo.ahp_links["E07"])
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}/pairwise?lang=en")
    block = page.locator(".ahp-block").nth(1)        # block A: four sub-indicators
    block.locator(".ahp-matrix-toggle").click()
    cells = block.locator("td[data-pair] select")
    assert cells.count() == 6
    values = ["3", "1/5", "2", "4", "1", "1/3"]
    for k, v in enumerate(values):
        cells.nth(k).select_option(label=v)
    typed = [3, -5, 2, 4, 1, -3]
    checked = block.locator(".ahp-pair input:checked").evaluate_all("els => els.map(e => Number(e.value))")
    assert checked == typed
    a = ahp.from_upper([v if v > 0 else 1 / -v for v in typed], 4)
    assert float(block.get_attribute("data-cr")) == pytest.approx(ahp.consistency(a).cr, abs=1e-9)
    assert block.locator('td[data-mirror="0-1"]').text_content() == "1/3"
    shot(page, "expert-matrix-desktop-en.png")
