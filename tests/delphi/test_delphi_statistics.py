"""delphi.item_stats / item_stats_by_group against independent computations.

The reference values come from Python's ``statistics`` module, one item at a
time (``statistics.mean``, ``stdev`` (n - 1), ``median`` and
``quantiles(method="inclusive")``, which is R's type 7), or are worked out by
hand in the comments.
"""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from numpy.testing import assert_allclose, assert_array_equal

import delphi


def reference_item(values, scale_max=5, agree_at=4):
    """Plain-Python statistics of one item's ratings (NaN already removed)."""
    n = len(values)
    if n == 0:
        return dict(n=0, mean=math.nan, sd=math.nan, cv=math.nan, median=math.nan,
                    q1=math.nan, q3=math.nan, iqr=math.nan, agreement=math.nan,
                    full_score=math.nan)
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if n >= 2 else math.nan
    if n >= 2:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = median = q3 = values[0]
    return dict(
        n=n, mean=mean, sd=sd, cv=sd / mean if mean != 0 else math.nan,
        median=median, q1=q1, q3=q3, iqr=q3 - q1,
        agreement=sum(v >= agree_at for v in values) / n,
        full_score=sum(v == scale_max for v in values) / n,
    )


def assert_matches_reference(stats, ratings, scale_max=5, agree_at=4):
    ratings = np.asarray(ratings, dtype=float)
    for j in range(ratings.shape[1]):
        col = [float(v) for v in ratings[:, j] if not math.isnan(v)]
        ref = reference_item(col, scale_max, agree_at)
        for name, expected in ref.items():
            got = getattr(stats, name)[j]
            if isinstance(expected, float) and math.isnan(expected):
                assert math.isnan(got), (name, j)
            else:
                assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (name, j)


def test_small_panel_worked_by_hand():
    # Item 0: 5 5 4 5 4 -> mean 4.6, sd sqrt(0.3), sorted 4 4 5 5 5,
    #   Q1 at h = 4*0.25 = 1 -> 4, median 5, Q3 at h = 3 -> 5, IQR 1,
    #   agreement 5/5, full score 3/5.
    # Item 1: 3 4 NaN 2 4 -> n 4, mean 3.25, sorted 2 3 4 4,
    #   Q1 at h = 0.75 -> 2 + 0.75*(3-2) = 2.75, median 3.5, Q3 at h = 2.25 -> 4.
    r = [[5, 3], [5, 4], [4, np.nan], [5, 2], [4, 4]]
    s = delphi.item_stats(r)
    assert_array_equal(s.n, [5, 4])
    assert_allclose(s.mean, [4.6, 3.25])
    assert_allclose(s.sd, [math.sqrt(0.3), math.sqrt(((3 - 3.25) ** 2 + 0.75**2 + 1.25**2 + 0.75**2) / 3)])
    assert_allclose(s.median, [5.0, 3.5])
    assert_allclose(s.q1, [4.0, 2.75])
    assert_allclose(s.q3, [5.0, 4.0])
    assert_allclose(s.iqr, [1.0, 1.25])
    assert_allclose(s.agreement, [1.0, 0.5])
    assert_allclose(s.full_score, [0.6, 0.0])
    assert_allclose(s.cv, s.sd / s.mean)


def test_matches_statistics_module_on_fixed_panel():
    rng = np.random.default_rng(7)
    r = rng.integers(1, 6, size=(17, 9)).astype(float)
    r[rng.random(r.shape) < 0.15] = np.nan
    assert_matches_reference(delphi.item_stats(r), r)


def test_type7_quartiles_differ_from_type6():
    # Four experts 3 4 4 5: type 7 (numpy "linear", statistics "inclusive")
    # gives Q1 3.75, Q3 4.25, IQR 0.5; type 6 (SPSS, statistics "exclusive")
    # gives Q1 3.25, Q3 4.75, IQR 1.5 -- the rule "IQR <= 1" passes only under type 7.
    r = np.array([[3.0], [4.0], [4.0], [5.0]])
    s = delphi.item_stats(r)
    inclusive = statistics.quantiles([3, 4, 4, 5], n=4, method="inclusive")
    exclusive = statistics.quantiles([3, 4, 4, 5], n=4, method="exclusive")
    assert [s.q1[0], s.median[0], s.q3[0]] == pytest.approx(inclusive)
    assert inclusive == pytest.approx([3.75, 4.0, 4.25])
    assert exclusive == pytest.approx([3.25, 4.0, 4.75])
    assert s.iqr[0] == pytest.approx(0.5)
    assert s.quantile_method == "linear"
    # numpy's default is the same definition
    assert np.quantile([3, 4, 4, 5], [0.25, 0.75]) == pytest.approx([3.75, 4.25])


def test_empty_and_single_rating_items_give_nan_not_errors():
    r = [[np.nan, 4, 0 + 3], [np.nan, np.nan, 3]]
    s = delphi.item_stats(r)
    assert_array_equal(s.n, [0, 1, 2])
    for name in ("mean", "sd", "cv", "median", "q1", "q3", "iqr", "agreement", "full_score"):
        assert math.isnan(getattr(s, name)[0]), name
    # one rating: location defined, spread not
    assert s.mean[1] == 4 and s.median[1] == 4 and s.q1[1] == 4 and s.iqr[1] == 0
    assert math.isnan(s.sd[1]) and math.isnan(s.cv[1])
    # identical ratings: sd 0, cv 0
    assert s.sd[2] == 0 and s.cv[2] == 0


