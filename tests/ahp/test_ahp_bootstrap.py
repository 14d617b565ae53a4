"""ahp.bootstrap_weights: against a plain per-resample loop, and its properties.

The independent computation redraws the same expert indices from
``numpy.random.default_rng(seed).integers(0, k, (B, k))`` (the documented
draw), then for every resample builds the AIJ matrix cell by cell with
``math.prod`` / the AIP vector with ``math.prod``, takes the principal
eigenvector with ``numpy.linalg.eig``, multiplies down the tree and takes
``numpy.percentile`` -- no code shared with ``ahp/``.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

import ahp

SEED_JSON = Path(__file__).resolve().parents[2] / "webapp" / "data" / "seed-indicators.json"


def small_tree():
    return ahp.Hierarchy.from_dict({"code": "G", "children": [
        {"code": "A", "children": [{"code": "A1"}, {"code": "A2"}, {"code": "A3"}]},
        {"code": "B", "children": [{"code": "B1"}]},
        {"code": "C", "children": [{"code": "C1"}, {"code": "C2"}]},
    ]})


def random_panel(tree, k, rng, spread=0.5):
    panel = {}
    for parent, kids in tree.groups():
        n = len(kids)
        true = rng.dirichlet(np.ones(n))
        upper = np.log(true[:, None] / true[None, :]) + rng.normal(0, spread, (k, n, n))
        upper = np.triu(upper, 1)
        panel[parent] = ahp.round_to_scale(np.exp(upper - np.swapaxes(upper, 1, 2)))
    return panel


def eig_vector(a):
    vals, vecs = np.linalg.eig(a)
    v = np.abs(vecs[:, np.argmax(vals.real)].real)
    return v / v.sum()


def loop_bootstrap(tree, panel, weights, *, resamples, seed, level, aggregation):
    k = len(next(iter(panel.values())))
    draws = np.random.default_rng(seed).integers(0, k, size=(resamples, k))
    samples = {c: [] for c in tree.codes if c != tree.root}
    for row in draws:
        local = {}
        for parent, kids in tree.groups():
            n = len(kids)
            wsum = sum(weights[e] for e in row)
            if aggregation == "aij":
                m = [[math.prod(panel[parent][e][i][j] ** (weights[e] / wsum) for e in row)
                      for j in range(n)] for i in range(n)]
                vec = eig_vector(np.array(m))
            else:
                ind = [eig_vector(panel[parent][e]) for e in row]
                g = [math.prod(ind[t][i] ** (weights[e] / wsum) for t, e in enumerate(row)) for i in range(n)]
                vec = np.array(g) / sum(g)
            local.update(zip(kids, vec))
        glob = {tree.root: 1.0}
        for code in tree.codes:
            for kid in tree.children(code):
                glob[kid] = glob[code] * local.get(kid, 1.0)
        for c in samples:
            samples[c].append(glob[c])
    q = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    return {c: tuple(np.percentile(v, q)) for c, v in samples.items()}, samples


@pytest.mark.parametrize("aggregation", ["aij", "aip"])
def test_intervals_equal_a_plain_loop(aggregation):
    tree = small_tree()
    rng = np.random.default_rng(7)
    panel = random_panel(tree, 6, rng)
    weights = [1.0, 2.0, 0.5, 1.0, 3.0, 1.0]
    got = ahp.bootstrap_weights(tree, panel, weights, resamples=40, seed=11, level=0.9,
                                aggregation=aggregation)
    want, samples = loop_bootstrap(tree, panel, weights, resamples=40, seed=11, level=0.9,
                                   aggregation=aggregation)
    for code in want:
        np.testing.assert_allclose(got.intervals[code], want[code], rtol=0, atol=1e-10)
        np.testing.assert_allclose(got.samples[:, got.codes.index(code)], samples[code], atol=1e-10)
    # Outrank: share of resamples in which A1 outweighs A2, counted by hand.
    a1, a2 = np.array(samples["A1"]), np.array(samples["A2"])
    expect = np.mean(a1 > a2) + 0.5 * np.mean(a1 == a2)
    assert got.outrank["A"][0, 1] == pytest.approx(expect, abs=1e-12)


def test_estimate_is_the_whole_panel_result():
    tree = ahp.Hierarchy.from_dict(json.loads(SEED_JSON.read_text(encoding="utf-8")))
    panel = random_panel(tree, 12, np.random.default_rng(3))
    w = np.linspace(1, 2, 12)
    got = ahp.bootstrap_weights(tree, panel, w, resamples=50)
    whole = tree.analyze(panel, w)
    assert len(got.codes) == len(tree.codes) - 1
    for code in got.codes:
        assert got.estimate[code] == pytest.approx(whole.global_aij[code], abs=1e-12)
    leaves = [got.codes.index(c) for c in tree.leaves()]
    np.testing.assert_allclose(got.samples[:, leaves].sum(axis=1), 1.0, atol=1e-12)
    aip = ahp.bootstrap_weights(tree, panel, w, resamples=5, aggregation="aip")
    for code in got.codes:
        assert aip.estimate[code] == pytest.approx(whole.global_aip[code], abs=1e-12)


def test_unanimous_panel_has_point_intervals_and_settled_ranks():
    tree = small_tree()
    one = random_panel(tree, 1, np.random.default_rng(5), spread=0.0)
    panel = {p: np.repeat(s, 8, axis=0) for p, s in one.items()}
    r = ahp.bootstrap_weights(tree, panel, resamples=100, noise=0.0)
    for code, (lo, hi) in r.intervals.items():
        assert lo == pytest.approx(hi, abs=1e-12) == pytest.approx(r.estimate[code], abs=1e-12)
    p = r.outrank["A"]
    w = [r.estimate[c] for c in ("A1", "A2", "A3")]
    for i in range(3):
        for j in range(3):
            if i != j:
                assert p[i, j] == (1.0 if w[i] > w[j] + 1e-12 else 0.0 if w[j] > w[i] + 1e-12 else 0.5)


def test_outrank_is_complementary_and_seed_reproducible():
    tree = small_tree()
    panel = random_panel(tree, 9, np.random.default_rng(2), spread=1.0)
    a = ahp.bootstrap_weights(tree, panel, resamples=300, seed=4)
    b = ahp.bootstrap_weights(tree, panel, resamples=300, seed=4)
    c = ahp.bootstrap_weights(tree, panel, resamples=300, seed=5)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    p = a.outrank["A"]
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose((p + p.T)[off], 1.0, atol=1e-12)
    assert np.all(np.isnan(np.diag(p)))
    json.dumps(a.to_dict())  # JSON-ready, samples left out
    assert "samples" not in a.to_dict()


@pytest.mark.parametrize("aggregation", ["aij", "aip"])
def test_judgment_noise_widens_the_intervals(aggregation):
    tree = small_tree()
    panel = random_panel(tree, 10, np.random.default_rng(8), spread=0.3)
    plain = ahp.bootstrap_weights(tree, panel, resamples=400, aggregation=aggregation)
    noisy = ahp.bootstrap_weights(tree, panel, resamples=400, aggregation=aggregation, noise=0.8)
    width = lambda r: np.mean([hi - lo for lo, hi in r.intervals.values()])  # noqa: E731
    assert width(noisy) > 1.2 * width(plain)


def test_noise_shortcut_for_aij_matches_per_expert_noise_in_distribution():
    """AIJ draws the noise of the weighted mean directly, N(0, s^2 sum c^2); AIP perturbs every
    expert's matrix. For n = 2 both give ln(w_A / w_B) = sum_k c_k (ln a_k + e_k), so the spread of
    that log-ratio must match an explicit simulation written here (same noise for an expert drawn
    twice, as one perturbed matrix per expert and resample)."""
    tree = ahp.Hierarchy.from_dict({"code": "G", "children": [{"code": "A"}, {"code": "B"}]})
    logs = np.log([3, 1 / 2, 5, 2, 1])
    panel = {"G": np.array([ahp.from_upper([v], 2) for v in np.exp(logs)])}
    rng = np.random.default_rng(9)
    sims = []
    for _ in range(20000):
        counts = np.bincount(rng.integers(0, 5, 5), minlength=5) / 5
        sims.append(counts @ (logs + rng.normal(0, 0.5, 5)))
    expected = np.std(sims)
    for aggregation in ("aij", "aip"):
        r = ahp.bootstrap_weights(tree, panel, resamples=20000, noise=0.5, seed=1, aggregation=aggregation)
        wa = r.samples[:, 0]
        assert np.std(np.log(wa / (1 - wa))) == pytest.approx(expected, rel=0.03)


def test_zero_weight_leaves_an_expert_out_of_a_group():
    tree = small_tree()
    panel = random_panel(tree, 5, np.random.default_rng(1))
    weights = {p: np.ones(5) for p, _ in tree.groups()}
    weights["A"] = np.array([1, 1, 1, 1, 0.0])
    r = ahp.bootstrap_weights(tree, panel, weights, resamples=30)
    whole = ahp.analyze_group(panel["A"][:4])
    for code, w in zip(("A1", "A2", "A3"), whole.aij):
        assert r.estimate[code] == pytest.approx(r.estimate["A"] * w, abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(resamples=0), "resamples"),
    (dict(level=1.0), "level"),
    (dict(noise=-0.1), "noise"),
    (dict(seed=1.5), "seed"),
    (dict(aggregation="mean"), "aggregation"),
    (dict(method="median"), "method"),
    (dict(weights=[1, 1]), "weights"),
])
def test_bad_options_are_refused_by_name(kwargs, message):
    tree = small_tree()
    panel = random_panel(tree, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        ahp.bootstrap_weights(tree, panel, **kwargs)


def test_bad_panels_are_refused():
    tree = small_tree()
    panel = random_panel(tree, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="exactly the groups"):
        ahp.bootstrap_weights(tree, {"G": panel["G"]})
    uneven = dict(panel, A=panel["A"][:3])
    with pytest.raises(ValueError, match="experts"):
        ahp.bootstrap_weights(tree, uneven)
    with pytest.raises(ValueError, match="Hierarchy"):
        ahp.bootstrap_weights({"G": []}, panel)
