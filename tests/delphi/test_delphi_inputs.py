"""Bad input is rejected with a ValueError naming the argument; tables helpers;
docstring examples run."""

import doctest
import importlib
import json

import numpy as np
import pytest

import delphi

GOOD = [[5, 4, 3], [4, 4, 2], [3, 5, 4]]


@pytest.mark.parametrize(
    "ratings, message",
    [
        ([4, 5, 3], r"ratings must be a 2-D array .* got a 1-D array of shape \(3,\)"),
        ([[[4]]], "ratings must be a 2-D array"),
        (5, "got a 0-D array"),
        ([[4, 5]], r"ratings needs at least 2 experts \(rows\); got 1"),
        (np.empty((2, 0)), "at least 1 items"),
        ([[4, 6], [4, 5]], r"ratings must lie on the scale \[1, 5\]; 1 value\(s\) are off the "
                           r"scale, e.g. 6 at expert 0, item 1"),
        ([[0, 5], [4, 5]], "off the scale, e.g. 0 at expert 0, item 0"),
        ([[4, np.inf], [4, 5]], "must not contain infinite values"),
        ([["a", "b"], ["c", "d"]], "ratings must be a 2-D array of numbers"),
        ("45", "ratings must be a 2-D array of numbers"),
        ({"E01": [4, 5]}, "ratings must be a 2-D array of numbers"),
        ([[4, 5], [4]], "could not convert"),
    ],
)
def test_item_stats_rejects_bad_ratings(ratings, message):
    with pytest.raises(ValueError, match=message):
        delphi.item_stats(ratings)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale_max": 1}, "scale_min must be smaller than scale_max"),
        ({"scale_max": float("nan")}, "scale_max must be a finite number"),
        ({"scale_min": "1"}, "scale_min must be a finite number"),
        ({"agree_at": 6}, r"agree_at must lie on the scale \[1, 5\]"),
        ({"agree_at": None}, "agree_at must be a finite number"),
        ({"scale_max": True}, "scale_max must be a finite number"),
    ],
)
def test_item_stats_rejects_bad_scales(kwargs, message):
    with pytest.raises(ValueError, match=message):
        delphi.item_stats(GOOD, **kwargs)


def test_every_ratings_function_rejects_a_1d_array_and_a_single_expert():
    one_d = [4, 5, 3]
    single = [[4, 5, 3]]
    calls = [
        lambda r: delphi.item_stats(r),
        lambda r: delphi.item_stats_by_group(r, ["a"] * np.shape(r)[0]),
        lambda r: delphi.kendall_w(r),
        lambda r: delphi.stability(r, r),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="2-D array"):
            call(one_d)
        with pytest.raises(ValueError, match="at least 2 experts"):
            call(single)


def test_inputs_are_not_modified():
    r = np.array([[5.0, np.nan], [4.0, 3.0], [4.0, 4.0]])
    before = r.copy()
    delphi.item_stats(r)
    delphi.kendall_w(r)
    delphi.stability(r, r[::-1])
    np.testing.assert_array_equal(r, before)
    assert r.flags.writeable


# -------------------------------------------------------------------- tables
def test_ratings_matrix_from_records():
    records = [
        ("E02", "B", 3), ("E01", "A", 5), ("E01", "B", None), ("E02", "A", 4.0),
    ]
    t = delphi.ratings_matrix(records)
    assert t.experts == ("E02", "E01") and t.items == ("B", "A")
    np.testing.assert_array_equal(t.ratings, [[3, 4], [np.nan, 5]])
    # fixed label order; an expert who answered nothing still gets a row
    t = delphi.ratings_matrix(records, experts=["E01", "E02", "E03"], items=["A", "B", "C"])
    np.testing.assert_array_equal(
        t.ratings, [[5, np.nan, np.nan], [4, 3, np.nan], [np.nan, np.nan, np.nan]]
    )
    assert json.loads(json.dumps(t.to_dict()))["ratings"][0] == [5.0, None, None]
    assert delphi.ratings_matrix([], experts=["E01"], items=["A"]).ratings.shape == (1, 1)


@pytest.mark.parametrize(
    "records, kwargs, message",
    [
        ([("E01", "A")], {}, r"records\[0\] must be an \(expert, item, rating\) triple"),
        ([("E01", "A", "five")], {}, "non-numeric rating 'five'"),
        ([("E01", "A", 5), ("E01", "A", 4)], {}, "rated item 'A' twice"),
        ([("E09", "A", 5)], {"experts": ["E01"]}, "expert 'E09' is not in experts"),
        ([("E01", "Z", 5)], {"items": ["A"]}, "item 'Z' is not in items"),
        ([], {"experts": ["E01", "E01"]}, "experts must not repeat a label"),
        ([], {"items": "AB"}, "items must be a sequence of labels"),
    ],
)
def test_ratings_matrix_bad_records(records, kwargs, message):
    with pytest.raises(ValueError, match=message):
        delphi.ratings_matrix(records, **kwargs)


def test_category_counts():
    r = [[5, 4, 1], [4, 4, np.nan], [5, 2, 1], [3, 4, 1]]
    counts = delphi.category_counts(r)
    assert counts.tolist() == [[0, 0, 1, 1, 2], [0, 1, 0, 3, 0], [3, 0, 0, 0, 0]]
    # counts per item sum to n of item_stats
    assert counts.sum(axis=1).tolist() == delphi.item_stats(r).n.tolist()
    nine = delphi.category_counts([[9, 7], [1, 7]], scale_max=9)
    assert nine.shape == (2, 9) and nine[1, 6] == 2
    with pytest.raises(ValueError, match="whole numbers"):
        delphi.category_counts([[4.5, 4], [4, 4]])
    with pytest.raises(ValueError, match="whole-number scale"):
        delphi.category_counts([[4, 4], [4, 4]], scale_max=5.5)
    with pytest.raises(ValueError, match="off the scale"):
        delphi.category_counts([[7, 4], [4, 4]])


# --------------------------------------------------------------- public API
def test_public_names_of_the_issue_exist():
    for name in ("item_stats", "kendall_w", "authority", "response_rate", "ConsensusRule",
                 "stability", "stopping"):
        assert name in delphi.__all__ and callable(getattr(delphi, name))
    for name in delphi.__all__:
        assert hasattr(delphi, name), name


def test_result_field_names_of_the_issue():
    s = delphi.item_stats(GOOD)
    for name in ("n", "mean", "sd", "cv", "median", "q1", "q3", "iqr", "agreement", "full_score"):
        assert getattr(s, name).shape == (3,)
    w = delphi.kendall_w(GOOD)
    for name in ("w", "chi2", "df", "p", "m_used"):
        assert hasattr(w, name)
    a = delphi.authority([0.8], [0.8])
    for name in ("cr", "ca", "cs", "mean", "acceptable"):
        assert hasattr(a, name)
    st = delphi.stability(GOOD, GOOD)
    for name in ("changed", "cv_change", "p", "stable", "n_paired"):
        assert hasattr(st, name)
    d = delphi.stopping([s], delphi.ConsensusRule.preset("cn-standard"), 1)
    assert hasattr(d, "stop") and hasattr(d, "reason")


@pytest.mark.parametrize(
    "module",
    ["statistics", "concordance", "authority", "consensus", "stability", "tables"],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"delphi.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
