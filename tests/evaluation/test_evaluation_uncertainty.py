"""evaluation.uncertainty and resample_weights against plain per-sample loops."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from evaluation import WeightTree, resample_weights, uncertainty

from .conftest import leaf_globals


def stars_of(t):
    # the seed rating: 90/80/70/60 on 100, by an if-chain
    return 5 if t >= 90 else 4 if t >= 80 else 3 if t >= 70 else 2 if t >= 60 else 1


def test_small_example_by_hand():
    # object 1 scores (95, 75): totals 85, 93, 77, 85; object 2 scores (85, 85): 85 always
    w = [[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.5, 0.5]]
    u = uncertainty(w, [[95, 75], [85, 85]], level=1.0, objects=["one", "two"])
    assert_allclose(u.score_mean, [85.0, 85.0])
    assert u.rank_range.tolist() == [[1, 2], [1, 2]]          # ties (85 = 85) share rank 1
    assert_allclose(u.grade_probability[0], [0.25, 0.5, 0.25, 0, 0])   # 93 -> 5, 85 ×2 -> 4, 77 -> 3
    assert_allclose(u.at_least_probability[0], [0.25, 0.75, 1, 1, 1])
    assert_allclose(u.grade_probability[1], [0, 1, 0, 0, 0])
    assert u.stars == (5, 4, 3, 2, 1) and u.samples == 4
    assert u.to_dict()["objects"] == ["one", "two"]


def test_against_plain_loop():
    rng = np.random.default_rng(42)
    m, n, k = 25, 7, 300
    s = rng.uniform(40, 100, (m, n))
    w = rng.dirichlet(np.ones(n) * 5, size=k)
    u = uncertainty(w, s, level=0.9)
    totals = np.empty((m, k))
    ranks = np.empty((m, k), dtype=int)
    stars = np.empty((m, k), dtype=int)
    for b in range(k):
        for o in range(m):
            totals[o, b] = sum(w[b, j] * s[o, j] for j in range(n))
            stars[o, b] = stars_of(totals[o, b])
        for o in range(m):
            ranks[o, b] = 1 + sum(1 for p in range(m) if totals[p, b] > totals[o, b])
    assert_allclose(u.score_mean, totals.mean(axis=1), atol=1e-10)
    assert_allclose(u.score_interval[:, 0], np.percentile(totals, 5, axis=1), atol=1e-10)
    assert_allclose(u.score_interval[:, 1], np.percentile(totals, 95, axis=1), atol=1e-10)
    assert_array_equal(u.rank_range[:, 0], ranks.min(axis=1))
    assert_array_equal(u.rank_range[:, 1], ranks.max(axis=1))
    for o in range(m):
        sorted_r = np.sort(ranks[o])
        assert u.rank_interval[o, 0] == sorted_r[int(np.ceil(0.05 * k)) - 1]
        assert u.rank_mode[o] == np.bincount(ranks[o]).argmax()
        for col, st in enumerate((5, 4, 3, 2, 1)):
            assert u.grade_probability[o, col] == pytest.approx(np.mean(stars[o] == st))
            assert u.at_least_probability[o, col] == pytest.approx(np.mean(stars[o] >= st))


def test_local_samples_through_the_tree(seed, seed_weight_set):
    tree = WeightTree.from_dict(seed_weight_set)
    g = leaf_globals(seed)
    local = np.tile(tree.local, (3, 1))
    s = {"P": {c: 50 + (i % 50) for i, c in enumerate(g)}}
    u = uncertainty(local, s, tree=tree, level=1.0)
    want = sum(g[c] * v for c, v in s["P"].items())
    assert_allclose(u.score_interval[0], [want, want], atol=1e-9)
    u2 = uncertainty({c: [g[c]] * 2 for c in g}, s)
    assert_allclose(u2.score_mean, [want], atol=1e-9)


def test_resample_weights():
    experts = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]])
    a = resample_weights(experts, resamples=200, seed=3)
    assert_array_equal(a, resample_weights(experts, resamples=200, seed=3))     # fixed seed repeats
    assert not np.allclose(a, resample_weights(experts, resamples=200, seed=4))
    assert_allclose(a.sum(axis=1), 1)
    ar = resample_weights(experts, resamples=200, seed=3, mean="arithmetic")
    assert ((ar >= experts.min(axis=0) - 1e-12) & (ar <= experts.max(axis=0) + 1e-12)).all()
    # one expert: every resample is that expert
    assert_allclose(resample_weights(experts[:1], resamples=5), np.repeat(experts[:1], 5, axis=0))
    # geometric mean of all three experts (by hand) is among the possible resamples' values' span
    gm = np.exp(np.log(experts).mean(axis=0))
    gm /= gm.sum()
    assert (a.min(axis=0) <= gm + 1e-12).all() and (a.max(axis=0) >= gm - 1e-12).all()


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(weight_samples=[[0.5, 0.6]], scores=[[50, 50]]), "sample 0 sums to 1.1"),
    (dict(weight_samples=[[1.5, -0.5]], scores=[[50, 50]]), "non-negative"),
    (dict(weight_samples=[[0.5, 0.5]], scores=[[50, 50, 50]]), r"scores must have shape \(m, 2\)"),
    (dict(weight_samples=[[0.5, 0.5]], scores=[[50, np.nan]]), "complete"),
    (dict(weight_samples=[[0.5, 0.5]], scores=[[50, 150]]), "off the scale"),
    (dict(weight_samples=[[0.5, 0.5]], scores=[[50, 50]], level=0), "level"),
    (dict(weight_samples=[[0.5, 0.5]], scores={"P": {"a": 1, "b": 2}}), "leaves must name"),
    (dict(weight_samples=[[0.5, 0.5]], scores=[[50, 50]], bands=[{"stars": 1, "min": 10}]), "gap"),
])
def test_refusals(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        uncertainty(**kwargs)
    with pytest.raises(ValueError, match="resamples"):
        resample_weights([[1.0]], resamples=0)
