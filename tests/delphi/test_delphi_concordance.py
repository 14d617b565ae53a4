"""delphi.kendall_w against published worked examples and independent computations.

Orientation: delphi wants experts x items. R's irr/DescTools functions take
subjects (items) x raters, i.e. the transpose.
"""

import math
from collections import Counter
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from numpy.testing import assert_allclose
from scipy import stats

import delphi

# irr::anxiety (Gamer et al., R package irr): 20 subjects rated by 3 raters,
# as printed in the DescTools::KendallW help page (the function is irr::kendall
# by M. Gamer "integrated without logical changes"). The R outputs quoted below
# are the example output of that help page as rendered in the package's
# reference documentation.
ANXIETY = np.array([
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],   # rater1
    [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],   # rater2
    [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],   # rater3
], dtype=float)

# Siegel & Castellan (1988): three raters (ids 4, 21, 11) rank eight
# attributes (airfare, climate, season, people, program, publicity, present,
# interest), no ties -- the d.att example of the DescTools::KendallW help page.
SIEGEL_CASTELLAN = np.array([
    [5, 6, 7, 1, 2, 4, 3, 8],
    [1, 7, 6, 2, 3, 5, 4, 8],
    [4, 5, 1, 3, 2, 7, 6, 8],
], dtype=float)

