"""On a 390 px phone the G1/BWM dashboard's group weights and an evaluation's uncertainty table fit the
screen: nothing scrolls sideways (each table's scrollWidth ≤ its clientWidth), in English and Chinese,
and every figure is still there (the experts' count moves under the indicator's code on a phone)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import PHONE
from tests.webapp.test_g1bwm_rounds import bwm_answer, g1_answer
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.e2e
SHOTS = Path("/work/shots/left")
SCORES = Path(__file__).resolve().parents[1] / "evaluation" / "data" / "seed-scores.csv"

OVERFLOW = """sel => [...document.querySelectorAll(sel)].map(t => {
    const box = t.closest('.table-wrap') || t.parentElement;
    return [box.scrollWidth, box.clientWidth, document.documentElement.scrollWidth, window.innerWidth];
})"""


def shot(page, name):
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=False)


def closed_round(app, method):
    """A study with the seed hierarchy, four experts' answers, the round closed and published, and an
    evaluation of five platforms on it; (study id, round id, evaluation id)."""
    from evaluation.cli import read_scores_csv
    from webapp.services import ahp_rounds, evaluations, g1bwm_answers, round_lifecycle, studies, weight_sets
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    rng = np.random.default_rng(7)
    with app.app_context():
        owner = db.session.query(User).first()
        study = studies.create_study(owner, title=f"{method} phone study")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        experts = [studies.add_expert(study, name=f"E{i}").expert for i in range(4)]
        rnd = ahp_rounds.create_ahp_round(study, options={"method": method})
        round_lifecycle.open_round(rnd)
        make = g1_answer if method == "g1" else bwm_answer
        for e in experts:
            g1bwm_answers.save_blocks(e, rnd, [make(rng, p.id, [c.id for c in kids])
                                               for p, kids in ahp_rounds.round_blocks(rnd)])
            g1bwm_answers.submit_blocks(e, rnd)
        round_lifecycle.close_round(rnd)
        ws = weight_sets.publish(study, rnd)
        ev = evaluations.create_evaluation(study, weight_set_id=ws.id, title="Platforms", kind="third_party")
        table = read_scores_csv(SCORES.read_text("utf-8-sig"))
        evaluations.import_scores(ev, {k: {c: str(v) for c, v in row.items()} for k, row in table.items()})
        db.session.commit()
        return study.id, rnd.id, ev.id


@pytest.mark.parametrize("method", ["g1", "bwm"])
def test_g1bwm_dashboard_and_uncertainty_fit_a_phone(live_demo, browser, method):
    sid, rid, eid = closed_round(live_demo.app, method)
    for lang, locale in (("en", "en-GB"), ("zh", "zh-CN")):
        context = browser.new_context(**PHONE, locale=locale)
        page = context.new_page()
        page.goto(f"{live_demo.url}/login?lang={lang}")
        page.fill("input[name=username]", live_demo.coordinator[0])
        page.fill("input[name=password]", live_demo.coordinator[1])
        page.click("button[type=submit]")
        page.goto(f"{live_demo.url}/studies/{sid}/rounds/{rid}/weights-dashboard?lang={lang}")
        sizes = page.evaluate(OVERFLOW, "#g1bwm-weights")
        assert sizes and all(box <= client and doc <= inner for box, client, doc, inner in sizes), sizes
        first = page.locator("#g1bwm-weights tbody tr[data-code]").first
        assert first.locator("small.phone-only").is_visible()          # the experts' count, under the code
        assert ("Experts 4" if lang == "en" else "专家 4") in first.inner_text()
        page.locator("#blocks").scroll_into_view_if_needed()
        shot(page, f"{method}-dashboard-{lang}-phone.png")
        page.goto(f"{live_demo.url}/studies/{sid}/evaluations/{eid}/results?lang={lang}")
        sizes = page.evaluate(OVERFLOW, ".eval-uncertainty")
        assert sizes and all(box <= client and doc <= inner for box, client, doc, inner in sizes), sizes
        row = page.locator(".eval-uncertainty tbody tr").first
        assert ("T interval" if lang == "en" else "T 的区间") in page.evaluate(
            "el => getComputedStyle(el, '::before').content", row.locator("td").first.element_handle())
        page.locator("#unc-title").scroll_into_view_if_needed()
        shot(page, f"{method}-uncertainty-{lang}-phone.png")
        context.close()
