"""A whole study in a real browser, as people run it (issue 16, "A real browser, a whole study").

A coordinator logs in, creates a study, uploads the seed hierarchy (the hierarchy/1 JSON of
../shared/reference/seed-indicators.json), pastes a list of five experts and reads their links
from the page. Two Delphi rounds run on the 16 second-level indicators: the experts answer
through their links (E03 on a 390 x 844 phone in Chinese throughout; E05 closes the tab half-way
through round 1 and comes back), the coordinator closes round 1, drops D4, prepares round 2
(prefilled with each expert's round-1 answers), the experts revise and submit, round 2 closes.
Then an AHP round on two blocks (the goal's four elements and A's four indicators; E04 closes
the tab after the first block). The coordinator publishes the Delphi round as v1 and the AHP
round as v2, downloads both JSON files, validates them against docs/weight-set.schema.json and
checks them against what the pages show and against independent computations (below).

Only the pages are used: the database is read at the end, to check what was stored is what
was typed. Screenshots of every main page are kept under tests/e2e/artifacts/whole-study/.
"""
from __future__ import annotations

import hashlib
import json
import re
import time

import jsonschema
import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e import study_pages as ui
from tests.e2e.study_pages import PHONE, DESKTOP, SLOW, Expert
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

CODES = ["A", "B", "C", "D", "A1", "A2", "A3", "A4", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "C5", "D1", "D2", "D3", "D4"]
ROUND1 = {  # importance on the 1-5 scale, in CODES order
    "E01": [5, 4, 5, 4, 5, 4, 4, 3, 4, 3, 4, 5, 4, 4, 5, 3, 5, 4, 3, 2],
    "E02": [4, 4, 5, 4, 5, 5, 4, 3, 4, 4, 3, 5, 4, 3, 4, 3, 4, 4, 3, 2],
    "E03": [5, 3, 4, 5, 4, 4, 5, 2, 5, 3, 4, 4, 5, 4, 5, 4, 5, 5, 4, 1],
    "E04": [4, 4, 5, 3, 5, 4, 3, 3, 4, 2, 4, 5, 4, 4, 4, 3, 4, 4, 2, 2],
    "E05": [5, 3, 4, 4, 4, 5, 4, 4, 3, 3, 3, 4, 3, 4, 5, 2, 5, 3, 3, 3],
}
REVISED = {  # round 2: what each expert changes after seeing the group's result
    "E01": {"B2": 4, "C5": 4}, "E02": {"B3": 4, "B": 3}, "E03": {"A4": 3, "D3": 3},
    "E04": {"B2": 3, "D3": 3}, "E05": {"D2": 4, "A4": 3},
}
DROPPED = "D4"
# AHP judgments, upper triangle row by row ((0,1), (0,2), (0,3), (1,2), (1,3), (2,3)): each is
# Saaty's nearest value to a ratio w_i / w_j of a weight vector the expert has in mind, so
# every block is consistent (CR < 0.02 by ahp.consistency).
AHP = {
    "SQ": {"E01": [2, 1, 4, -2, 2, 3], "E02": [2, 1, 3, -2, 2, 4], "E03": [2, 2, 5, -2, 2, 3],
           "E04": [4, 1, 2, -3, -2, 2], "E05": [2, 1, 3, -2, 2, 3]},
    "A": {"E01": [2, 2, 3, 1, 2, 2], "E02": [2, 4, 4, 2, 2, 1], "E03": [1, 2, 3, 2, 3, 2],
          "E04": [-2, 1, 2, 2, 3, 2], "E05": [2, 2, 4, 1, 2, 2]},
}
EXPERT_LIST = "\n".join([  # pasted as from a spreadsheet
    "Wang Fang\twang.fang@example.cn\tTesting institute A",
    "Li Wei\tli.wei@example.cn\tUniversity B",
    "张伟\tzhang.wei@example.cn\t市场监管局",
    "Chen Jing\tchen.jing@example.cn\tPlatform C",
    "Liu Yang\tliu.yang@example.cn\tEnterprise D",
])


@pytest.fixture
def live(tmp_path, monkeypatch):
    with ui.live_empty_server(tmp_path, monkeypatch) as server:
        yield server


