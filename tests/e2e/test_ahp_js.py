"""The browser's AHP script (webapp/static/js/ahp.js) agrees with ahp/ to 1e-9.

Runs the page script in headless chromium on a blank page over a few hundred
random Saaty matrices of sizes 2-9 (consistent-ish and badly inconsistent) and
compares priorities (eigenvector and RGMM), lambda_max, CI, CR, GCI, the
acceptability flags, the revision hints and Harker's completion with ahp/.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ahp
from tests.e2e.conftest import ROOT

SCRIPT = ROOT / "webapp" / "static" / "js" / "ahp.js"


def random_matrices(count, seed=20261201):
    rng = np.random.default_rng(seed)
    out = []
    for t in range(count):
        n = int(rng.integers(2, 10))
        true = rng.dirichlet(np.ones(n))
        spread = [0.0, 0.3, 1.0, 3.0][t % 4]
        logs = np.log(true[:, None] / true[None, :]) + rng.normal(0, spread, (n, n))
        upper = np.triu(logs, 1)
        out.append(ahp.round_to_scale(np.exp(upper - upper.T)))
    return out


@pytest.fixture
def blank(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    yield page
    context.close()


def test_script_agrees_with_ahp_on_random_matrices(blank):
    mats = random_matrices(300)
    got = blank.evaluate(
        """(mats) => mats.map((a) => {
             const A = window.ConcordiaAHP;
             const c = A.consistency(a, {});
             const s = A.consistency(a, {threshold: "saaty"});
             return {eigen: A.priorities(a, "eigen"), geo: A.priorities(a, "geometric"),
                     lam: c.lambdaMax, ci: c.ci, cr: c.cr, gci: c.gci, ok: c.acceptable,
                     gok: c.gciAcceptable, sok: s.acceptable,
                     hints: A.revisionHints(a, 99).map((h) => [h.i, h.j, h.current, h.suggested, h.crAfter])};
           })""",
        [m.tolist() for m in mats],
    )
    assert len(got) == 300
    sizes = set()
    for a, js in zip(mats, got):
        n = a.shape[0]
        sizes.add(n)
        r = ahp.consistency(a)
        np.testing.assert_allclose(js["eigen"], ahp.priorities(a), rtol=0, atol=1e-9)
        np.testing.assert_allclose(js["geo"], ahp.priorities(a, method="geometric"), rtol=0, atol=1e-9)
        assert js["lam"] == pytest.approx(r.lambda_max, abs=1e-9)
        assert js["ci"] == pytest.approx(r.ci, abs=1e-9)
        assert js["cr"] == pytest.approx(r.cr, abs=1e-9)
        assert js["gci"] == pytest.approx(r.gci, abs=1e-9)
        assert js["ok"] == bool(r.acceptable) and js["gok"] == bool(r.gci_acceptable)
        assert js["sok"] == bool(ahp.consistency(a, threshold="saaty").acceptable)
        # Every hint (k = all pairs), ordered by CR after the change; equal CRs (to rounding) by position,
        # since which of two equally good hints comes first is a matter of the last bit.
        key = lambda h: (round(h[4], 9), h[0], h[1])  # noqa: E731
        want = sorted(([h.i, h.j, h.current, h.suggested, h.cr_after] for h in ahp.revision_hints(a, 99)), key=key)
        assert len(js["hints"]) == len(want)
        for h_js, h_py in zip(sorted(js["hints"], key=key), want):
            assert h_js[:2] == h_py[:2]
            np.testing.assert_allclose(h_js[2:], h_py[2:], rtol=0, atol=1e-9)
    assert sizes == set(range(2, 10))
    assert any(not g["ok"] for g in got) and any(g["ok"] for g in got)
    assert sum(len(g["hints"]) > 0 for g in got) > 100


def test_completion_agrees_with_harker_in_ahp(blank):
    rng = np.random.default_rng(5)
    cases = []
    for a in random_matrices(80, seed=7):
        n = a.shape[0]
        if n < 3:
            continue
        b = a.copy()
        # drop judgments but keep a path 0-1-2-...-(n-1) so the graph stays connected
        for i in range(n):
            for j in range(i + 2, n):
                if rng.random() < 0.5:
                    b[i, j] = b[j, i] = np.nan
        cases.append(b)
    got = blank.evaluate(
        """(mats) => mats.map((a) => {
             const m = a.map((r) => r.map((x) => x === null ? NaN : x));
             const c = window.ConcordiaAHP.complete(m);
             return {w: c.priorities, filled: c.filled};
           })""",
        [[[None if math.isnan(x) else x for x in row] for row in b.tolist()] for b in cases],
    )
    for b, js in zip(cases, got):
        w, filled = ahp.complete(b)
        np.testing.assert_allclose(js["w"], w, rtol=0, atol=1e-9)
        np.testing.assert_allclose(js["filled"], filled, rtol=1e-9)
    disconnected = [[1, None, 2], [None, 1, None], [0.5, None, 1]]
    assert blank.evaluate("(a) => window.ConcordiaAHP.complete(a.map((r) => r.map((x) => x === null ? NaN : x)))",
                          disconnected) is None


def test_signed_values_match_the_judgment_model(blank):
    """Judgment.value is signed (-k: the column is k times as important): the script reads it the same way."""
    values = {"0-1": 3, "0-2": -5, "1-2": 2}
    a = blank.evaluate("(v) => window.ConcordiaAHP.fromSigned(3, v)", values)
    np.testing.assert_allclose(a, ahp.from_upper([3, 1 / 5, 2], 3))
    assert json.loads(json.dumps(blank.evaluate("() => [2, 0.25, 1].map(window.ConcordiaAHP.signed)"))) == [2, -4, 1]
