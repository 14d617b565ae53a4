"""A panel answers the seed hierarchy's 16 blocks through HTTP; the dashboard's, the exports'
and the published weights' figures equal ahp/ on the judgments the experts typed.

The expectation is computed here from the typed signed values alone: matrices with
``ahp.from_upper``, then ``ahp.Hierarchy.analyze`` (AIJ/AIP, S*, global weights) and
``ahp.consistency`` per expert -- the web app's loading, sign and pair-order handling is
what is under test; ``ahp/`` itself is tested against published examples in tests/ahp.
"""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest

import ahp
from tests.webapp.ahp_helpers import close, form_fields, matrix, open_ahp, typed_values
from tests.conftest import login
from webapp.extensions import db
from webapp.models import Expert, Round
from webapp.services import ahp_rounds, ahp_weights


@pytest.fixture
def answered(app, client, make_coordinator, make_study, make_expert):
    owner = make_coordinator("alice")
    study_id = make_study(owner)
    experts = [make_expert(study_id, name=f"P{i}") for i in range(5)]
    round_id, blocks, codes = open_ahp(app, study_id, over_threshold="reason", bootstrap={"resamples": 200})
    rng = np.random.default_rng(2026)
    typed = []
    for k, (_, token) in enumerate(experts):
        client.get(f"/i/{token}")
        values = [typed_values(rng, len(kids), spread=0.3, wild=(k == 4 and b % 3 == 0))
                  for b, (_, kids) in enumerate(blocks)]
        reasons = {p: "I keep it." for p, _ in blocks}
        r = client.post(f"/expert/rounds/{round_id}/pairwise",
                        data=form_fields(blocks, values, action="submit", reasons=reasons))
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        typed.append(values)
    with app.app_context():
        pseudonyms = [db.session.get(Expert, e).pseudonym for e, _ in experts]
    close(app, round_id)
    client.get("/logout")
    login(client)
    return study_id, round_id, codes, typed, pseudonyms


def expected(app, round_id, codes, typed):
    with app.app_context():
        tree = ahp.Hierarchy.from_parents(ahp_rounds.parents_map(db.session.get(Round, round_id)))
    stacks = {parent: np.array([matrix(v[b], len(kids)) for v in typed]) for b, (parent, kids) in enumerate(codes)}
    return tree, stacks, tree.analyze(stacks)


def cells(page, attr):
    return {m.group(1): float(m.group(2)) for m in re.finditer(
        r'<tr data-code="([^"]+)">.*?<td class="num" ' + attr + r'>([0-9.]+)</td>', page, re.S)}


def test_dashboard_equals_ahp_on_the_typed_judgments(app, client, answered):
    study_id, round_id, codes, typed, pseudonyms = answered
    tree, stacks, want = expected(app, round_id, codes, typed)
    page = client.get(f"/studies/{study_id}/rounds/{round_id}/ahp-dashboard?lang=en").get_data(as_text=True)
    assert "5 / 5" in page
    shown = cells(page.split('id="global-table"')[1].split("</table>")[0], "data-aij")
    assert set(shown) == set(want.global_aij)
    for code, g in want.global_aij.items():
        assert shown[code] == pytest.approx(g, abs=5e-4)
    assert f"{want.s_star:.3f}" in page
    for parent, kids in codes:
        block = page.split(f'data-block="{parent}"')[1].split("</article>")[0]
        g = want.groups[parent]
        assert f'data-figure="aij-cr">{g.aij_consistency.cr:.3f}' in block
        assert f'data-figure="s-star">{g.consensus.s_star:.3f}' in block
        crs = re.findall(r'data-expert="([^"]+)"><th scope="row">[^<]+</th>\s*<td class="num" data-cr>([0-9.]+)', block)
        assert [p for p, _ in crs] == pseudonyms
        np.testing.assert_allclose([float(c) for _, c in crs], g.consistency.cr, atol=5e-4)
    inconsistent = [p for k, p in enumerate(pseudonyms) if want.groups["SQ"].consistency.cr[k] > 0.1]
    assert inconsistent and "Over the consistency limit: " + ", ".join(inconsistent) in page