def test_a_whole_study_through_the_pages(live, browser):
    expect.set_options(timeout=SLOW)
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
    finally:
        for expert in experts.values():
            expert.context.close()
        coordinator.close()
    assert problems == []
    check_the_database(live.app, experts, (r1, r2, r3))
    print(f"\n{len(shot.taken)} screenshots in {shot.folder}")


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
                       timeout=30, message="E05's autosaved answers")
            p.close()
            p = expert.page(problems)
            expect(p.locator(".w-progress-text")).to_contain_text("10 of 20 answered")
            ui.start_round(p)
            assert {code: ui.checked(p, ids[code]) for code in CODES} == \
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
        assert {c: ui.checked(p, ids[c]) for c in codes} == {c: str(before[c]) for c in codes}
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
    shot(page, "coordinator-round-2-closed-advice")
    page.goto(f"{live.url}/studies/{study_id}/rounds/{round_id}/dashboard")
    check_delphi_dashboard(page, {p: [experts[p].typed[round_id][c] for c in codes] for p in experts}, codes)
    shot(page, "coordinator-round-2-dashboard")
    return round_id


def check_delphi_dashboard(page, ratings, codes):
    """The dashboard's mean of each indicator equals the mean of what was typed (two decimals)."""
    typed = np.array([ratings[p] for p in sorted(ratings)], dtype=float)
    for code, mean in zip(codes, typed.mean(axis=0), strict=True):
        row = page.locator(f"tr[data-code='{code}']").first
        shown = row.locator(".c-mean").inner_text()
        assert float(shown) == pytest.approx(mean, abs=0.005), code


