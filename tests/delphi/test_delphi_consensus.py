"""delphi.ConsensusRule: thresholds, strictness, presets, persistence, errors.

Boundary cases are constructed so that the statistic equals the threshold
exactly (worked out in the comments), to pin down > versus >=.
"""

import json
import math

import numpy as np
import pytest

import delphi
from delphi import ConsensusRule


def stats_of(*columns, **kw):
    """item_stats of items given as columns of equal length (NaN allowed)."""
    return delphi.item_stats(np.column_stack(columns).astype(float), **kw)


def test_cn_standard_preset_definition():
    rule = ConsensusRule.preset("cn-standard")
    assert rule.criteria == {"mean_min": 3.5, "cv_max": 0.25}
    assert rule.operator("mean_min") == ">" and rule.operator("cv_max") == "<"
    assert rule.combine == "all" and rule.scale == (1.0, 5.0) and rule.name == "cn-standard"
    assert rule.describe() == "mean > 3.5 and cv < 0.25"
    assert "3.5" in delphi.PRESET_SOURCES["cn-standard"]


def test_cn_standard_boundaries_are_strict():
    # item 0: 4 3 4 3 -> mean 3.5 exactly: fails "mean > 3.5"
    # item 1: 4 3 5 4 -> mean 4, deviations 0 -1 1 0, var 2/3, cv 0.204: passes
    # item 2: 4 3 5 NaN -> mean 4, var (1 + 1)/2 = 1, sd 1, cv 0.25 exactly: fails "cv < 0.25"
    s = stats_of([4, 3, 4, 3], [4, 3, 5, 4], [4, 3, 5, np.nan])
    assert s.mean[0] == 3.5 and s.cv[2] == 0.25
    res = ConsensusRule.preset("cn-standard").evaluate(s)
    assert res.reached.tolist() == [False, True, False]
    assert res.failed == (("mean_min",), (), ("cv_max",))
    assert res.passed["mean_min"].tolist() == [False, True, True]
    assert res.passed["cv_max"].tolist() == [True, True, False]
    assert res.n_reached == 1 and res.all_reached is False
    # the same thresholds compared inclusively pass both boundary items
    inclusive = ConsensusRule(mean_min=3.5, cv_max=0.25)
    assert inclusive.describe() == "mean >= 3.5 and cv <= 0.25"
    assert inclusive.evaluate(s).reached.tolist() == [True, True, True]


def test_iqr_agreement_boundaries_are_inclusive():
    # Quartiles by type 7: sorted x(0..n-1), Q1 at h = (n-1)/4, Q3 at h = 3(n-1)/4.
    # item 0: 3 3 3 4 4 4 4 4 5 5 -> agreement 7/10 = 0.70 exactly;
    #   Q1 at 2.25 -> 3 + 0.25*(4-3) = 3.25, Q3 at 6.75 -> 4, IQR 0.75: reached
    # item 1: 1 2 3 4 4 4 4 5 5 5 -> agreement 0.70; Q1 at 2.25 -> 3.25,
    #   Q3 at 6.75 -> 4 + 0.75*(5-4) = 4.75, IQR 1.5: fails iqr_max
    # item 2: 2 3 4 4 4 4 4 4 5 5 -> Q1 = Q3 = 4, IQR 0, agreement 0.8: reached
    # item 3: 3 3 3 4 4 4 4 5 5 (one NaN) -> Q1 at 2 -> 3, Q3 at 6 -> 4, IQR 1 exactly;
    #   agreement 6/9 = 0.667: fails agreement_min
    c0 = [3, 3, 3, 4, 4, 4, 4, 4, 5, 5]
    c1 = [1, 2, 3, 4, 4, 4, 4, 5, 5, 5]
    c2 = [2, 3, 4, 4, 4, 4, 4, 4, 5, 5]
    c3 = [3, 3, 3, 4, 4, 4, 4, 5, 5, np.nan]
    s = stats_of(c0, c1, c2, c3)
    assert s.agreement[0] == 0.7 and s.iqr[3] == 1.0
    assert s.iqr.tolist() == [0.75, 1.5, 0.0, 1.0]
    rule = ConsensusRule.preset("iqr-agreement")
    assert rule.describe() == "iqr <= 1 and agreement >= 0.7"
    res = rule.evaluate(s)
    assert res.failed == ((), ("iqr_max",), (), ("agreement_min",))
    assert res.reached.tolist() == [True, False, True, False]
    # each boundary on its own: agreement exactly 0.70 passes, IQR exactly 1 passes
    assert ConsensusRule(agreement_min=0.7).evaluate(s).reached.tolist() == [True, True, True, False]
    assert ConsensusRule(iqr_max=1).evaluate(s).reached.tolist() == [True, False, True, True]
    # strict versions reject the boundary values
    assert ConsensusRule(agreement_min=0.7, strict=["agreement_min"]).evaluate(s).reached[0] == False  # noqa: E712
    assert ConsensusRule(iqr_max=1, strict=["iqr_max"]).evaluate(s).reached[3] == False  # noqa: E712


def test_combine_any():
    s = stats_of([5, 5, 5, 5], [1, 1, 1, 2], [1, 5, 1, 5])
    rule = ConsensusRule(mean_min=4, full_score_min=0.5, combine="any")
    res = rule.evaluate(s)
    assert rule.describe() == "mean >= 4 or full_score >= 0.5"
    assert res.reached.tolist() == [True, False, True]
    assert res.failed == ((), ("mean_min", "full_score_min"), ("mean_min",))


