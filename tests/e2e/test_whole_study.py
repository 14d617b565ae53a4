"""A whole study in a real browser, as people run it (issue 16, "A real browser, a whole study").

A coordinator logs in, creates a study, uploads the seed hierarchy (the hierarchy/1 JSON of
../shared/reference/seed-indicators.json), pastes a list of five experts and reads their links
from the page. Two Delphi rounds run on the 4 first- and 16 second-level indicators: the
experts answer through their links (E03 on a 390 x 844 phone in Chinese throughout; E05 closes the tab half-way
through round 1 and comes back), the coordinator closes round 1, drops D4, prepares round 2
(prefilled with each expert's round-1 answers), the experts revise and submit, round 2 closes.
Then an AHP round on two blocks (the goal's four elements and A's four indicators; E04 closes
the tab after the first block). The coordinator publishes the Delphi round as v1 and the AHP
round as v2, downloads both JSON files, validates them against docs/weight-set.schema.json and
checks them against what the pages show and against independent computations
(tests/e2e/study_checks.py).

Only the pages are used: the database is read at the end, to check what was stored is what
was typed. Screenshots of every main page are kept under tests/e2e/artifacts/whole-study/.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e import study_pages as ui
from tests.e2e.study_checks import (check_delphi_dashboard, check_the_database, publish_and_check,
                                    stored_judgments, stored_ratings)
from tests.e2e.study_data import AHP, CODES, DROPPED, EXPERT_LIST, REVISED, ROUND1
from tests.e2e.study_pages import DESKTOP, PHONE, SLOW, Expert
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(tmp_path, monkeypatch):
    expect.set_options(timeout=SLOW)  # generous waits on conditions on a loaded machine
    try:
        with ui.live_empty_server(tmp_path, monkeypatch) as server:
            yield server
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default, for the other browser tests


def test_a_whole_study_through_the_pages(live, browser):
    problems: list[str] = []
    shot = ui.Shots()
    coordinator = browser.new_context(**DESKTOP, locale="en-GB")
    experts = {p: Expert(p, browser.new_context(**(PHONE if p == "E03" else DESKTOP),
                                                locale="zh-CN" if p == "E03" else "en-GB"),
                         english=p != "E03") for p in ROUND1}
    try:
        page = ui.watch(coordinator.new_page(), problems)
        study_id = timed("set-up", set_up_study, page, live, shot, experts)
        r1 = timed("Delphi round 1", delphi_round_1, page, live, shot, experts, study_id, problems)
        r2 = timed("Delphi round 2", delphi_round_2, page, live, shot, experts, study_id, r1, problems)
        r3 = timed("AHP round", ahp_round, page, live, shot, experts, study_id, problems)
        timed("publishing", publish_and_check, page, live, shot, study_id, r2, r3)
        timed("coordinator's phone", phone_tour, browser, live, shot, study_id, (r1, r2, r3), problems)
    finally:
        for expert in experts.values():
            expert.context.close()
        coordinator.close()
    assert problems == []
    check_the_database(live.app, experts, (r1, r2, r3))
    print(f"\n{len(shot.taken)} screenshots ({shot.seconds:.1f} s) in {shot.folder}")


def timed(what, step, *args):
    start = time.monotonic()
    result = step(*args)
    print(f"\n{what}: {time.monotonic() - start:.1f} s", end="")
    return result


# --- set-up ------------------------------------------------------------------------------------

def set_up_study(page, live, shot, experts) -> int:
    ui.log_in(page, live)
    shot(page, "coordinator-studies-empty")
    page.get_by_role("link", name="New study").click()
    page.get_by_label("Title").fill("Service quality of testing platforms (whole-study test)")
    page.get_by_label("Description for the experts (Markdown)").fill(
        "Please rate how important each **service-quality** indicator is.")
    shot(page, "coordinator-new-study")
    page.get_by_role("button", name="Create study").click()
    study_id = int(re.search(r"/studies/(\d+)$", page.url).group(1))

    page.get_by_role("link", name="Set up").click()
    # the seed hierarchy (byte for byte ../shared/reference/seed-indicators.json), as a file
    page.locator("input[type=file][name=file]").set_input_files(str(ui.ROOT / "webapp/data/seed-indicators.json"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Imported 64 indicators")
    shot(page, "coordinator-indicators", full_page=False)

    page.get_by_role("link", name="Expert panel").click()
    page.get_by_label("Paste a list").fill(EXPERT_LIST)
    page.get_by_role("button", name="Add the list and create the links").click()
    expect(page.locator(".flash-success")).to_contain_text("5 experts added")
    links = ui.read_links(page)
    shot(page, "coordinator-links", full_page=False)
    assert [w.split(" ", 1)[1] for w in page.locator("input[data-link]").evaluate_all(
        "els => els.map(e => e.dataset.who)")] == ["Wang Fang", "Li Wei", "张伟", "Chen Jing", "Liu Yang"]
    assert sorted(links) == sorted(experts)
    assert all(re.fullmatch(re.escape(live.url) + r"/i#[\w-]{20,}", url) for url in links.values())
    for pseudonym, url in links.items():
        experts[pseudonym].link = url
    # Links can be shown again at any time without changing them.
    page.get_by_role("link", name="Expert panel").click()
    shot(page, "coordinator-panel", full_page=False)
    page.get_by_role("link", name="Invitation links").click()
    assert ui.read_links(page) == links
    return study_id


# --- Delphi ------------------------------------------------------------------------------------

def delphi_round_1(page, live, shot, experts, study_id, problems) -> int:
    page.goto(f"{live.url}/studies/{study_id}")
    page.get_by_role("link", name="New Delphi round").click()
    page.get_by_label("Title").fill("Round 1: the first- and second-level indicators")
    page.get_by_label("Every indicator below the goal").check()
    shot(page, "coordinator-round-form")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator(".flash-success")).to_contain_text("draft with 63 indicators")
    round_id = int(re.search(r"/rounds/(\d+)/", page.url).group(1))
    for box in page.locator(".item-checklist li.depth-3 input[name=nodes]").all():  # 43 third-level ones
        box.uncheck()
    page.get_by_role("button", name="Save the list of indicators").click()
    expect(page.locator(".items-card .meta")).to_contain_text("20 of 63 ticked")
    page.get_by_role("link", name="Back to the round").click()
    ui.open_round(page)
    # no mail server: the messages are offered to copy, in the study's language (Chinese)
    messages = page.locator("textarea").evaluate_all("els => els.map(e => e.value)")
    assert len(messages) == 5 and all("第 1 轮已开始" in m and "上一轮" not in m for m in messages)
    shot(page, "coordinator-round-1-opened-messages")

    for pseudonym, expert in experts.items():
        answers = dict(zip(CODES, ROUND1[pseudonym], strict=True))
        expert.typed[round_id] = answers
        p = expert.page(problems)
        if pseudonym in ("E01", "E03"):
            shot(p, f"expert-{pseudonym}-home")
        ui.start_round(p)
        ids = ui.delphi_items(p)
        assert sorted(ids) == sorted(CODES)
        if pseudonym == "E05":  # answers half, closes the tab, comes back later
            half = list(ids)[:10]
            for code in half:
                ui.rate(p, ids[code], answers[code])
            ui.wait_saved(p)
            wait_until(lambda: stored_ratings(live.app, pseudonym, round_id) == {c: answers[c] for c in half},
                       timeout=60, message="E05's autosaved answers")
            p.close()
            p = expert.page(problems)
            expect(p.locator(".w-progress-text")).to_contain_text("10 of 20 answered")
            ui.start_round(p)
            assert ui.checked(p) == \
                {code: (str(answers[code]) if code in half else None) for code in CODES}
            rest = list(ids)[10:]
        else:
            rest = CODES
        for code in rest:
            ui.rate(p, ids[code], answers[code])
        ui.wait_saved(p)
        if pseudonym in ("E01", "E03"):
            shot(p, f"expert-{pseudonym}-round-1-questionnaire")
        ui.submit(p)
        if pseudonym == "E03":
            expect(p.locator("html")).to_have_attribute("lang", "zh-Hans")
            shot(p, "expert-E03-round-1-thanks")
        p.close()

    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}")
    expect(page.locator(".lifecycle")).to_contain_text("5 / 5")
    ui.close_round(page, live, study_id, round_id)
    shot(page, "coordinator-round-1-closed-results")
    # Decisions: drop D4 (rated low by all), keep the rest.
    page.get_by_label(f"Decision on {DROPPED}").select_option("drop")
    page.get_by_role("button", name="Save the decisions").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}/dashboard")
    check_delphi_dashboard(page, ROUND1, CODES)
    shot(page, "coordinator-round-1-dashboard")
    return round_id


def delphi_round_2(page, live, shot, experts, study_id, r1, problems) -> int:
    page.goto(f"{live.url}/studies/{study_id}/rounds/{r1}")
    page.get_by_role("button", name="Prepare round 2").click()
    expect(page.locator(".flash-success")).to_contain_text("draft with 19 indicators")
    round_id = int(re.search(r"/rounds/(\d+)/", page.url).group(1))
    page.get_by_role("link", name="Back to the round").click()
    ui.open_round(page)
    assert all("上一轮专家组的匿名汇总结果" in m for m in page.locator("textarea").evaluate_all("els => els.map(e => e.value)"))

    codes = [c for c in CODES if c != DROPPED]
    for pseudonym, expert in experts.items():
        before = expert.typed[r1]
        answers = {c: before[c] for c in codes} | REVISED[pseudonym]
        expert.typed[round_id] = answers
        p = expert.page(problems)
        ui.start_round(p)
        ids = ui.delphi_items(p)
        assert sorted(ids) == sorted(codes)  # the dropped indicator left the round
        # prefilled: each expert's own round-1 answer is preselected
        assert ui.checked(p) == {c: str(before[c]) for c in codes}
        # the group's anonymous round-1 result stands beside each item
        assert p.locator(f"#item-{ids['A1']} svg").count() >= 1
        if pseudonym == "E03":
            shot(p, "expert-E03-round-2-prefilled-with-feedback")
        for code, value in REVISED[pseudonym].items():
            ui.rate(p, ids[code], value)
        ui.wait_saved(p)
        if pseudonym == "E01":
            shot(p, "expert-E01-round-2-questionnaire", full_page=False)
        ui.submit(p)
        p.close()

    ui.close_round(page, live, study_id, round_id)
    # five experts: fewer than the six paired answers a Wilcoxon test needs, so not "unstable"
    expect(page.locator("#advice")).to_contain_text("Stability cannot be judged for 19 of 19 indicators")
    expect(page.locator("#advice")).not_to_contain_text("Unstable:")
    shot(page, "coordinator-round-2-closed-advice")
    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}/dashboard")
    check_delphi_dashboard(page, {p: [experts[p].typed[round_id][c] for c in codes] for p in experts}, codes)
    shot(page, "coordinator-round-2-dashboard")
    return round_id


# --- AHP ---------------------------------------------------------------------------------------

def ahp_round(page, live, shot, experts, study_id, problems) -> int:
    page.goto(f"{live.url}/studies/{study_id}")
    page.get_by_role("link", name="New AHP round").click()
    page.get_by_label("Title").fill("Round 3: pairwise comparisons")
    for box in page.locator("input[name=blocks]").all():  # every sibling group is offered, ticked
        box.uncheck()
    for code in AHP:
        page.locator(".ahp-block-list li").filter(has=page.locator(".q-code", has_text=re.compile(f"^{code}$"))) \
            .locator("input[name=blocks]").check()
    expect(page.locator(".ahp-block-list li").filter(has_text="D3.1, D3.2")).to_contain_text("(1 comparison)")
    blocks = page.locator(".ahp-block-list li")  # D4 was dropped in round 1: block D compares D1–D3
    expect(blocks.filter(has=page.locator(".q-code", has_text=re.compile("^D$")))) \
        .to_contain_text("D1, D2, D3 (3 comparisons)")
    expect(blocks.filter(has=page.locator(".q-code", has_text=re.compile(f"^{DROPPED}$")))).to_have_count(0)
    shot(page, "coordinator-ahp-round-form")
    page.get_by_role("button", name="Save the AHP round").click()
    expect(page.locator(".flash-success")).to_contain_text("draft with 2 blocks")
    round_id = int(re.search(r"/rounds/(\d+)$", page.url).group(1))
    ui.open_round(page)

    for pseudonym, expert in experts.items():
        p = expert.page(problems)
        ui.start_round(p)
        blocks = ui.ahp_blocks(p)
        assert list(blocks) == list(AHP)
        typed = []
        for k, code in enumerate(AHP):
            typed += ui.judge(blocks[code], AHP[code][pseudonym])
            expect(blocks[code]).to_have_class(re.compile(r"\bis-done\b"))  # consistent, complete
            if pseudonym == "E04" and k == 0:  # closes the tab after the first block, comes back
                ui.wait_saved(p)
                wait_until(lambda: len(stored_judgments(live.app, pseudonym, round_id)) == 6, timeout=60,
                           message="E04's autosaved judgments")
                p.close()
                p = expert.page(problems)
                ui.start_round(p)
                blocks = ui.ahp_blocks(p)
                assert ui.judged(blocks["SQ"]) == AHP["SQ"][pseudonym]
                assert ui.judged(blocks["A"]) == [None] * 6
        expert.typed[round_id] = typed
        ui.wait_saved(p)
        if pseudonym in ("E01", "E03"):
            shot(p, f"expert-{pseudonym}-ahp-questionnaire")
        p.locator("button[name=action][value=submit]").click()
        expect(p.locator(".flash-success")).to_be_visible()
        assert p.locator(".ahp-pair input:not([disabled])").count() == 0
        p.close()

    ui.close_round(page, live, study_id, round_id)
    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}/ahp-dashboard")
    shot(page, "coordinator-ahp-dashboard")
    return round_id


# --- the coordinator on a phone, in Chinese ----------------------------------------------------

def phone_tour(browser, live, shot, study_id, rounds, problems):
    """The main coordinator pages on a 390 px phone in Chinese: no sideways scrolling."""
    r1, r2, r3 = rounds
    context = browser.new_context(**PHONE, locale="zh-CN")
    try:
        page = ui.watch(context.new_page(), problems)
        ui.log_in(page, live)
        page.get_by_role("link", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        for path, name in ((f"/studies/{study_id}", "study"), (f"/studies/{study_id}/rounds/{r1}", "round-1"),
                           (f"/studies/{study_id}/rounds/{r2}/dashboard", "round-2-dashboard"),
                           (f"/studies/{study_id}/rounds/{r3}/ahp-dashboard", "ahp-dashboard"),
                           (f"/studies/{study_id}/weights", "weights")):
            page.goto(live.url + path)
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
            shot(page, f"coordinator-phone-zh-{name}", full_page=False)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
    finally:
        context.close()