def stored_ratings(app, pseudonym, round_id):
    from webapp.extensions import db
    from webapp.models import Expert as ExpertRow, Node, Rating, Response

    with app.app_context():
        rows = db.session.execute(
            select(Node.code, Rating.value).join(Rating, Rating.node_id == Node.id)
            .join(Response, Rating.response_id == Response.id).join(ExpertRow, Response.expert_id == ExpertRow.id)
            .where(ExpertRow.pseudonym == pseudonym, Response.round_id == round_id)).all()
    return dict(rows)


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
                wait_until(lambda: len(stored_judgments(live.app, pseudonym, round_id)) == 6, timeout=30,
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


def stored_judgments(app, pseudonym, round_id):
    from webapp.extensions import db
    from webapp.models import Expert as ExpertRow, Judgment, Response

    with app.app_context():
        return db.session.execute(
            select(Judgment.row_node_id, Judgment.col_node_id, Judgment.value)
            .join(Response, Judgment.response_id == Response.id).join(ExpertRow, Response.expert_id == ExpertRow.id)
            .where(ExpertRow.pseudonym == pseudonym, Response.round_id == round_id)).all()


# --- publishing --------------------------------------------------------------------------------

def publish(page, live, shot, study_id, round_id, version, label, notice=None) -> dict:
    """Preview → publish → download the JSON from the versions table, as the coordinator does."""
    page.goto(f"{live.url}/studies/{study_id}/weights")
    page.select_option("select[name=round_id]", value=str(round_id))
    page.locator(".publish-source button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".flash-error").count() == 0, ui.flash_text(page)
    expect(page.locator("h1")).to_have_text(f"Preview of v{version}")
    if notice:
        expect(page.locator(".notice").first).to_contain_text(notice)
    shot(page, f"coordinator-weights-v{version}-preview")
    page.get_by_label("Label").fill(label)
    page.get_by_role("button", name=f"Publish v{version}").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Weight set v{version} published.")
    row = page.locator(".versions-table tbody tr").filter(has=page.locator("th", has_text=f"v{version}"))
    with page.expect_download() as download:
        row.get_by_role("link", name="JSON", exact=True).click()
    return json.loads(download.value.path().read_text(encoding="utf-8"))


def publish_and_check(page, live, shot, study_id, delphi_round, ahp_round_id):
    v1 = publish(page, live, shot, study_id, delphi_round, 1, "Delphi round 2")
    v2 = publish(page, live, shot, study_id, ahp_round_id, 2, "AHP round 3",
                 notice="Another method than the previous version: Delphi then, AHP now.")
    shot(page, "coordinator-weights-published")
    schema = json.loads((ui.ROOT / "docs/weight-set.schema.json").read_text(encoding="utf-8"))
    for doc in (v1, v2):
        jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
        body = {k: v for k, v in doc.items() if k != "checksum"}
        canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        assert doc["checksum"] == hashlib.sha256(canonical).hexdigest()  # docs/weight-set-format.md
    assert (v1["version"], v1["method"]["kind"], v1["panel"]["experts_used"]) == (1, "delphi", 5)
    assert (v2["version"], v2["method"]["kind"], v2["panel"]["experts_used"]) == (2, "ahp", 5)

    # v2 is what the AHP dashboard shows, to its three decimals …
    page.goto(f"{live.url}/studies/{study_id}/rounds/{ahp_round_id}/ahp-dashboard")
    nodes = {n["code"]: n for n in v2["nodes"]}
    shown = {}
    for row in page.locator("#global-table tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        shown[row.get_attribute("data-code")] = (float(cells[0]), float(cells[1]))
    assert set(shown) == set(nodes) - {"SQ"}
    for code, (local, global_) in shown.items():
        assert local == pytest.approx(nodes[code]["local_weight"], abs=5e-4 + 1e-12), code
        assert global_ == pytest.approx(nodes[code]["global_weight"], abs=5e-4 + 1e-12), code
    for parent in AHP:
        cr = float(page.locator(f'[data-block="{parent}"] [data-figure=aij-cr]').inner_text())
        assert cr == pytest.approx(nodes[parent]["cr"], abs=5e-4 + 1e-12), parent
    # … and an independent computation from the typed judgments: the element-wise geometric mean
    # of the five experts' matrices (AIJ, equal expert weights; Forman & Peniwati 1998), then its
    # principal right eigenvector (Saaty 1980), by numpy.
    for parent, by_expert in AHP.items():
        children = [n["code"] for n in v2["nodes"] if n["parent"] == parent]
        w = group_eigenvector(list(by_expert.values()), len(children))
        np.testing.assert_allclose([nodes[c]["local_weight"] for c in children], w, atol=1e-9)
    for code in ("A1", "A2", "A3", "A4"):
        assert nodes[code]["global_weight"] == pytest.approx(nodes["A"]["global_weight"] * nodes[code]["local_weight"])

    # v1: Delphi weights w_i = mean_i / sum of the siblings' means over round 2's submitted
    # ratings (docs/weight-set-format.md), recomputed here from what the experts typed.
    codes = [c for c in CODES if c != DROPPED]
    typed = {c: np.mean([REVISED[p].get(c, ROUND1[p][CODES.index(c)]) for p in ROUND1]) for c in codes}
    delphi = {n["code"]: n for n in v1["nodes"]}
    for siblings in [["A", "B", "C", "D"]] + [[c for c in codes if len(c) == 2 and c[0] == e] for e in "ABCD"]:
        total = sum(typed[c] for c in siblings)
        for c in siblings:
            assert delphi[c]["local_weight"] == pytest.approx(typed[c] / total, abs=1e-12), c
    assert DROPPED not in delphi


def group_eigenvector(judgments: list[list[int]], n: int) -> np.ndarray:
    logs = np.zeros((n, n))
    for values in judgments:
        a = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        a[iu] = [v if v > 0 else 1 / -v for v in values]
        a[(iu[1], iu[0])] = 1 / a[iu]
        logs += np.log(a)
    group = np.exp(logs / len(judgments))
    values, vectors = np.linalg.eig(group)
    w = np.abs(np.real(vectors[:, np.argmax(np.real(values))]))
    return w / w.sum()


# --- what was stored ---------------------------------------------------------------------------

def check_the_database(app, experts, rounds):
    """Every expert's ratings and judgments are stored exactly as typed, every questionnaire
    submitted once."""
    from webapp.extensions import db
    from webapp.models import Expert as ExpertRow, Response

    r1, r2, r3 = rounds
    for pseudonym, expert in experts.items():
        assert stored_ratings(app, pseudonym, r1) == expert.typed[r1], pseudonym
        assert stored_ratings(app, pseudonym, r2) == expert.typed[r2], pseudonym
        assert sorted(stored_judgments(app, pseudonym, r3)) == sorted(expert.typed[r3]), pseudonym
    with app.app_context():
        submitted = db.session.execute(
            select(ExpertRow.pseudonym, Response.round_id).join(ExpertRow, Response.expert_id == ExpertRow.id)
            .where(Response.submitted_at.is_not(None))).all()
    assert sorted(submitted) == sorted((p, r) for p in experts for r in rounds)
