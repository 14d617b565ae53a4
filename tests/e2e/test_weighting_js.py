"""The browser's G1 / BWM script (webapp/static/js/weighting.js) agrees with weighting/.

Runs the script in headless chromium on a blank page: G1 and ratio-scoring chains, the
exact linear BWM (its own small simplex against scipy's HiGHS in weighting.bwm), the
consistency index and the input-based CR with its threshold, and the group geometric mean.
"""
from __future__ import annotations

import numpy as np
import pytest

import weighting as W
from tests.e2e.conftest import ROOT

SCRIPT = ROOT / "webapp" / "static" / "js" / "weighting.js"


@pytest.fixture
def blank(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    yield page
    context.close()


def bwm_answers(count, seed=20261201):
    rng = np.random.default_rng(seed)
    out = []
    for t in range(count):
        n = int(rng.integers(2, 10))
        b, w = (int(i) for i in rng.choice(n, 2, replace=False))
        if t % 3 == 0:  # near-consistent answers from a true vector
            true = rng.dirichlet(np.ones(n))
            true[b], true[w] = true.max() * 1.5, true.min() * 0.5
            bo = np.clip(np.rint(true[b] / true), 1, 9)
            ow = np.clip(np.rint(true / true[w]), 1, 9)
        else:  # arbitrary answers on 1-9
            bo = rng.integers(1, 10, n).astype(float)
            ow = rng.integers(1, 10, n).astype(float)
        bo[b] = 1
        ow[w] = 1
        ow[b] = bo[w]
        out.append((b, w, bo, ow))
    return out


def test_g1_ratio_scoring_and_aggregate_agree(blank):
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(200):
        n = int(rng.integers(2, 10))
        cases.append((rng.permutation(n).tolist(), rng.choice(sorted(W.G1_SCALE), n - 1).tolist()))
    got = blank.evaluate(
        "(cs) => cs.map(([o, r]) => [window.ConcordiaWeighting.g1(o, r),"
        " window.ConcordiaWeighting.ratioScoring(o, r)])", cases)
    for (o, r), (g, rs) in zip(cases, got):
        np.testing.assert_allclose(g, W.g1(o, r).weights, rtol=0, atol=1e-12)
        np.testing.assert_allclose(rs, W.ratio_scoring(o, r).weights, rtol=0, atol=1e-12)
    v = rng.dirichlet(np.ones(5), 7)
    a = rng.uniform(0.1, 1, 7)
    js = blank.evaluate("([v, a]) => window.ConcordiaWeighting.aggregate(v, a)", [v.tolist(), a.tolist()])
    np.testing.assert_allclose(js, W.aggregate(v, a).weights, rtol=0, atol=1e-12)


def test_bwm_exact_optimum_and_consistency_agree(blank):
    answers = bwm_answers(300)
    got = blank.evaluate(
        "(as) => as.map(([b, w, bo, ow]) => window.ConcordiaWeighting.bwm(b, w, bo, ow))",
        [[b, w, bo.tolist(), ow.tolist()] for b, w, bo, ow in answers])
    same_weights = 0
    for (b, w, bo, ow), js in zip(answers, got):
        r = W.bwm(b, w, bo, ow)
        assert js["xi"] == pytest.approx(r.xi, abs=1e-9)
        wj = np.array(js["weights"])
        assert abs(wj.sum() - 1) < 1e-12 and (wj >= 0).all()
        # the browser's weights attain the optimum (the LP may have several optimal vertices)
        dev = max(np.abs(wj[b] - bo * wj).max(), np.abs(wj - ow * wj[w]).max())
        assert dev <= r.xi + 1e-9
        same_weights += np.allclose(wj, r.weights, atol=1e-9)
        assert js["crInput"] == pytest.approx(r.cr_input, abs=1e-12)
        np.testing.assert_allclose(js["crInputByIndicator"], r.cr_input_by_indicator, atol=1e-12)
        assert js["threshold"] == r.cr_input_threshold
        assert js["acceptable"] == bool(r.acceptable)
        assert js["ci"] == pytest.approx(r.ci, abs=1e-12)
        assert js["crOutput"] == pytest.approx(r.cr_output, abs=1e-9)
    assert same_weights >= 0.9 * len(answers)


def test_bwm_rezaei_2016_car_example_in_the_browser(blank):
    js = blank.evaluate("() => window.ConcordiaWeighting.bwm(1, 4, [2, 1, 4, 2, 8], [4, 8, 4, 4, 1])")
    np.testing.assert_allclose(js["weights"], [0.2254, 0.3944, 0.1127, 0.2254, 0.0423], atol=5e-5)
    assert js["xi"] == pytest.approx(0.0563, abs=5e-5)