def test_median_and_full_score_criteria():
    s = stats_of([5, 5, 4, 4], [4, 4, 3, 3])
    rule = ConsensusRule(median_min=4, full_score_min=0.5, strict=["median_min"])
    assert rule.operator("median_min") == ">" and rule.operator("full_score_min") == ">="
    res = rule.evaluate(s)
    # medians 4.5 and 3.5; full scores 0.5 and 0
    assert res.reached.tolist() == [True, False]


def test_unrated_item_fails_every_criterion():
    s = stats_of([np.nan, np.nan, np.nan], [5, 5, 4])
    res = ConsensusRule.preset("cn-standard").evaluate(s)
    assert res.reached.tolist() == [False, True]
    assert res.failed[0] == ("mean_min", "cv_max")


def test_to_dict_from_dict_round_trip_through_json():
    for name in ConsensusRule.presets():
        rule = ConsensusRule.preset(name)
        stored = json.loads(json.dumps(rule.to_dict()))
        assert ConsensusRule.from_dict(stored) == rule
    custom = ConsensusRule(median_min=4, iqr_max=1.0, agreement_min=0.75, strict={"median_min"},
                           combine="any", name="study 7")
    d = custom.to_dict()
    assert d == {"version": 1, "name": "study 7", "combine": "any", "scale": None,
                 "median_min": 4.0, "iqr_max": 1.0, "agreement_min": 0.75,
                 "strict": ["median_min"]}
    assert ConsensusRule.from_dict(d) == custom
    # a minimal hand-written dict works too
    assert ConsensusRule.from_dict({"cv_max": 0.25}).describe() == "cv <= 0.25"


def test_result_carries_the_rule_and_is_plain():
    s = stats_of([5, 4, 5], [1, 2, 4])  # item 1: mean 2.33, cv 0.65
    res = ConsensusRule.preset("cn-standard").evaluate(s)
    assert res.rule == ConsensusRule.preset("cn-standard").to_dict()
    d = res.to_dict()
    json.dumps(d)
    assert d["reached"] == [True, False]
    assert d["failed"] == [[], ["mean_min", "cv_max"]]
    assert d["passed"]["cv_max"] == [True, False]


def test_presets():
    assert ConsensusRule.presets() == sorted(delphi.PRESETS)
    assert set(delphi.PRESETS) == set(delphi.PRESET_SOURCES)
    assert ConsensusRule.preset("agreement-75").criteria == {"agreement_min": 0.75}
    with pytest.raises(ValueError, match="unknown preset 'cn'"):
        ConsensusRule.preset("cn")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "at least one threshold"),
        ({"mean_min": 3.5, "combine": "both"}, "combine must be 'all' or 'any'"),
        ({"mean_min": 3.5, "strict": ["mean"]}, "strict names unknown criteria"),
        ({"mean_min": 3.5, "strict": "mean_min"}, "collection of criterion names"),
        ({"mean_min": 3.5, "strict": ["cv_max"]}, "no threshold"),
        ({"agreement_min": 70}, "agreement_min must lie between 0 and 1"),
        ({"full_score_min": -0.1}, "full_score_min must lie between 0 and 1"),
        ({"cv_max": -0.1}, "cv_max must be >= 0"),
        ({"iqr_max": float("nan")}, "iqr_max must be a finite number"),
        ({"mean_min": "3.5"}, "mean_min must be a finite number"),
        ({"mean_min": 3.5, "scale": (5, 1)}, "scale_min must be smaller"),
        ({"mean_min": 3.5, "scale": 5}, "scale must be a pair"),
        ({"mean_min": 3.5, "name": 7}, "name must be a string"),
    ],
)
def test_invalid_rules(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConsensusRule(**kwargs)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mean_min": 3.5, "colour": "red"}, "unknown keys"),
        ({"mean_min": 3.5, "version": 2}, "unsupported ConsensusRule version"),
        ("mean > 3.5", "must be a mapping"),
        ({"mean_min": 3.5, "scale": 5}, "scale must be a pair"),
    ],
)
def test_invalid_stored_rules(data, message):
    with pytest.raises(ValueError, match=message):
        ConsensusRule.from_dict(data)


def test_evaluate_checks_its_input():
    rule = ConsensusRule.preset("cn-standard")
    with pytest.raises(ValueError, match="ItemStatistics"):
        rule.evaluate({"mean": [4.0]})
    nine_point = delphi.item_stats([[9, 8], [7, 9]], scale_max=9, agree_at=7)
    with pytest.raises(ValueError, match="written for the scale"):
        rule.evaluate(nine_point)
    # a rule without a scale applies to any scale
    assert ConsensusRule(agreement_min=0.7).evaluate(nine_point).reached.tolist() == [True, True]
    with pytest.raises(ValueError, match="unknown criterion"):
        rule.operator("mean")


def test_rule_is_immutable_and_hashable():
    rule = ConsensusRule.preset("cn-standard")
    with pytest.raises(AttributeError):
        rule.mean_min = 4.0
    assert len({rule, ConsensusRule.preset("cn-standard")}) == 1
    assert not math.isnan(rule.mean_min)
