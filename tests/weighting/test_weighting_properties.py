"""Property tests (hypothesis): sum to 1, non-negative, permutation invariance,
constant columns, positive column scaling for the scale-free methods."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

import weighting as W

OBJECTIVE = {
    "entropy": lambda x, d=None: W.entropy(x, d),
    "entropy_sum": lambda x, d=None: W.entropy(x, normalization="sum"),
    "cv": lambda x, d=None: W.coefficient_of_variation(x),
    "msd": lambda x, d=None: W.mean_square_deviation(x, d),
    "critic": lambda x, d=None: W.critic(x, d),
    "max_deviation": lambda x, d=None: W.max_deviation(x, d),
}
# scale-free: multiplying a column by c > 0 changes nothing
SCALE_FREE = ["entropy", "entropy_sum", "cv", "msd", "critic", "max_deviation"]


@st.composite
def data(draw, min_m=3, max_m=12, max_n=6):
    m = draw(st.integers(min_m, max_m))
    n = draw(st.integers(2, max_n))
    x = draw(arrays(np.float64, (m, n), elements=st.floats(1.0, 1000.0)))
    # keep columns clearly varying (relative range), to stay away from round-off
    rng = x.max(0) - x.min(0)
    assume((rng > 1e-3 * np.abs(x).max(0)).all())
    r = np.corrcoef(x.T)
    assume((np.abs(r[np.triu_indices(n, 1)]) < 1 - 1e-6).all())  # CRITIC needs some conflict
    return x


def check_weights(w):
    assert np.isfinite(w).all()
    assert (w >= 0).all()
    assert abs(w.sum() - 1) < 1e-9


@settings(max_examples=60, deadline=None)
@given(x=data(), seed=st.integers(0, 2**32 - 1))
def test_objective_weights_sum_to_one_and_follow_permutations(x, seed):
    perm = np.random.default_rng(seed).permutation(x.shape[1])
    for name, fn in OBJECTIVE.items():
        w = fn(x).weights
        check_weights(w)
        assert_allclose(fn(x[:, perm]).weights, w[perm], rtol=1e-7, atol=1e-12, err_msg=name)
        # permuting the objects (rows) changes nothing either
        assert_allclose(fn(x[::-1]).weights, w, rtol=1e-7, atol=1e-12, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(x=data(), c=arrays(np.float64, 6, elements=st.floats(0.01, 100.0)))
def test_positive_column_scaling_changes_nothing_for_scale_free_methods(x, c):
    xs = x * c[: x.shape[1]]
    for name in SCALE_FREE:
        assert_allclose(OBJECTIVE[name](xs).weights, OBJECTIVE[name](x).weights, rtol=1e-6, atol=1e-12,
                        err_msg=name)


@settings(max_examples=40, deadline=None)
@given(x=data(), j=st.integers(0, 5), value=st.floats(1.0, 100.0))
def test_constant_column_gets_zero_weight(x, j, value):
    assume(x.shape[1] >= 3)  # CRITIC needs two varying columns (one has no conflict)
    j = j % x.shape[1]
    x = x.copy()
    x[:, j] = value
    assume((np.ptp(np.delete(x, j, axis=1), axis=0) > 0).all())
    for name, fn in OBJECTIVE.items():
        w = fn(x).weights
        assert w[j] == 0, name
        check_weights(w)


@settings(max_examples=40, deadline=None)
@given(x=data())
def test_reversing_a_column_and_calling_it_cost_changes_nothing(x):
    # x -> (max + min - x) declared as cost is the same indicator under min-max.
    d = np.ones(x.shape[1])
    d[0] = -1
    xr = x.copy()
    xr[:, 0] = x[:, 0].max() + x[:, 0].min() - x[:, 0]
    for name in ["entropy", "msd", "critic", "max_deviation"]:
        assert_allclose(OBJECTIVE[name](xr, d).weights, OBJECTIVE[name](x).weights, rtol=1e-7,
                        atol=1e-12, err_msg=name)


@st.composite
def g1_answers(draw):
    n = draw(st.integers(2, 9))
    order = np.array(draw(st.permutations(list(range(n)))))
    ratios = np.array(draw(st.lists(st.sampled_from([1.0, 1.2, 1.4, 1.6, 1.8]), min_size=n - 1,
                                    max_size=n - 1)))
    return order, ratios


@settings(max_examples=100, deadline=None)
@given(ans=g1_answers())
def test_g1_weights_follow_the_order_and_ratios(ans):
    order, ratios = ans
    r = W.g1(order, ratios)
    check_weights(r.weights)
    ranked = r.weights[order]
    assert (np.diff(ranked) <= 1e-15).all()  # non-increasing down the order
    assert_allclose(ranked[:-1] / ranked[1:], ratios, rtol=1e-12)
    assert_allclose(W.ratio_scoring(order, ratios).weights, r.weights)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_binomial_sums_to_one_and_is_non_increasing_down_the_order(n, seed):
    order = np.random.default_rng(seed).permutation(n)
    w = W.binomial(order).weights
    check_weights(w)
    assert (np.diff(w[order]) <= 0).all()


@st.composite
def bwm_answers(draw):
    n = draw(st.integers(2, 9))
    b, w = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    ab = np.array(draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)), dtype=float)
    aw = np.array(draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)), dtype=float)
    ab[b] = 1
    aw[w] = 1
    aw[b] = ab[w]
    return b, w, ab, aw


@settings(max_examples=60, deadline=None)
@given(ans=bwm_answers(), seed=st.integers(0, 2**32 - 1))
def test_bwm_weights_valid_and_relabelling_invariant(ans, seed):
    b, w, ab, aw = ans
    r = W.bwm(b, w, ab, aw)
    check_weights(r.weights)
    assert r.xi >= 0 and r.cr_input >= 0
    perm = np.random.default_rng(seed).permutation(len(ab))
    inv = np.argsort(perm)
    rp = W.bwm(int(inv[b]), int(inv[w]), ab[perm], aw[perm])
    assert abs(rp.xi - r.xi) < 1e-9  # the optimum does not depend on the labels
    assert abs(rp.cr_input - r.cr_input) < 1e-12


@settings(max_examples=60, deadline=None)
@given(v=arrays(np.float64, (4, 5), elements=st.floats(0.01, 1.0)), seed=st.integers(0, 2**32 - 1))
def test_aggregate_and_combinations_sum_to_one_and_follow_permutations(v, seed):
    perm = np.random.default_rng(seed).permutation(5)
    v = v / v.sum(1, keepdims=True)
    for fn in (lambda a: W.aggregate(a), lambda a: W.combine(a, "multiplicative"),
               lambda a: W.combine(a, "min_information"), lambda a: W.combine(a, "game_theory"),
               lambda a: W.combine(a, "linear", [0.4, 0.3, 0.2, 0.1])):
        w = fn(v).weights
        check_weights(w)
        assert_allclose(fn(v[:, perm]).weights, w[perm], rtol=1e-7, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(w=arrays(np.float64, 5, elements=st.floats(0.01, 1.0)))
def test_least_squares_and_aggregate_recover_a_consistent_vector(w):
    w = w / w.sum()
    assert_allclose(W.least_squares(w[:, None] / w[None, :]).weights, w, rtol=1e-9)
    assert_allclose(W.aggregate([w, w, w]).weights, w, rtol=1e-12)


@st.composite
def factor_data(draw):
    """Indicators of one construct (positive loadings): scatter degree and PCA apply."""
    m = draw(st.integers(8, 30))
    n = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(m, 1))
    x = 50 + f * rng.uniform(5, 10, n) + rng.normal(scale=2, size=(m, n))
    return x


@settings(max_examples=60, deadline=None)
@given(x=factor_data(), seed=st.integers(0, 2**32 - 1), c=arrays(np.float64, 6, elements=st.floats(0.01, 100.0)))
def test_scatter_degree_and_pca_sum_to_one_permute_and_are_scale_free(x, seed, c):
    perm = np.random.default_rng(seed).permutation(x.shape[1])
    for fn in (W.scatter_degree, W.pca):
        w = fn(x).weights
        check_weights(w)
        assert_allclose(fn(x[:, perm]).weights, w[perm], rtol=1e-7, atol=1e-12)
        assert_allclose(fn(x * c[: x.shape[1]]).weights, w, rtol=1e-7, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=data(), seed=st.integers(0, 2**32 - 1))
def test_normalisations_land_where_their_formulas_say(x, seed):
    d = np.where(np.random.default_rng(seed).random(x.shape[1]) < 0.5, -1.0, 1.0)
    y = W.normalize(x, "minmax", d).y
    assert y.min() >= 0 and y.max() <= 1 + 1e-12
    assert_allclose(y.max(0), 1)
    assert_allclose(y.min(0), 0, atol=1e-12)
    assert_allclose(W.normalize(x, "sum", d).y.sum(0), 1)          # both directions sum to 1
    z = W.normalize(x, "zscore", d).y
    assert_allclose(z.mean(0), 0, atol=1e-9)
    assert_allclose(z.std(0, ddof=1), 1)
    v = W.normalize(x, "vector").y
    assert_allclose((v * v).sum(0), 1)
    # the best object of a column gets the top value, whichever the direction
    best = np.where(d > 0, x.argmax(0), x.argmin(0))
    assert_allclose(y[best, np.arange(x.shape[1])], 1)


@st.composite
def reciprocal_matrices(draw):
    n = draw(st.integers(2, 8))
    vals = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    idx = draw(arrays(np.int64, n * (n - 1) // 2, elements=st.integers(0, 8)))
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = vals[idx]
    a[(iu[1], iu[0])] = 1 / a[iu]
    return a


@settings(max_examples=100, deadline=None)
@given(a=reciprocal_matrices(), seed=st.integers(0, 2**32 - 1))
def test_least_squares_is_positive_and_relabelling_equivariant(a, seed):
    w = W.least_squares(a).weights
    assert (w > 0).all() and abs(w.sum() - 1) < 1e-12  # Blankmeyer (1987): positive solution
    perm = np.random.default_rng(seed).permutation(len(a))
    assert_allclose(W.least_squares(a[np.ix_(perm, perm)]).weights, w[perm], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(v=arrays(np.float64, (3, 4), elements=st.floats(0.01, 1.0)), seed=st.integers(0, 2**32 - 1))
def test_game_theory_coefficients_are_a_convex_combination(v, seed):
    v = v / v.sum(1, keepdims=True)
    r = W.combine(v, "game_theory")
    assert (r.coefficients >= 0).all() and abs(r.coefficients.sum() - 1) < 1e-12
    assert (r.weights >= v.min(0) - 1e-12).all() and (r.weights <= v.max(0) + 1e-12).all()
    assert r.negative_coefficient == bool((r.raw_coefficients < -1e-12).any())
    # the experts' (vectors') order does not matter for the aggregate
    perm = np.random.default_rng(seed).permutation(3)
    assert_allclose(W.aggregate(v[perm]).weights, W.aggregate(v).weights, rtol=1e-12)