# NAG Library G08DAF example program data (Kendall's coefficient of
# concordance, 3 comparisons of 10 objects, tied ranks given as mid-ranks).
NAG_G08DAF = np.array([
    [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
    [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
    [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
])


def test_siegel_castellan_without_ties():
    # R (DescTools documentation, "example from Siegel and Castellan (1988)"):
    #   kendallW(t(d.att[, -1]), test = TRUE)
    #   Kendall chi-squared = 13.778, df = 7, subjects = 8, raters = 3, p-value = 0.05528
    #   W = 0.6560847
    res = delphi.kendall_w(SIEGEL_CASTELLAN)
    assert res.w == pytest.approx(0.6560847, abs=5e-8)
    assert res.chi2 == pytest.approx(13.778, abs=5e-4)
    assert res.df == 7
    assert res.p == pytest.approx(0.05528, abs=5e-6)
    assert res.ties == 0
    assert res.w_corrected == res.w_uncorrected  # no ties: both versions agree
    assert (res.m_used, res.m_dropped, res.n_items) == (3, 0, 8)


def test_anxiety_with_ties_tie_corrected():
    # R (DescTools::KendallW help page; the same data and function as irr::kendall):
    #   KendallW(anxiety, TRUE, test = TRUE)
    #   Kendall chi-squared = 30.76, df = 19, subjects = 20, raters = 3, p-value = 0.04288
    #   W = 0.5396569
    res = delphi.kendall_w(ANXIETY, correct_ties=True)
    assert res.w == pytest.approx(0.5396569, abs=5e-8)
    assert res.chi2 == pytest.approx(30.76, abs=5e-3)
    assert res.df == 19
    assert res.p == pytest.approx(0.04288, abs=5e-6)
    assert res.correct_ties is True


def test_anxiety_uncorrected_from_the_definition():
    # Independent computation of W = 12 S / (m^2 (n^3 - n)) with R's rank()
    # (mid-ranks) written out via counting, and the tie sum via Counter.
    m, n = ANXIETY.shape
    ranks = []
    total_ties = 0
    for row in ANXIETY.tolist():
        counts = Counter(row)
        rank_of = {}
        below = 0
        for value in sorted(counts):
            t = counts[value]
            rank_of[value] = below + (t + 1) / 2
            below += t
            total_ties += t**3 - t
        ranks.append([rank_of[v] for v in row])
    rank_sums = [sum(col) for col in zip(*ranks)]
    s = sum((r - m * (n + 1) / 2) ** 2 for r in rank_sums)
    w_unc = 12 * s / (m**2 * (n**3 - n))
    w_cor = 12 * s / (m**2 * (n**3 - n) - m * total_ties)
    res = delphi.kendall_w(ANXIETY, correct_ties=False)
    assert res.w == pytest.approx(w_unc, rel=1e-12)
    assert res.w_uncorrected == pytest.approx(w_unc, rel=1e-12)
    assert res.w_corrected == pytest.approx(w_cor, rel=1e-12)
    assert res.ties == total_ties
    assert res.chi2 == pytest.approx(m * (n - 1) * w_unc, rel=1e-12)
    assert res.p == pytest.approx(stats.chi2.sf(m * (n - 1) * w_unc, n - 1), rel=1e-10)
    assert res.w_uncorrected < res.w_corrected  # ties shrink the maximum possible S
    assert res.correct_ties is False


def test_nag_g08daf_example_with_ties():
    # NAG Library, G08DAF Example Program Results:
    #   Kendall's coefficient =   0.828
    #             Significance =   0.008
    res = delphi.kendall_w(NAG_G08DAF)
    assert round(res.w, 3) == 0.828
    assert round(res.p, 3) == 0.008


@pytest.mark.parametrize("data", [ANXIETY, SIEGEL_CASTELLAN, NAG_G08DAF])
def test_tie_corrected_w_equals_friedman_q_over_m_n_minus_1(data):
    # scipy's Friedman statistic is tie-corrected; W_t = Q / (m (n - 1)).
    m, n = data.shape
    q, p = stats.friedmanchisquare(*data.T)
    res = delphi.kendall_w(data)
    assert res.w == pytest.approx(q / (m * (n - 1)), rel=1e-12)
    assert res.chi2 == pytest.approx(q, rel=1e-12)
    assert res.p == pytest.approx(p, rel=1e-10)


def test_perfect_agreement_gives_one_and_reversed_pair_gives_zero():
    res = delphi.kendall_w([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
    assert res.w == pytest.approx(1.0)
    # two experts with opposite orders: every rank sum is n + 1, S = 0
    res = delphi.kendall_w([[1, 2, 3, 4], [4, 3, 2, 1]])
    assert res.w == pytest.approx(0.0)
    assert res.p == pytest.approx(1.0)


def test_experts_with_missing_ratings_are_left_out():
    with_missing = np.vstack([ANXIETY, [1, np.nan] + [3] * 18])
    res = delphi.kendall_w(with_missing)
    ref = delphi.kendall_w(ANXIETY)
    assert (res.m_used, res.m_dropped) == (3, 1)
    assert res.w == pytest.approx(ref.w, rel=1e-15)


def test_all_tied_panel_gives_nan_corrected_w():
    # Every expert gives every item the same score: W_t is 0/0.
    res = delphi.kendall_w([[4, 4, 4], [5, 5, 5]])
    assert math.isnan(res.w) and math.isnan(res.chi2) and math.isnan(res.p)
    assert res.w_uncorrected == 0.0


def test_p_uses_the_survival_function_for_tiny_values():
    # 30 experts in perfect agreement on 20 items: chi2 = 30 * 19 = 570.
    r = np.tile(np.arange(1, 21, dtype=float), (30, 1))
    res = delphi.kendall_w(r)
    assert res.chi2 == pytest.approx(570.0)
    assert res.p == pytest.approx(stats.chi2.sf(570.0, 19), rel=1e-10)
    assert 0 < res.p < 1e-100


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 items"):
        delphi.kendall_w([[1], [2], [3]])
    with pytest.raises(ValueError, match="at least 2 experts"):
        delphi.kendall_w([[1, 2, 3]])
    with pytest.raises(ValueError, match="rated every item"):
        delphi.kendall_w([[1, 2, np.nan], [2, np.nan, 1], [1, 2, 3]])
    with pytest.raises(ValueError, match="2-D"):
        delphi.kendall_w([1, 2, 3])
    with pytest.raises(ValueError, match="correct_ties"):
        delphi.kendall_w(ANXIETY, correct_ties="yes")
    with pytest.raises(ValueError, match="off the scale"):
        delphi.kendall_w(ANXIETY, scale_min=1, scale_max=5)


def test_to_dict_is_plain():
    d = delphi.kendall_w(SIEGEL_CASTELLAN).to_dict()
    assert d["df"] == 7 and isinstance(d["w"], float) and d["correct_ties"] is True
    assert set(d) >= {"w", "w_corrected", "w_uncorrected", "chi2", "df", "p", "m_used",
                      "m_dropped", "n_items", "ties", "correct_ties"}


def test_small_case_against_brute_force_definition():
    # W from its definition via the average Spearman correlation:
    # W = ((m - 1) * mean_rho + 1) / m for complete rankings without ties.
    r = np.array([[1, 2, 3, 4, 5], [2, 1, 3, 5, 4], [1, 3, 2, 4, 5], [5, 1, 2, 3, 4]], float)
    m = r.shape[0]
    rhos = [stats.spearmanr(r[i], r[j])[0] for i, j in permutations(range(m), 2) if i < j]
    expected = ((m - 1) * np.mean(rhos) + 1) / m
    assert delphi.kendall_w(r).w == pytest.approx(expected, rel=1e-12)


def matrices(min_items=2):
    return hst.integers(2, 9).flatmap(
        lambda m: hst.integers(min_items, 9).flatmap(
            lambda n: hst.lists(hst.lists(hst.integers(1, 5), min_size=n, max_size=n),
                                min_size=m, max_size=m)
        )
    )


@settings(max_examples=150, deadline=None)
@given(matrices(min_items=3))  # scipy's Friedman test needs at least 3 items
def test_property_friedman_identity_and_bounds(r):
    a = np.array(r, dtype=float)
    m, n = a.shape
    res = delphi.kendall_w(a)
    assert 0 <= res.w_uncorrected <= 1 + 1e-12
    if math.isnan(res.w_corrected):
        # only when every expert tied all items
        assert all(len(set(row)) == 1 for row in r)
        return
    assert res.w_uncorrected <= res.w_corrected + 1e-12
    assert res.w_corrected <= 1 + 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.friedmanchisquare(*a.T).statistic
    assert res.w_corrected == pytest.approx(q / (m * (n - 1)), rel=1e-9, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(matrices(), hst.randoms(use_true_random=False))
def test_property_invariant_to_expert_and_item_order(r, rnd):
    a = np.array(r, dtype=float)
    rows, cols = list(range(a.shape[0])), list(range(a.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    x, y = delphi.kendall_w(a), delphi.kendall_w(a[rows][:, cols])
    assert_allclose([x.w_uncorrected, x.ties], [y.w_uncorrected, y.ties], rtol=1e-12, atol=1e-12)