def read_csv(body: bytes):
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_exports_equal_ahp(app, client, answered):
    study_id, round_id, codes, typed, pseudonyms = answered
    tree, stacks, want = expected(app, round_id, codes, typed)
    base = f"/studies/{study_id}/rounds/{round_id}/ahp-export"
    rows = read_csv(client.get(f"{base}/judgments.csv?lang=en").data)
    assert rows[0][:5] == ["Expert number", "Block", "Row indicator", "Column indicator", "Value (signed)"]
    assert len(rows) - 1 == 5 * sum(len(k) * (len(k) - 1) // 2 for _, k in codes)
    first = [r for r in rows[1:] if r[0] == pseudonyms[0] and r[1] == "SQ"]
    assert [int(r[4]) for r in first] == typed[0][0]
    ind = read_csv(client.get(f"{base}/individual.csv").data)[1:]
    for r in ind:
        k, parent, code = pseudonyms.index(r[0]), r[1], r[2]
        i = dict(codes)[parent].index(code)
        assert float(r[3]) == pytest.approx(want.groups[parent].individual[k, i], abs=1e-12)
        assert float(r[4]) == pytest.approx(want.groups[parent].consistency.cr[k], abs=1e-12)
    weights = read_csv(client.get(f"{base}/weights.csv").data)[1:]
    for r in weights:
        assert float(r[2]) == pytest.approx(want.local_aij[r[1]], abs=1e-12)
        assert float(r[3]) == pytest.approx(want.local_aip[r[1]], abs=1e-12)
        assert float(r[4]) == pytest.approx(want.global_aij[r[1]], abs=1e-12)
        assert float(r[5]) == pytest.approx(want.global_aip[r[1]], abs=1e-12)
    wide = read_csv(client.get(f"{base}/ahpsurvey.csv").data)
    assert wide[0][:7] == ["respondent", "A_B", "A_C", "A_D", "B_C", "B_D", "C_D"]
    assert [int(x) for x in wide[1][1:7]] == typed[0][0]
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx?lang=en").data))
    assert {"Judgments", "Individual priorities", "Blocks", "Group weights", "ahpsurvey wide", "Notes"} <= set(book.sheetnames)
    sheet = book["Group weights"]
    got = {row[1]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for code, g in want.global_aij.items():
        if code in got:
            assert got[code] == pytest.approx(g, abs=1e-12)


def test_published_weights_equal_ahp(app, answered):
    study_id, round_id, codes, typed, pseudonyms = answered
    tree, stacks, want = expected(app, round_id, codes, typed)
    with app.app_context():
        out = ahp_weights.publishable_weights(db.session.get(Round, round_id))
    assert out["kind"] == "ahp"
    assert set(out["local_weights"]) == set(tree.codes) - {tree.root}
    for parent, kids in tree.groups():
        assert sum(out["local_weights"][c] for c in kids) == pytest.approx(1.0, abs=1e-12)
        for c in kids:
            assert out["local_weights"][c] == pytest.approx(want.local_aij[c], abs=1e-12)
        assert out["block_cr"][parent] == pytest.approx(want.groups[parent].aij_consistency.cr, abs=1e-12)
        assert out["block_s_star"][parent] == pytest.approx(want.groups[parent].consensus.s_star, abs=1e-12)
    assert set(out["global_intervals"]) == set(tree.codes) - {tree.root}
    for code, (lo, hi) in out["global_intervals"].items():
        assert lo <= hi
    assert out["panel"]["experts_used"] == pseudonyms and out["panel"]["experts_invited"] == 5
    assert out["panel"]["rounds"] == {"delphi": 0, "ahp": 1}
    assert out["provenance"]["round_ids"] == [round_id] and out["provenance"]["responses_used"] == 5
    assert out["provenance"]["settings"]["ahp"]["over_threshold"] == "reason"
    assert out["method"]["priority_method"] == "eigen" and out["method"]["aggregation"] == "aij"
