"""Hypothesis properties of the evaluation core."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from evaluation import OPERATORS, WeightTree, fce, grade, score, weight_stability

weights = st.integers(2, 6).flatmap(
    lambda n: arrays(float, n, elements=st.floats(0.05, 1.0)).map(lambda w: w / w.sum()))


@st.composite
def weights_and_scores(draw, max_objects=6):
    w = draw(weights)
    m = draw(st.integers(1, max_objects))
    s = draw(arrays(float, (m, w.size), elements=st.floats(0, 100)))
    return w, s


@settings(max_examples=60, deadline=None)
@given(weights_and_scores())
def test_flat_score_is_the_dot_product_and_stays_on_scale(ws):
    w, s = ws
    tree = WeightTree.flat([f"c{i}" for i in range(w.size)], w)
    r = score(tree, s)
    assert_allclose(r.total, s @ w, atol=1e-9)
    assert (r.total >= s.min(axis=1) - 1e-9).all() and (r.total <= s.max(axis=1) + 1e-9).all()
    # re-weighting with nothing missing changes nothing
    assert_allclose(score(tree, s, missing="reweight").total, r.total, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(weights_and_scores(), st.data())
def test_reweight_equals_renormalised_weights(ws, data):
    w, s = ws
    drop = data.draw(st.integers(0, w.size - 1))
    s = s.copy()
    s[:, drop] = np.nan
    r = score(WeightTree.flat([f"c{i}" for i in range(w.size)], w), s, missing="reweight",
              coverage_threshold=0)
    keep = np.arange(w.size) != drop
    assert_allclose(r.total, s[:, keep] @ (w[keep] / w[keep].sum()), atol=1e-9)
    assert_allclose(r.coverage, w[keep].sum())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=20))
def test_grade_is_monotone(totals):
    t = np.sort(np.array(totals))
    stars = grade(t).stars
    assert (np.diff(stars) >= 0).all() and set(stars.tolist()) <= {1, 2, 3, 4, 5}


@settings(max_examples=60, deadline=None)
@given(weights, st.integers(2, 5), st.data())
def test_fce_vectors_are_distributions(w, g, data):
    r = data.draw(arrays(float, (w.size, g), elements=st.floats(0, 10)).filter(lambda a: (a.sum(axis=1) > 0).all()))
    rn = r / r.sum(axis=1, keepdims=True)
    for op in OPERATORS:
        res = fce(w, r, op)
        assert_allclose(res.b.sum(), 1.0, atol=1e-9)
        assert (res.b >= -1e-15).all()
    assert_allclose(fce(w, r).b, w @ rn, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(weights_and_scores(max_objects=5))
def test_stability_interval_contains_the_weight_and_keeps_the_ranking(ws):
    w, s = ws
    r = weight_stability(w, s, bands=False)
    order = np.argsort(-(s @ w), kind="stable")
    for j, (lo, hi) in enumerate(r.rank_interval):
        assert lo - 1e-12 <= w[j] <= hi + 1e-12
        mid = (lo + hi) / 2
        if r.fixed[j] or not 0 < mid < 1:
            continue
        w2 = w * (1 - mid) / (1 - w[j])
        w2[j] = mid
        t = s @ w2
        t0 = s @ w
        # no strictly ordered pair is reversed inside the interval
        for a in range(len(t)):
            for b in range(len(t)):
                if t0[a] > t0[b] + 1e-7:
                    assert t[a] >= t[b] - 1e-7
        assert len(order) == len(t)


@settings(max_examples=40, deadline=None)
@given(weights_and_scores(max_objects=5))
def test_stability_grade_interval_keeps_every_grade(ws):
    w, s = ws
    r = weight_stability(w, s)
    stars0 = grade(s @ w).stars
    for j, (lo, hi) in enumerate(r.interval):
        assert lo - 1e-12 <= w[j] <= hi + 1e-12
        for x in (lo + (hi - lo) * 0.25, lo + (hi - lo) * 0.75):
            if r.fixed[j] or not 0 < x < 1 or hi - lo < 1e-9:
                continue
            w2 = w * (1 - x) / (1 - w[j])
            w2[j] = x
            assert (grade(np.clip(s @ w2, 0, 100)).stars == stars0).all()
