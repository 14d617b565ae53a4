"""Checks of the whole-study browser test (tests/e2e/test_whole_study.py): the published
weight sets against the schema, their checksum, the dashboards and independent computations
from what was typed; and the database against what was typed (read only, at the end)."""
from __future__ import annotations

import hashlib
import json

import jsonschema
import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e import study_pages as ui
from tests.e2e.study_data import AHP, CODES, DROPPED, REVISED, ROUND1


def check_delphi_dashboard(page, ratings, codes):
    """The dashboard's mean of each indicator equals the mean of what was typed (two decimals)."""
    typed = np.array([ratings[p] for p in sorted(ratings)], dtype=float)
    shown = dict(page.locator("table.items tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.code, r.querySelector('.c-mean').textContent.trim()])"))
    assert set(shown) == set(codes)
    for code, mean in zip(codes, typed.mean(axis=0), strict=True):
        assert float(shown[code]) == pytest.approx(mean, abs=0.005), code


def stored_ratings(app, pseudonym, round_id):
    from webapp.extensions import db
    from webapp.models import Expert as ExpertRow, Node, Rating, Response

    with app.app_context():
        rows = db.session.execute(
            select(Node.code, Rating.value).join(Rating, Rating.node_id == Node.id)
            .join(Response, Rating.response_id == Response.id).join(ExpertRow, Response.expert_id == ExpertRow.id)
            .where(ExpertRow.pseudonym == pseudonym, Response.round_id == round_id)).all()
    return dict(rows)


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
