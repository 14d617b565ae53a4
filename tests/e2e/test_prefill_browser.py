"""Round 2 prefilled: the expert's own round-1 answer is preselected and marked, can be
changed, and the submitted questionnaire stores exactly what the page showed."""
import pytest
from sqlalchemy import select

from tests.e2e.test_questionnaire_browser import (
    checked_value,
    item_ids,
    no_prefill,
    open_round_id,
    rate,
    stored_values,
)
from webapp.extensions import db
from webapp.models import Expert, Rating, Response, Round, RoundStatus

pytestmark = pytest.mark.e2e


def round_one_answers(app, pseudonym):
    with app.app_context():
        first = db.session.scalar(select(Round).where(Round.number == 1, Round.status == RoundStatus.closed))
        rows = db.session.execute(
            select(Rating.node_id, Rating.value, Rating.no_opinion).join(Response).join(Expert)
            .where(Expert.pseudonym == pseudonym, Response.round_id == first.id)).all()
        return {node: ("na" if no_opinion else str(value)) for node, value, no_opinion in rows}


def test_round_two_preselects_the_experts_round_one_answers(live_demo, phone_zh):
    app = live_demo.app
    round_id = open_round_id(app)
    before = round_one_answers(app, "E06")
    page = phone_zh.new_page()
    page.goto(live_demo.expert_links["E06"])        # E06 answered round 1, has not started round 2
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}")
    nodes = item_ids(page)
    again = [n for n in nodes if n in before]
    assert len(again) > 10
    for node in again:                              # preselected, clearly marked
        assert checked_value(page, node) == before[node], node
        assert page.locator(f"#item-{node} [data-prefilled]").count() == 1
    assert "已预选：您在第 1 轮的答案" in page.locator(f"#item-{again[0]} [data-prefilled]").inner_text()
    assert stored_values(app, "E06", round_id) == {}  # nothing is stored until the expert acts

    changed = again[0]
    new_value = "1" if before[changed] != "1" else "2"
    rate(page, changed, new_value)                   # changeable
    page.locator("[data-status]").filter(has_text="✓").wait_for(timeout=10_000)
    page.locator("form#questionnaire button[value=submit]").first.click()
    page.wait_for_load_state()
    stored = stored_values(app, "E06", round_id)
    expected = {n: (None if before[n] == "na" else int(before[n])) for n in again} | {changed: int(new_value)}
    assert {n: stored.get(n) for n in again} == expected
    with app.app_context():
        response = db.session.scalar(select(Response).join(Expert).where(
            Expert.pseudonym == "E06", Response.round_id == round_id))
        assert response.is_submitted


def test_without_prefill_nothing_is_preselected(live_demo, phone_zh):
    app = live_demo.app
    round_id = open_round_id(app)
    no_prefill(app, round_id)
    page = phone_zh.new_page()
    page.goto(live_demo.expert_links["E06"])
    page.goto(f"{live_demo.url}/expert/rounds/{round_id}")
    assert page.locator("input[type=radio]:checked").count() == 0
    assert page.locator("[data-prefilled]").count() == 0
