"""delphi.stability and delphi.stopping.

Wilcoxon references: Hollander & Wolfe (1973) p. 29 (R's wilcox.test help
example), the Wikipedia signed-rank example as run in R, an explicit normal
approximation written out here, and scipy.stats.wilcoxon called item by item.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

import delphi


def column(values):
    return np.asarray(values, dtype=float)[:, None]


# --------------------------------------------------------- published examples
def test_hollander_wolfe_depression_exact():
    # Hollander & Wolfe (1973), p. 29f; R documentation of wilcox.test:
    #   x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
    #   y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
    #   wilcox.test(x, y, paired = TRUE, alternative = "greater")
    #   # V = 40, p-value = 0.01953   (T+ = 40 in Hollander & Wolfe)
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    # Exact null distribution by enumerating the 2^9 sign patterns of ranks 1..9:
    at_least_40 = sum(
        sum(r for r, s in zip(range(1, 10), signs) if s) >= 40
        for signs in itertools.product([0, 1], repeat=9)
    )
    assert at_least_40 == 10                     # P(T+ >= 40) = 10/512 = 0.01953
    two_sided = 2 * at_least_40 / 2**9
    for method in ("exact", "auto"):             # no ties, no zeros, n < 50 -> R is exact
        res = delphi.stability(column(y), column(x), method=method)
        assert res.p[0] == pytest.approx(two_sided, rel=1e-12)
        assert res.statistic[0] == 45 - 40       # min(W+, W-); R's V is W+ = 40
        assert res.stable[0] == bool(two_sided >= 0.05)   # 0.039: not stable
    assert delphi.stability(column(y), column(x), alpha=0.01, method="exact").stable[0]


def test_wikipedia_example_with_a_zero_and_ties_matches_r():
    # Wikipedia "Wilcoxon signed-rank test" example, run in R (Stack Overflow
    # question "Wilcoxon signed-rank test in R"):
    #   after  = c(125, 115, 130, 140, 140, 115, 140, 125, 140, 135)
    #   before = c(110, 122, 125, 120, 140, 124, 123, 137, 135, 145)
    #   wilcox.test(before, after, paired = TRUE, correct = FALSE)
    #   # V = 18, p-value = 0.5936
    after = [125, 115, 130, 140, 140, 115, 140, 125, 140, 135]
    before = [110, 122, 125, 120, 140, 124, 123, 137, 135, 145]
    res = delphi.stability(column(after), column(before), correction=False)
    assert res.p[0] == pytest.approx(0.5936, abs=5e-5)
    assert res.statistic[0] == 18                # min(18, 27); nine non-zero pairs
    assert res.n_paired[0] == 10 and res.changed[0] == pytest.approx(0.9)
    assert res.stable[0]


def r_normal_approximation(d, correct=True):
    """R's wilcox.test (paired, two-sided) normal approximation, written out.

    Zeros dropped; mid-ranks of |d|; z = (V - n(n+1)/4 - CORRECTION) / sigma with
    sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48, CORRECTION = sign(z) * 0.5.
    """
    d = [v for v in d if v != 0]
    n = len(d)
    absd = sorted(abs(v) for v in d)
    rank = {}
    i = 0
    while i < n:
        j = i
        while j < n and absd[j] == absd[i]:
            j += 1
        rank[absd[i]] = (i + 1 + j) / 2
        i = j
    v = sum(rank[abs(x)] for x in d if x > 0)
    ties = sum(t**3 - t for t in (absd.count(a) for a in set(absd)))
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - ties / 48)
    z = v - n * (n + 1) / 4
    if correct:
        z -= math.copysign(0.5, z) if z != 0 else 0.0
    z /= sigma
    return 2 * min(stats.norm.cdf(z), stats.norm.sf(z))


def test_default_is_r_normal_approximation_with_continuity_correction():
    rng = np.random.default_rng(3)
    prev = rng.integers(1, 6, size=(25, 8)).astype(float)
    cur = np.clip(prev + rng.integers(-1, 3, size=prev.shape), 1, 5)
    prev[rng.random(prev.shape) < 0.1] = np.nan
    cur[rng.random(cur.shape) < 0.1] = np.nan
    res = delphi.stability(prev, cur)
    assert (res.zero_method, res.correction, res.method) == ("wilcox", True, "asymptotic")
    for j in range(prev.shape[1]):
        ok = ~np.isnan(prev[:, j]) & ~np.isnan(cur[:, j])
        d = (cur[ok, j] - prev[ok, j]).tolist()
        assert res.p[j] == pytest.approx(r_normal_approximation(d, True), rel=1e-10)
    res_spss = delphi.stability(prev, cur, correction=False)
    for j in range(prev.shape[1]):
        ok = ~np.isnan(prev[:, j]) & ~np.isnan(cur[:, j])
        d = (cur[ok, j] - prev[ok, j]).tolist()
        assert res_spss.p[j] == pytest.approx(r_normal_approximation(d, False), rel=1e-10)


# ------------------------------------------------------- per-item quantities
def test_changed_cv_and_pairing():
    prev = np.array([[3, 4], [4, 4], [5, np.nan], [np.nan, 2], [4, 4]], dtype=float)
    cur = np.array([[4, 4], [4, 4], [5, 3], [4, 2], [np.nan, 4]], dtype=float)
    res = delphi.stability(prev, cur)
    # item 0: pairs (3,4) (4,4) (5,5) -> 3 paired, 1 changed
    # item 1: pairs (4,4) (4,4) (2,2) (4,4) -> 4 paired, none changed
    assert_array_equal(res.n_paired, [3, 4])
    assert_allclose(res.changed, [1 / 3, 0.0])
    # CV of each round over everyone who rated the item in that round
    cv = lambda v: np.std(v, ddof=1) / np.mean(v)  # noqa: E731
    assert_allclose(res.cv_previous, [cv([3, 4, 5, 4]), cv([4, 4, 2, 4])])
    assert_allclose(res.cv_current, [cv([4, 4, 5, 4]), cv([4, 4, 3, 2, 4])])
    assert_allclose(res.cv_change, res.cv_current - res.cv_previous)
    assert res.p[1] == 1.0 and res.stable[1]
    assert math.isnan(res.statistic[1])


def test_all_zero_differences_give_p_one_and_no_pairs_give_nan():
    prev = np.array([[4, 5, np.nan], [3, 5, 4], [4, 4, np.nan]])
    cur = np.array([[4, 5, 3], [3, 5, np.nan], [4, 4, 5]])
    for zero_method in ("wilcox", "pratt", "zsplit"):
        res = delphi.stability(prev, cur, zero_method=zero_method)
        assert res.p[:2].tolist() == [1.0, 1.0]
        assert res.stable[:2].tolist() == [True, True]
        assert res.n_paired[2] == 0
        assert math.isnan(res.p[2]) and math.isnan(res.changed[2])
        assert not res.stable[2]
        assert res.all_stable is False


@pytest.mark.parametrize("zero_method", ["pratt", "zsplit"])
@pytest.mark.parametrize("correction", [True, False])
def test_other_zero_methods_match_scipy_item_by_item(zero_method, correction):
    rng = np.random.default_rng(5)
    prev = rng.integers(1, 6, size=(30, 6)).astype(float)
    cur = np.clip(prev + rng.integers(-1, 2, size=prev.shape), 1, 5)
    cur[rng.random(cur.shape) < 0.15] = np.nan
    res = delphi.stability(prev, cur, zero_method=zero_method, correction=correction)
    for j in range(prev.shape[1]):
        ok = ~np.isnan(cur[:, j])
        ref = stats.wilcoxon(cur[ok, j], prev[ok, j], zero_method=zero_method,
                             correction=correction, method="asymptotic")
        assert res.p[j] == pytest.approx(ref.pvalue, rel=1e-12)


def test_auto_chooses_exact_only_without_ties_or_zeros():
    # item 0: differences 1 2 3 -4 5 (distinct, no zero) -> exact
    # item 1: differences 1 1 2 2 3 (ties) -> normal approximation with correction
    prev = np.array([[1, 1], [1, 1], [1, 1], [5, 1], [1, 1]], dtype=float)
    cur = np.array([[2, 2], [3, 2], [4, 3], [1, 3], [6, 4]], dtype=float)
    auto = delphi.stability(prev, cur, method="auto")
    exact = delphi.stability(prev, cur, method="exact")
    asym = delphi.stability(prev, cur, method="asymptotic")
    assert auto.p[0] == exact.p[0] != asym.p[0]
    assert auto.p[1] == asym.p[1] != exact.p[1]
    # exact two-sided p for W- = 4 of n = 5: P(T <= 4) = #{subsets of 1..5 with sum <= 4} / 32
    small = sum(1 for k in range(6) for c in itertools.combinations(range(1, 6), k) if sum(c) <= 4)
    assert exact.p[0] == pytest.approx(2 * small / 32)


matrices = hst.integers(2, 15).flatmap(
    lambda m: hst.integers(1, 5).flatmap(
        lambda n: hst.tuples(
            *[hst.lists(hst.lists(hst.one_of(hst.integers(1, 5).map(float), hst.just(math.nan)),
                                  min_size=n, max_size=n), min_size=m, max_size=m)
              for _ in range(2)]
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(matrices)
def test_property_vectorised_equals_scipy_item_by_item(pair):
    prev, cur = (np.array(a) for a in pair)
    res = delphi.stability(prev, cur)
    for j in range(prev.shape[1]):
        ok = ~np.isnan(prev[:, j]) & ~np.isnan(cur[:, j])
        d = cur[ok, j] - prev[ok, j]
        assert res.n_paired[j] == ok.sum()
        if ok.sum() == 0:
            assert math.isnan(res.p[j]) and not res.stable[j]
        elif np.all(d == 0):
            assert res.p[j] == 1.0 and res.stable[j]
        else:
            ref = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="asymptotic")
            assert res.p[j] == pytest.approx(ref.pvalue, rel=1e-12)
            assert res.statistic[j] == ref.statistic
            assert res.stable[j] == (ref.pvalue >= 0.05)
            assert res.changed[j] == pytest.approx(np.mean(d != 0))


def test_bad_inputs():
    a = np.full((3, 2), 4.0)
    with pytest.raises(ValueError, match="previous and current must have the same shape"):
        delphi.stability(a, np.full((3, 3), 4.0))
    with pytest.raises(ValueError, match="current must be a 2-D array"):
        delphi.stability(a, [4, 4, 4])
    with pytest.raises(ValueError, match="previous needs at least 2 experts"):
        delphi.stability([[4, 4]], [[4, 4]])
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        delphi.stability(a, a, alpha=1.0)
    with pytest.raises(ValueError, match="zero_method"):
        delphi.stability(a, a, zero_method="drop")
    with pytest.raises(ValueError, match="method must be one of"):
        delphi.stability(a, a, method="permutation")
    with pytest.raises(ValueError, match="correction"):
        delphi.stability(a, a, correction="yes")
    for method in ("exact", "auto"):
        with pytest.raises(ValueError, match="needs zero_method='wilcox'"):
            delphi.stability(a, a, zero_method="pratt", method=method)
    with pytest.raises(ValueError, match="current must lie on the scale"):
        delphi.stability(a, a + 2, scale_min=1, scale_max=5)


# ------------------------------------------------------------------ stopping
RULE = delphi.ConsensusRule.preset("cn-standard")
R1 = np.array([[5, 3, 4], [4, 2, 4], [5, 4, 5], [4, 3, 4]], dtype=float)
R2 = np.array([[5, 4, 4], [4, 4, 4], [5, 4, 5], [4, 4, 4]], dtype=float)
R2_SPLIT = np.array([[5, 3, 4], [4, 5, 4], [5, 1, 5], [4, 3, 4]], dtype=float)


def test_stopping_continue_then_consensus():
    s1, s2 = delphi.item_stats(R1), delphi.item_stats(R2)
    d1 = delphi.stopping([s1], RULE, 3)
    assert (d1.stop, d1.reason, d1.reasons) == (False, "continue", ())
    assert d1.pending == (1,) and d1.n_consensus == 2 and d1.n_items == 3
    assert d1.n_stable is None and d1.unstable is None
    d2 = delphi.stopping([s1, s2], RULE, max_rounds=3)
    assert (d2.stop, d2.reason, d2.round) == (True, "consensus", 2)
    assert d2.consensus.all_reached


def test_stopping_on_stability_and_on_the_round_limit():
    s1, s2 = delphi.item_stats(R1), delphi.item_stats(R2_SPLIT)
    stab = delphi.stability(R1, R2_SPLIT)
    assert stab.all_stable                      # item 1 moved both ways: not significant
    d = delphi.stopping([s1, s2], RULE, max_rounds=4, stability=stab)
    assert (d.stop, d.reason, d.reasons) == (True, "stable", ("stable",))
    assert d.n_stable == 3 and d.unstable == () and d.pending == (1,)
    d = delphi.stopping([s1, s2], RULE, max_rounds=2)
    assert (d.stop, d.reason, d.reasons) == (True, "max_rounds", ("max_rounds",))
    # several reasons: consensus comes first
    d = delphi.stopping([s1, delphi.item_stats(R2)], RULE, max_rounds=2,
                        stability=delphi.stability(R1, R2))
    assert d.reason == "consensus" and d.reasons[0] == "consensus" and "max_rounds" in d.reasons


def test_stopping_not_stable():
    prev = np.full((10, 1), 3.0)
    cur = np.full((10, 1), 5.0)                 # everyone moved up by 2
    stab = delphi.stability(prev, cur)
    assert not stab.stable[0]
    d = delphi.stopping([delphi.item_stats(prev), delphi.item_stats(cur)],
                        delphi.ConsensusRule(mean_min=5, strict=["mean_min"]), 5, stability=stab)
    assert (d.stop, d.reason, d.unstable, d.n_stable) == (False, "continue", (0,), 0)


def test_stopping_ignores_inactive_items():
    s1, s2 = delphi.item_stats(R1), delphi.item_stats(R2_SPLIT)
    d = delphi.stopping([s1, s2], RULE, 5)
    assert d.reason == "continue" and d.pending == (1,)
    d = delphi.stopping([s1, s2], RULE, 5, active=np.array([True, False, True]))
    assert (d.stop, d.reason, d.n_items, d.pending) == (True, "consensus", 2, ())


def test_stopping_decision_to_dict():
    d = delphi.stopping([delphi.item_stats(R1)], RULE, 3).to_dict()
    assert d["reason"] == "continue" and d["pending"] == [1]
    assert d["consensus"]["reached"] == [True, False, True]


def test_stopping_bad_inputs():
    s1 = delphi.item_stats(R1)
    with pytest.raises(ValueError, match="history must be a non-empty list"):
        delphi.stopping([], RULE, 3)
    with pytest.raises(ValueError, match="history must be a non-empty list"):
        delphi.stopping(s1, RULE, 3)
    with pytest.raises(ValueError, match=r"history\[1\] must be an ItemStatistics"):
        delphi.stopping([s1, R1], RULE, 3)
    with pytest.raises(ValueError, match="same items"):
        delphi.stopping([s1, delphi.item_stats(R1[:, :2])], RULE, 3)
    with pytest.raises(ValueError, match="rule must be a ConsensusRule"):
        delphi.stopping([s1], RULE.to_dict(), 3)
    for bad in (0, 2.5, True, "3"):
        with pytest.raises(ValueError, match="max_rounds"):
            delphi.stopping([s1], RULE, bad)
    with pytest.raises(ValueError, match="stability must be a StabilityResult"):
        delphi.stopping([s1], RULE, 3, stability="stable")
    with pytest.raises(ValueError, match="stability covers 2 items"):
        delphi.stopping([s1], RULE, 3, stability=delphi.stability(R1[:, :2], R2[:, :2]))
    with pytest.raises(ValueError, match="active must be a boolean array"):
        delphi.stopping([s1], RULE, 3, active=[1, 0, 1])
