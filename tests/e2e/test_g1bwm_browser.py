"""An expert answers a G1 and a BWM block in the browser on a phone-sized page in Chinese:
the weights (and BWM's consistency ratio and limit) the page shows equal weighting/ on the
same answers, and the autosaved answer is what the server stores. Screenshots (phone zh,
desktop en) go to /work/shots/g1bwm/ when /work/shots exists."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import weighting
from webapp.extensions import db
from webapp.models import Round, User
from webapp.services import ahp_rounds, g1bwm_answers, round_lifecycle, studies
from webapp.services.answers import response_of

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("CONCORDIA_SHOTS_G1BWM", "/work/shots/g1bwm"))


def shot(page, name, full=False):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=full)


def g1bwm_round(app, method):
    """A study with the seed hierarchy, one expert and an open G1 or BWM round; (round id, token, blocks)."""
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree
    with app.app_context():
        owner = db.session.query(User).first()
        study = studies.create_study(owner, title=f"{method} study")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        invitation = studies.add_expert(study, name="G")
        rnd = ahp_rounds.create_ahp_round(study, options={"method": method})
        round_lifecycle.open_round(rnd)
        db.session.commit()
        blocks = [(p.id, [c.id for c in kids]) for p, kids in ahp_rounds.round_blocks(rnd)]
        return rnd.id, invitation.token, blocks, invitation.expert.id


def stored_answer(app, round_id, expert_id, parent, kids):
    from webapp.models import Expert
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        views = g1bwm_answers.block_views(rnd, response_of(db.session.get(Expert, expert_id), rnd))
        return next(v for v in views if v.parent.id == parent).answer


def shown_weights(block):
    return [float(x) for x in block.locator("[data-weight]").all_text_contents()]


def test_g1_block_on_a_phone_in_chinese(live_demo, phone_zh, browser):
    app = live_demo.app
    round_id, token, blocks, expert_id = g1bwm_round(app, "g1")
    parent, kids = blocks[1]                                   # a block of 3+ indicators
    page = phone_zh.new_page()
    page.goto(f"{live_demo.url}/i/{token}")
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}/weights?lang=zh")
    block = page.locator(f'.g1bwm-block[data-block="{parent}"]')
    assert "序关系分析法（G1法）" in page.content()
    order = kids[::-1][:]
    order = [order[1], order[0], *order[2:]]
    for node in order[:-1]:                                    # tap in order; the last one follows
        block.locator(f'.g1-tap-button[data-node="{node}"]').tap()
    ratios = [1.8, 1.2, 1.6, 1.4, 1.0, 1.2, 1.4, 1.6][:len(kids) - 1]
    for k, r in enumerate(ratios):
        block.locator(f'select[data-ratio="{k}"]').select_option(f"{r:.1f}")
    want = weighting.g1([kids.index(n) for n in order], ratios).weights
    np.testing.assert_allclose(shown_weights(block), want, atol=5e-5)
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.includes('✓')")
    assert stored_answer(app, round_id, expert_id, parent, kids) == {"order": order, "ratios": ratios}
    assert "稍微重要" in block.inner_text()
    block.scroll_into_view_if_needed()
    shot(page, "g1-block-phone-zh.png")
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    p2 = desktop.new_page()
    p2.goto(f"{live_demo.url}/i/{token}")
    p2.goto(f"{live_demo.url}/expert/rounds/{round_id}/weights?lang=en")
    b2 = p2.locator(f'.g1bwm-block[data-block="{parent}"]')
    np.testing.assert_allclose(shown_weights(b2), want, atol=5e-5)  # the server's figures after reload
    b2.scroll_into_view_if_needed()
    shot(p2, "g1-block-desktop-en.png")
    desktop.close()


def test_bwm_block_on_a_phone_in_chinese(live_demo, phone_zh, browser):
    app = live_demo.app
    round_id, token, blocks, expert_id = g1bwm_round(app, "bwm")
    parent, kids = next((p, k) for p, k in blocks if len(k) >= 4)
    n = len(kids)
    page = phone_zh.new_page()
    page.goto(f"{live_demo.url}/i/{token}")
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}/weights?lang=zh")
    block = page.locator(f'.g1bwm-block[data-block="{parent}"]')
    b, w = 1, n - 1
    block.locator("[data-best]").select_option(str(kids[b]))
    block.locator("[data-worst]").select_option(str(kids[w]))
    bo = [2, 1, 4, 3, 5, 6, 2, 3, 4][:n]
    ow = [4, 8, 2, 3, 2, 1, 3, 2, 4][:n]
    bo[b], ow[w], bo[w] = 1, 1, 8
    ow[b] = bo[w]
    bo[0], ow[0] = 5, 9                                         # 5 x 9 far from a_BW = 8: inconsistent
    for j, kid in enumerate(kids):
        if j != b:
            block.locator(f'[data-bo="{kid}"]').select_option(str(bo[j]))
        if j not in (b, w):
            block.locator(f'[data-ow="{kid}"]').select_option(str(ow[j]))
    want = weighting.bwm(b, w, bo, ow)
    np.testing.assert_allclose(shown_weights(block), want.weights, atol=5e-5)
    cr_text = block.locator("[data-cr]").inner_text()
    assert f"{float(want.cr_input):.3f}" in cr_text and f"{float(want.cr_input_threshold):.4f}" in cr_text
    assert "一致性比率" in cr_text
    assert not want.acceptable and block.locator("[data-hint]").is_visible()
    assert "超过阈值" in block.locator("[data-hint]").inner_text()
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.includes('✓')")
    saved = stored_answer(app, round_id, expert_id, parent, kids)
    assert saved["best"] == kids[b] and saved["worst"] == kids[w]
    assert [saved["best_to_others"][k] for k in kids] == bo and [saved["others_to_worst"][k] for k in kids] == ow
    block.scroll_into_view_if_needed()
    shot(page, "bwm-block-phone-zh.png")
    shot(page, "bwm-page-phone-zh-full.png", full=True)
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    p2 = desktop.new_page()
    p2.goto(f"{live_demo.url}/i/{token}")
    p2.goto(f"{live_demo.url}/expert/rounds/{round_id}/weights?lang=en")
    b2 = p2.locator(f'.g1bwm-block[data-block="{parent}"]')
    np.testing.assert_allclose(shown_weights(b2), want.weights, atol=5e-5)
    b2.scroll_into_view_if_needed()
    shot(p2, "bwm-block-desktop-en.png")
    desktop.close()