def test_cv_is_nan_when_mean_is_zero():
    s = delphi.item_stats([[0, 1], [0, 2]], scale_max=5, scale_min=0)
    assert math.isnan(s.cv[0])
    assert s.cv[1] == pytest.approx(statistics.stdev([1, 2]) / 1.5)


def test_scale_and_agreement_cut_are_parameters():
    # 1-9 scale, agreement = share rating 7-9 (COMET), full score = share rating 9
    r = [[9, 1], [7, 5], [8, 9], [3, 7], [9, 9]]
    s = delphi.item_stats(r, scale_max=9, agree_at=7)
    assert_allclose(s.agreement, [4 / 5, 3 / 5])
    assert_allclose(s.full_score, [2 / 5, 2 / 5])
    assert (s.scale_min, s.scale_max, s.agree_at) == (1.0, 9.0, 7.0)
    # positional form of the signature item_stats(ratings, scale_max, agree_at)
    s2 = delphi.item_stats(r, 9, 7)
    assert_array_equal(s2.agreement, s.agreement)


def test_none_counts_as_missing():
    s = delphi.item_stats([[5, None], [4, 3], [None, 3]])
    assert_array_equal(s.n, [2, 2])
    assert_allclose(s.mean, [4.5, 3.0])


def test_result_is_read_only_and_exports_rows():
    s = delphi.item_stats([[5, 4], [4, np.nan], [5, 4]])
    with pytest.raises(ValueError):
        s.mean[0] = 1.0
    with pytest.raises(AttributeError):
        s.mean = np.zeros(2)
    rows = s.to_rows(["A1", "A2"])
    assert rows[0]["item"] == "A1" and rows[1]["item"] == "A2"
    assert rows[0]["n"] == 3 and rows[1]["n"] == 2
    assert rows[1]["sd"] == 0.0
    assert set(rows[0]) == {"item", "n", "mean", "sd", "cv", "median", "q1", "q3", "iqr",
                            "agreement", "full_score"}
    assert isinstance(rows[0]["mean"], float) and isinstance(rows[0]["n"], int)
    assert [r["item"] for r in s.to_rows()] == [0, 1]
    with pytest.raises(ValueError, match="labels"):
        s.to_rows(["only one"])


def test_to_rows_and_to_dict_turn_nan_into_none():
    s = delphi.item_stats([[np.nan, 4], [np.nan, 5]])
    assert s.to_rows()[0]["mean"] is None
    d = s.to_dict()
    assert d["mean"] == [None, 4.5]
    assert d["n"] == [0, 2]
    assert d["quantile_method"] == "linear"


def test_by_group_equals_item_stats_of_each_subset():
    rng = np.random.default_rng(11)
    r = rng.integers(1, 6, size=(12, 5)).astype(float)
    r[rng.random(r.shape) < 0.1] = np.nan
    groups = ["regulator", "platform", "academia"] * 4
    by = delphi.item_stats_by_group(r, groups)
    assert list(by) == ["regulator", "platform", "academia"]
    for label in by:
        rows = [i for i, g in enumerate(groups) if g == label]
        assert_matches_reference(by[label], r[rows])


def test_by_group_allows_a_single_expert_group():
    by = delphi.item_stats_by_group([[5, 4], [4, 4], [2, 2]], [1, 1, 2])
    assert_array_equal(by[2].n, [1, 1])
    assert math.isnan(by[2].sd[0])


def test_by_group_bad_groups():
    with pytest.raises(ValueError, match="groups must have one label per expert"):
        delphi.item_stats_by_group([[5, 4], [4, 4]], ["a"])
    with pytest.raises(ValueError, match="groups"):
        delphi.item_stats_by_group([[5, 4], [4, 4]], "ab")
    with pytest.raises(ValueError, match="hashable"):
        delphi.item_stats_by_group([[5, 4], [4, 4]], [["a"], ["b"]])


ratings_matrices = hst.integers(2, 12).flatmap(
    lambda m: hst.integers(1, 6).flatmap(
        lambda n: hst.lists(
            hst.lists(hst.one_of(hst.integers(1, 5).map(float), hst.just(math.nan)),
                      min_size=n, max_size=n),
            min_size=m, max_size=m,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(ratings_matrices)
def test_property_matches_statistics_module(r):
    assert_matches_reference(delphi.item_stats(r), r)


@settings(max_examples=100, deadline=None)
@given(ratings_matrices, hst.randoms(use_true_random=False))
def test_property_row_order_does_not_matter_and_bounds_hold(r, rnd):
    a = np.array(r)
    perm = list(range(a.shape[0]))
    rnd.shuffle(perm)
    s, t = delphi.item_stats(a), delphi.item_stats(a[perm])
    for name in ("n", "mean", "sd", "median", "q1", "q3", "iqr", "agreement", "full_score"):
        assert_allclose(getattr(s, name), getattr(t, name), rtol=1e-12, atol=1e-12)
    rated = s.n > 0
    assert np.all(s.q1[rated] <= s.median[rated])
    assert np.all(s.median[rated] <= s.q3[rated])
    assert np.all((s.mean[rated] >= 1) & (s.mean[rated] <= 5))
    assert np.all((s.agreement[rated] >= s.full_score[rated]))
