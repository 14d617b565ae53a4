"""Subjective methods against published examples, hand computations written
out here, crispyn's SWARA (= G1 with s = r - 1) and independent optimisers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog, minimize

import weighting as W

crispyn = pytest.importorskip("crispyn.weighting_methods")


# ------------------------------------------------------------------ G1 / order relation
def test_g1_by_hand():
    # x3 > x1 > x4 > x2 with r = 1.4, 1.2, 1.6 (Guo's formulas written out):
    # w_n = 1 / (1 + r4 + r3 r4 + r2 r3 r4) = 1 / (1 + 1.6 + 1.92 + 2.688) = 1 / 7.208
    wn = 1 / (1 + 1.6 + 1.2 * 1.6 + 1.4 * 1.2 * 1.6)
    w2, w4 = wn, 1.6 * wn
    w1 = 1.2 * w4
    w3 = 1.4 * w1
    r = W.g1([2, 0, 3, 1], [1.4, 1.2, 1.6])
    assert_allclose(r.weights, [w1, w2, w3, w4], rtol=1e-12)
    assert_allclose(r.weights[1], 1 / 7.208, rtol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_g1_equals_crispyn_swara(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 10))
    order = rng.permutation(n)
    ratios = rng.choice([1.0, 1.2, 1.4, 1.6, 1.8], n - 1)
    assert_allclose(W.g1(order, ratios).weights, crispyn.swara_weighting(order, ratios - 1), rtol=1e-12)


def test_g1_stack_equals_one_by_one():
    rng = np.random.default_rng(1)
    orders = np.array([rng.permutation(6) for _ in range(50)])
    ratios = rng.choice([1.0, 1.2, 1.4, 1.6, 1.8], (50, 5))
    stacked = W.g1(orders, ratios).weights
    for k in range(50):
        assert_allclose(stacked[k], W.g1(orders[k], ratios[k]).weights, rtol=1e-14)


def test_g1_refuses_a_ratio_below_one():
    with pytest.raises(ValueError, match="ratios"):
        W.g1([0, 1, 2], [1.2, 0.8])


# ------------------------------------------------------------------ ratio scoring (DARE)
def test_ratio_scoring_by_hand():
    # Listed A, B, C, D with R_A/B = 3, R_B/C = 0.5, R_C/D = 2:
    # K_D = 1, K_C = 2, K_B = 1, K_A = 3; sum 7.
    r = W.ratio_scoring([0, 1, 2, 3], [3, 0.5, 2])
    assert_allclose(r.weights, [3 / 7, 1 / 7, 2 / 7, 1 / 7], rtol=1e-12)


def test_ratio_scoring_listing_order_matters_only_through_the_ratios():
    # Same items listed D, C, B, A with the reciprocal ratios give the same weights.
    r = W.ratio_scoring([3, 2, 1, 0], [1 / 2, 2, 1 / 3])
    assert_allclose(r.weights, [3 / 7, 1 / 7, 2 / 7, 1 / 7], rtol=1e-12)


# ------------------------------------------------------------------ binomial
def test_binomial_five_indicators():
    # n = 5: coefficients C(4, k)/16 = 1, 4, 6, 4, 1 (/16); laid out centre-out the
    # ranks get 6, 4, 4, 1, 1 (/16).
    r = W.binomial([4, 2, 0, 1, 3])
    expected = np.zeros(5)
    expected[[4, 2, 0, 1, 3]] = np.array([6, 4, 4, 1, 1]) / 16
    assert_allclose(r.weights, expected)


def test_binomial_four_indicators():
    assert_allclose(W.binomial([0, 1, 2, 3]).weights, [3 / 8, 3 / 8, 1 / 8, 1 / 8])


# ------------------------------------------------------------------ least squares
def test_least_squares_exact_on_a_consistent_matrix():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    r = W.least_squares(w[:, None] / w[None, :])
    assert_allclose(r.weights, w, rtol=1e-12)
    assert r.residual < 1e-25


@pytest.mark.parametrize("seed", range(5))
def test_least_squares_against_slsqp(seed):
    rng = np.random.default_rng(seed)
    n = 5
    vals = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = rng.choice(vals, iu[0].size)
    a[(iu[1], iu[0])] = 1 / a[iu]

    def f(w):
        return ((a * w[None, :] - w[:, None]) ** 2).sum()

    ref = minimize(f, np.full(n, 1 / n), method="SLSQP", tol=1e-14,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}])
    r = W.least_squares(a)
    assert_allclose(r.weights, ref.x, atol=1e-6)
    assert r.residual <= ref.fun + 1e-10
    assert (r.weights > 0).all()


def test_least_squares_is_not_the_geometric_mean():
    a = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    g = np.prod(a, axis=1) ** (1 / 3)
    assert not np.allclose(W.least_squares(a).weights, g / g.sum(), atol=1e-3)


# ------------------------------------------------------------------ Delphi ratings
def test_from_ratings_by_hand_with_missing():
    s = [[5, 4, 3], [4, np.nan, 3], [3, 4, 3]]
    means = np.array([4.0, 4.0, 3.0])
    r = W.from_ratings(s)
    assert_allclose(r.means, means)
    assert r.counts.tolist() == [3, 2, 3]
    assert_allclose(r.weights, means / 11)


# ------------------------------------------------------------------ BWM
def test_bwm_rezaei_2016_car_example():
    # Rezaei (2016), Omega 64, the car example of Rezaei (2015): criteria quality,
    # price, comfort, safety, style; best = price, worst = style;
    # A_B = (2, 1, 4, 2, 8), A_W = (4, 8, 4, 4, 1).  Linear model:
    # w* = (0.2254, 0.3944, 0.1127, 0.2254, 0.0423), xi^L* = 0.0563.
    r = W.bwm(1, 4, [2, 1, 4, 2, 8], [4, 8, 4, 4, 1])
    assert_allclose(r.weights, [0.2254, 0.3944, 0.1127, 0.2254, 0.0423], atol=5e-5)
    assert_allclose(r.xi, 0.0563, atol=5e-5)


def test_bwm_consistency_index_table_of_rezaei_2015():
    # Rezaei (2015) Table 2 (CI for a_BW = 1..9).
    table = [0.00, 0.44, 1.00, 1.63, 2.30, 3.00, 3.73, 4.47, 5.23]
    assert_allclose(W.bwm_consistency_index(np.arange(1, 10)), table, atol=5e-3)
    assert list(W.BWM_CI.values()) == table


def test_bwm_input_based_cr_by_hand():
    # Liang et al. (2020): CR_j = |a_Bj a_jW - a_BW| / (a_BW^2 - a_BW).
    # Car example: a_BW = 8, pairs (2,4) (1,8) (4,4) (2,4) (8,1):
    # |8-8|, |8-8|, |16-8|, |8-8|, |8-8| -> max 8 / 56 = 0.142857; threshold (n=5, a_BW=8) 0.2958.
    r = W.bwm(1, 4, [2, 1, 4, 2, 8], [4, 8, 4, 4, 1])
    assert_allclose(r.cr_input, 8 / 56)
    assert_allclose(r.cr_input_by_indicator, [0, 0, 8 / 56, 0, 0])  # comfort is the pair to revise
    assert r.cr_input_threshold == 0.2958 and r.acceptable
    assert_allclose(r.ci, W.bwm_consistency_index(8))
    assert_allclose(r.cr_output, r.xi / r.ci)


def test_bwm_consistent_answers_give_exact_weights():
    w = np.array([0.4, 0.2, 0.25, 0.1, 0.05])  # best 0, worst 4
    r = W.bwm(0, 4, w[0] / w, w / w[4])
    assert_allclose(r.weights, w, atol=1e-9)
    assert r.xi < 1e-9 and r.cr_input < 1e-12 and r.acceptable


def _dense_bwm(b, wst, ab, aw):
    """Independent dense formulation: variables (w, xi), 4 constraints per j."""
    n = len(ab)
    rows = []
    for j in range(n):
        e = np.zeros(n + 1)
        e[b] += 1
        e[j] -= ab[j]
        for s in (1, -1):
            rows.append(np.r_[s * e[:n], -1.0])
        e = np.zeros(n + 1)
        e[j] += 1
        e[wst] -= aw[j]
        for s in (1, -1):
            rows.append(np.r_[s * e[:n], -1.0])
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.array(rows), b_ub=np.zeros(len(rows)),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0], bounds=(0, None),
                  method="highs-ipm")
    return res.x[n]


@pytest.mark.parametrize("seed", range(5))
def test_bwm_stack_optimum_matches_independent_dense_lp(seed):
    rng = np.random.default_rng(seed)
    k, n = 20, 6
    ab = rng.integers(1, 10, (k, n)).astype(float)
    aw = rng.integers(1, 10, (k, n)).astype(float)
    b, w = np.zeros(k, int), np.full(k, n - 1)
    ab[:, 0] = 1
    aw[:, n - 1] = 1
    aw[:, 0] = ab[:, n - 1]
    r = W.bwm(b, w, ab, aw)
    for i in range(k):
        assert_allclose(r.xi[i], _dense_bwm(0, n - 1, ab[i], aw[i]), atol=1e-7)
        # the weights returned attain that optimum
        wi = r.weights[i]
        dev = max(np.abs(wi[0] - ab[i] * wi).max(), np.abs(wi - aw[i] * wi[n - 1]).max())
        assert dev <= r.xi[i] + 1e-7
    assert_allclose(r.weights.sum(axis=1), 1)


def test_bwm_two_indicators_and_a_one_expert_stack():
    r = W.bwm(1, 0, [3, 1], [1, 3])
    assert_allclose(r.weights, [0.25, 0.75])
    assert r.xi < 1e-12 and r.cr_input == 0 and r.acceptable
    s = W.bwm([1], [0], [[3, 1]], [[1, 3]])
    assert s.weights.shape == (1, 2) and s.xi.shape == (1,)
    assert_allclose(s.weights[0], r.weights)


def test_bwm_scale_equal_one_is_consistent():
    # a_BW = 1: everything equally important; CR^I defined as 0 (Liang et al. 2020).
    r = W.bwm(0, 2, [1, 1, 1], [1, 1, 1])
    assert_allclose(r.weights, [1 / 3] * 3, atol=1e-9)
    assert r.cr_input == 0 and r.acceptable


@pytest.mark.parametrize("kwargs,arg", [
    (dict(best=0, worst=0, best_to_others=[1, 2], others_to_worst=[2, 1]), "worst"),
    (dict(best=0, worst=2, best_to_others=[1, 2, 4], others_to_worst=[3, 2, 1]), "others_to_worst"),
    (dict(best=0, worst=2, best_to_others=[1, 0.5, 4], others_to_worst=[4, 2, 1]), "best_to_others"),
    (dict(best=5, worst=2, best_to_others=[1, 2, 4], others_to_worst=[4, 2, 1]), "best"),
    (dict(best=0, worst=2, best_to_others=[2, 2, 4], others_to_worst=[4, 2, 1]), "best_to_others"),
])
def test_bwm_bad_input_names_the_argument(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        W.bwm(**kwargs)
