"""Group aggregation and combination weighting, against computations written out here."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import weighting as W

S = np.array([0.5, 0.3, 0.2])   # e.g. AHP (subjective)
O = np.array([0.2, 0.3, 0.5])   # e.g. entropy (objective)


def test_aggregate_weighted_geometric_mean_by_hand():
    v = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]])
    a = np.array([0.5, 0.3, 0.2])
    g = np.array([0.5 ** 0.5 * 0.2 ** 0.3 * 0.4 ** 0.2,
                  0.3 ** 0.5 * 0.3 ** 0.3 * 0.4 ** 0.2,
                  0.2 ** 0.5 * 0.5 ** 0.3 * 0.2 ** 0.2])
    r = W.aggregate(v, a)
    assert_allclose(r.weights, g / g.sum(), rtol=1e-12)
    assert_allclose(r.expert_weights, a)
    assert r.k == 3


def test_aggregate_arithmetic_variant_by_hand():
    v = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    r = W.aggregate(v, [0.75, 0.25], method="arithmetic")
    assert_allclose(r.weights, [0.425, 0.3, 0.275])
    assert r.variant == "weighted arithmetic mean"
    with pytest.raises(ValueError, match="method"):
        W.aggregate(v, method="median")


def test_aggregate_of_g1_answers_equals_geometric_mean_of_their_weights():
    orders = [[0, 1, 2], [1, 0, 2]]
    ratios = [[1.2, 1.4], [1.4, 1.0]]
    each = W.g1(orders, ratios).weights
    g = np.sqrt(each[0] * each[1])
    assert_allclose(W.aggregate(each).weights, g / g.sum())


def test_aggregate_stacked_groups():
    rng = np.random.default_rng(0)
    v = rng.dirichlet(np.ones(4), (7, 5))  # 7 groups x 5 experts x 4 indicators
    stacked = W.aggregate(v).weights
    for i in range(7):
        assert_allclose(stacked[i], W.aggregate(v[i]).weights, rtol=1e-12)


def test_linear():
    r = W.combine([S, O], "linear", [0.6, 0.4])
    assert_allclose(r.weights, 0.6 * S + 0.4 * O)
    assert_allclose(r.coefficients, [0.6, 0.4])


def test_multiplicative_and_min_information():
    p = S * O
    assert_allclose(W.combine([S, O], "multiplicative").weights, p / p.sum())
    q = np.sqrt(S * O)
    assert_allclose(W.combine([S, O], "min_information").weights, q / q.sum())


def test_game_theory_two_vectors_by_cramer():
    # (W W') a = diag(W W'): 2x2 system solved by Cramer's rule.
    s = np.array([0.45, 0.35, 0.2])
    o = np.array([0.3, 0.25, 0.45])
    g11, g12, g22 = s @ s, s @ o, o @ o
    det = g11 * g22 - g12 * g12
    a1 = (g11 * g22 - g12 * g22) / det
    a2 = (g11 * g22 - g12 * g11) / det
    r = W.combine([s, o], "game_theory")
    assert not r.negative_coefficient
    assert_allclose(r.raw_coefficients, [a1, a2], rtol=1e-10)
    a = np.array([a1, a2]) / (a1 + a2)
    assert_allclose(r.coefficients, a, rtol=1e-10)
    assert_allclose(r.weights, a[0] * s + a[1] * o, rtol=1e-10)


def test_game_theory_negative_coefficient_reported_and_constrained_not_absolute():
    v = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.45, 0.35, 0.2]])
    g = v @ v.T
    raw = np.linalg.solve(g, np.diag(g))
    assert (raw < 0).any()  # the case the folk |a| fix is used for
    r = W.combine(v, "game_theory")
    assert r.negative_coefficient
    assert_allclose(r.raw_coefficients, raw, rtol=1e-8)
    a = r.coefficients
    assert (a >= 0).all() and abs(a.sum() - 1) < 1e-12
    folk = np.abs(raw) / np.abs(raw).sum()
    assert not np.allclose(a, folk, atol=1e-3)
    # KKT of min ||G a - d||, a >= 0 (before normalising): gradient >= 0, = 0 where a > 0
    un = a * (np.linalg.lstsq(g[:, a > 0] @ a[a > 0, None], np.diag(g), rcond=None)[0][0])
    grad = g.T @ (g @ un - np.diag(g))
    assert (grad[a == 0] >= -1e-9).all()
    assert_allclose(grad[a > 0], 0, atol=1e-9)


def test_level_difference_maximises_the_spread_by_grid_search():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, (30, 3)) + rng.uniform(0, 10, (30, 1))
    y = (x - x.min(0)) / (x.max(0) - x.min(0))
    scores = (y - y.mean(0)) @ np.array([S, O]).T
    theta = np.linspace(0, np.pi / 2, 200001)
    alpha = np.stack([np.cos(theta), np.sin(theta)])
    spread = ((scores @ alpha) ** 2).sum(0)
    best = alpha[:, spread.argmax()]
    r = W.combine([S, O], "level_difference", x=x)
    assert_allclose(r.coefficients, best / best.sum(), atol=1e-5)
    assert_allclose(r.weights, r.coefficients @ np.array([S, O]))


@pytest.mark.parametrize("kwargs,arg", [
    (dict(vectors=[S, O], method="linear"), "coefficients"),
    (dict(vectors=[S, O], method="linear", coefficients=[0.5, 0.6]), "coefficients"),
    (dict(vectors=[S, O], method="linear", coefficients=[1.2, -0.2]), "coefficients"),
    (dict(vectors=[S, O], method="game_theory", coefficients=[0.5, 0.5]), "coefficients"),
    (dict(vectors=[S, O], method="level_difference"), "x"),
    (dict(vectors=[S, O], method="average"), "method"),
    (dict(vectors=[S, -O], method="multiplicative"), "vectors"),
])
def test_combine_bad_input_names_the_argument(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        W.combine(**kwargs)


def test_aggregate_bad_input():
    with pytest.raises(ValueError, match="weights"):
        W.aggregate([S, O], [1, 2, 3])
    with pytest.raises(ValueError, match="vectors"):
        W.aggregate([S, [0, 0, 0]])
