"""Objective methods against WEIGHTING.md's public worked example, independent
implementations (pymcdm 1.4, pyrepo-mcda 0.1.15 - test-only dependencies) and
computations written out here.  Where a library is known to differ, the test
pins down the documented difference."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import weighting as W

# Public worked example (WEIGHTING.md, "Public worked example for the objective
# methods"): 5 objects x 4 benefit indicators; the figures below are the ones
# pymcdm, pyrepo-mcda, pyDecision and mcdm agree on (entropy) and the CV / CRITIC
# values given there.
X = np.array([[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4], [275, 32, 8, 4], [225, 16, 16, 2]],
             dtype=float)
ENTROPY_SUM = [0.06392, 0.37883, 0.28792, 0.26933]
CV = [0.13183, 0.32619, 0.27792, 0.26406]
CRITIC = [0.13018, 0.25903, 0.37848, 0.23232]

pymcdm_w = pytest.importorskip("pymcdm.weights")
pymcdm_n = pytest.importorskip("pymcdm.normalizations")
pyrepo = pytest.importorskip("pyrepo_mcda.weighting_methods")


def rng_data(seed=0, m=30, n=6):
    rng = np.random.default_rng(seed)
    return rng.uniform(1, 100, (m, n)) + rng.uniform(0, 50, (m, 1))


# ------------------------------------------------------------------ worked example
def test_entropy_worked_example_sum_normalised():
    assert_allclose(W.entropy(X, normalization="sum").weights, ENTROPY_SUM, atol=5e-6)


def test_cv_worked_example():
    assert_allclose(W.coefficient_of_variation(X).weights, CV, atol=5e-6)


def test_critic_worked_example():
    assert_allclose(W.critic(X).weights, CRITIC, atol=5e-6)


# ------------------------------------------------------------------ independent libraries
@pytest.mark.parametrize("seed", range(5))
def test_entropy_matches_pymcdm_and_pyrepo_on_positive_data(seed):
    x = rng_data(seed)
    ours = W.entropy(x, normalization="sum").weights
    assert_allclose(ours, pymcdm_w.entropy_weights(x), rtol=1e-10)
    assert_allclose(ours, pyrepo.entropy_weighting(x), rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_critic_matches_pymcdm_and_pyrepo(seed):
    x = rng_data(seed)
    ours = W.critic(x).weights
    assert_allclose(ours, pymcdm_w.critic_weights(x), rtol=1e-10)
    assert_allclose(ours, pyrepo.critic_weighting(x), rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_cv_matches_pyrepo(seed):
    # pyrepo sum-normalises first; the CV is scale-free so the weights agree.
    x = rng_data(seed)
    assert_allclose(W.coefficient_of_variation(x).weights, pyrepo.coeff_var_weighting(x), rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_mean_square_deviation_is_std_weights_of_minmax_data(seed):
    # pymcdm's standard_deviation_weights on data we min-max normalise with pymcdm's
    # own normalisation (an independent path to the same definition).
    x = rng_data(seed)
    y = np.column_stack([pymcdm_n.minmax_normalization(c) for c in x.T])
    assert_allclose(W.mean_square_deviation(x).weights, pymcdm_w.standard_deviation_weights(y), rtol=1e-10)


@pytest.mark.parametrize("method,fn", [("minmax", "minmax_normalization"), ("sum", "sum_normalization"),
                                       ("vector", "vector_normalization"), ("max", "max_normalization")])
def test_normalize_matches_pymcdm_both_directions(method, fn):
    x = rng_data(3, n=4)
    d = np.array([1, -1, 1, -1])
    ours = W.normalize(x, method, d).y
    ref = np.column_stack([getattr(pymcdm_n, fn)(x[:, j], cost=d[j] < 0) for j in range(4)])
    assert_allclose(ours, ref, rtol=1e-12)


def test_zscore_cost_is_reversed_inside_the_formula():
    x = rng_data(4, n=2)
    y = W.normalize(x, "zscore", [1, -1]).y
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    assert_allclose(y[:, 0], z[:, 0])
    assert_allclose(y[:, 1], -z[:, 1])


def test_cost_by_formula_differs_from_inverting_afterwards():
    # Sum normalisation of a cost column is (1/x)/sum(1/x) (Jahan & Edwards 2015),
    # not 1 - x/sum(x): the known bug of inverting after normalising.
    x = np.array([[1.0], [2.0], [4.0]])
    y = W.normalize(x, "sum", [-1]).y[:, 0]
    assert_allclose(y, [4 / 7, 2 / 7, 1 / 7])
    assert not np.allclose(y, 1 - x[:, 0] / x.sum())


# ------------------------------------------------------------------ documented differences
def test_pymcdm_refuses_minmax_data_where_we_shift_and_record_it():
    x = rng_data(5)
    y = W.normalize(x, "minmax").y  # every column holds a 0
    with pytest.raises(ValueError):
        pymcdm_w.entropy_weights(y)
    r = W.entropy(x)  # minmax + SPSSAU shift
    assert r.zeros == "shift" and r.shifted_columns.all()
    # the shift rule written out: p = (y + 0.01) / sum(y + 0.01)
    p = (y + 0.01) / (y + 0.01).sum(0)
    e = -(p * np.log(p)).sum(0) / np.log(len(x))
    assert_allclose(r.weights, (1 - e) / (1 - e).sum(), rtol=1e-12)


def test_zero_policy_ignore_is_zero_log_zero():
    x = rng_data(6)
    y = W.normalize(x, "minmax").y
    p = y / y.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p), 0.0)
    e = -t.sum(0) / np.log(len(x))
    assert_allclose(W.entropy(x, zeros="ignore").weights, (1 - e) / (1 - e).sum(), rtol=1e-12)


def test_zero_policy_refuse_and_negative_values_are_refused_not_nan():
    x = rng_data(7)
    with pytest.raises(ValueError, match="zeros='refuse'"):
        W.entropy(x, zeros="refuse")
    with pytest.raises(ValueError, match="negative"):
        W.entropy(x, normalization="zscore", zeros="ignore")
    # pyrepo-mcda on z-scores: column sums are 0, so its p_ij are not proportions.
    z = W.normalize(x, "zscore").y
    with np.errstate(all="ignore"):
        theirs = pyrepo.entropy_weighting(z)
    ours = W.entropy(x, normalization="zscore")  # shift policy
    assert np.isfinite(ours.weights).all() and ((ours.entropy >= 0) & (ours.entropy <= 1)).all()
    assert not np.allclose(theirs, ours.weights, atol=1e-3)


# ------------------------------------------------------------------ written-out computations
def test_max_deviation_equals_double_loop():
    x = rng_data(8, m=12, n=5)
    y = W.normalize(x, "minmax", [1, -1, 1, 1, -1]).y
    dev = np.array([sum(abs(y[i, j] - y[k, j]) for i in range(12) for k in range(12)) for j in range(5)])
    r = W.max_deviation(x, [1, -1, 1, 1, -1])
    assert_allclose(r.figure, dev, rtol=1e-12)
    assert_allclose(r.weights, dev / dev.sum(), rtol=1e-12)


def test_scatter_degree_is_the_power_iteration_fixed_point():
    x = rng_data(9, m=20, n=5)
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    h = z.T @ z
    v = np.ones(5)
    for _ in range(2000):  # power iteration, independent of eigh
        v = h @ v
        v /= np.linalg.norm(v)
    r = W.scatter_degree(x)
    assert_allclose(r.weights, v / v.sum(), rtol=1e-8)
    assert_allclose(r.eigenvalue, v @ h @ v, rtol=1e-10)


def test_scatter_degree_refuses_a_mixed_sign_solution():
    rng = np.random.default_rng(10)
    f = rng.normal(size=40)
    x = np.column_stack([f + 0.1 * rng.normal(size=40), f + 0.1 * rng.normal(size=40),
                         -f + 0.1 * rng.normal(size=40)])
    with pytest.raises(ValueError, match="column 2"):
        W.scatter_degree(x)
    # declared as a cost indicator, the column is reversed and the method works
    assert (W.scatter_degree(x, [1, 1, -1]).weights > 0.3).all()


def test_pca_against_svd_of_standardised_data():
    rng = np.random.default_rng(11)
    f = rng.normal(size=(60, 2))
    x = f @ rng.uniform(0.5, 1.5, (2, 6)) + 0.3 * rng.normal(size=(60, 6))
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    _, s, vt = np.linalg.svd(z, full_matrices=False)  # independent of eigh on R
    lam = s ** 2 / (len(x) - 1)
    k = int(np.searchsorted(np.cumsum(lam) / lam.sum(), 0.85) + 1)
    u = vt[:k].T * np.sign(vt[:k].sum(1))
    comp = u @ lam[:k] / lam[:k].sum()
    r = W.pca(x)
    assert r.retained == k
    assert_allclose(r.eigenvalues, lam, rtol=1e-9)
    assert_allclose(r.weights, comp / comp.sum(), rtol=1e-8)
    assert W.pca(x, retention="kaiser").retained == int((lam > 1).sum())
    assert W.pca(x, retention=1).retained == 1


def test_critic_spearman_is_pearson_on_ranks():
    from scipy.stats import spearmanr
    x = rng_data(12, m=15, n=4)
    y = W.normalize(x, "minmax").y
    rho = spearmanr(y).statistic
    c = y.std(0, ddof=1) * (1 - rho).sum(0)
    assert_allclose(W.critic(x, correlation="spearman").weights, c / c.sum(), rtol=1e-10)


# ------------------------------------------------------------------ constant columns
@pytest.mark.parametrize("fn", [W.entropy, W.coefficient_of_variation, W.mean_square_deviation, W.critic,
                                W.scatter_degree, W.max_deviation, W.pca])
def test_constant_column_gets_zero_and_leaves_the_others_alone(fn):
    x = rng_data(13, m=25, n=4)
    f = x[:, :1]
    x = np.column_stack([x[:, :3] + 2 * f, np.full(25, 7.0)])  # positively related + constant
    r = fn(x)
    assert r.weights[3] == 0
    assert_allclose(r.weights[:3], fn(x[:, :3]).weights, rtol=1e-10)


@pytest.mark.parametrize("fn", [W.entropy, W.mean_square_deviation, W.critic, W.max_deviation,
                                W.coefficient_of_variation])
def test_all_constant_is_a_clear_refusal(fn):
    with pytest.raises(ValueError, match="no column varies"):
        fn(np.full((4, 3), 2.0))
