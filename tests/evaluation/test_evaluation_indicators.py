"""evaluation.score_indicator: goalposts (UNDP HDI method), targets and rubrics."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evaluation import score_indicator


def test_benefit_goalposts_hdi_example():
    # UNDP Human Development Report 2020, Technical notes: life expectancy goalposts 20 and 85 years,
    # dimension index = (actual - min) / (max - min).  By hand: 82.4 -> 62.4/65 = 0.96, 52.5 -> 0.5.
    r = score_indicator([82.4, 20.0, 85.0, 52.5], {"kind": "benefit", "low": 20, "high": 85}, max_score=1)
    assert_allclose(r.scores, [62.4 / 65, 0.0, 1.0, 0.5], atol=1e-12)
    assert r.scores[0] == pytest.approx(0.96, abs=5e-5)


def test_cost_and_clipping():
    rule = {"kind": "cost", "low": 1, "high": 5}      # e.g. days to report: 1 day best, 5 days worst
    r = score_indicator([1, 2, 5, 7, 0], rule)
    assert_allclose(r.scores, [100, 75, 0, 0, 100])
    assert r.clipped.tolist() == [False, False, False, True, True]
    assert r.rule == {"kind": "cost", "low": 1.0, "high": 5.0}


def test_target_with_tolerance_by_hand():
    # full score within 95 ± 2, zero at 75 and 100; 85 -> (85-75)/(93-75) = 0.5556; 98.5 -> (100-98.5)/(100-97) = 0.5
    r = score_indicator([95, 93, 85, 98.5, 75, 100, 60],
                        {"kind": "target", "target": 95, "tolerance": 2, "low": 75, "high": 100})
    assert_allclose(r.scores, [100, 100, 100 * 10 / 18, 50, 0, 0, 0], atol=1e-12)


def test_rubric_and_missing():
    r = score_indicator(["A", "B ", None, "", "D"], {"kind": "rubric", "levels": {"A": 100, "B": 80, "C": 60, "D": 40}})
    assert r.scores[[0, 1, 4]].tolist() == [100, 80, 40]
    assert math.isnan(r.scores[2]) and math.isnan(r.scores[3])
    assert np.isnan(score_indicator([None, 3.0], {"kind": "benefit", "low": 0, "high": 6}).scores[0])


def test_direct():
    assert score_indicator([0, 55.5, 100], {"kind": "direct"}).scores.tolist() == [0, 55.5, 100]


@pytest.mark.parametrize("values, rule, pattern", [
    ([1], {"kind": "linear"}, "rule\\['kind'\\] must be one of"),
    ([1], {"kind": "benefit", "low": 5, "high": 5}, "low < high"),
    ([1], {"kind": "benefit", "high": 5}, "needs 'low'"),
    ([1], {"kind": "benefit", "low": "x", "high": 5}, "rule\\['low'\\] must be a number"),
    (["E"], {"kind": "rubric", "levels": {"A": 100}}, "values: 'E' is not a rubric level"),
    (["A"], {"kind": "rubric", "levels": {"A": 120}}, "levels.*must be a score"),
    (["A"], {"kind": "rubric"}, "rule\\['levels'\\]"),
    (["x"], {"kind": "benefit", "low": 0, "high": 5}, "values must be numbers"),
    ([120], {"kind": "direct"}, "direct rule"),
    ([1], {"kind": "target", "target": 9, "tolerance": 2, "low": 0, "high": 10}, "target \\+ tolerance <= high"),
    ([1], "benefit", "rule must be a mapping"),
])
def test_refusals(values, rule, pattern):
    with pytest.raises(ValueError, match=pattern):
        score_indicator(values, rule)
    with pytest.raises(ValueError, match="max_score"):
        score_indicator([1], {"kind": "direct"}, max_score=0)
