"""delphi.authority and delphi.response_rate.

Worked example: a BMJ Open Delphi study, Table 4 "Expert authority
coefficients" (bmjopen.bmj.com, highwire markup 347080), which prints its
arithmetic for 16 experts:

  Round 1: Ca = (16*0.5 + 7*0.3 + 9*0.2 + 3*0.1 + 11*0.1 + 2*0.1 + 2*0.1 + 8*0.1
                 + 6*0.1) / 16 = 0.944
           Cs = (1*1 + 12*0.8 + 3*0.6) / 16 = 0.775
           Cr = (Ca + Cs) / 2 = 0.860
  Round 2: Ca = (16*0.5 + 9*0.3 + 7*0.2 + 5*0.1 + 10*0.1 + 1*0.1 + 5*0.1 + 8*0.1
                 + 3*0.1) / 16 = 0.963   (the printed sum is 15.3 / 16 = 0.956)
           Cs = (3*1 + 12*0.8 + 1*0.6) / 16 = 0.825

The counts per source and level are those of the paper; how they pair up in
individual experts does not change the panel means, so the experts below are
built by listing the levels in order.
"""

import copy
import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

import delphi


def panel(practice, theory, literature, intuition):
    """16 experts from counts per level (high, medium, low) of each source."""
    def expand(counts):
        h, m, lo = counts
        return ["high"] * h + ["medium"] * m + ["low"] * lo

    cols = [expand(c) for c in (practice, theory, literature, intuition)]
    assert all(len(c) == 16 for c in cols)
    return [
        {"practice": p, "theory": t, "literature": lit, "intuition": i}
        for p, t, lit, i in zip(*cols)
    ]


ROUND1_BASIS = panel((16, 0, 0), (7, 9, 0), (3, 11, 2), (2, 8, 6))
ROUND1_FAMILIARITY = ["very"] * 1 + ["familiar"] * 12 + ["moderate"] * 3
ROUND2_BASIS = panel((16, 0, 0), (9, 7, 0), (5, 10, 1), (5, 8, 3))
ROUND2_FAMILIARITY = ["very"] * 3 + ["familiar"] * 12 + ["moderate"] * 1


def test_bmj_open_round1_worked_example():
    res = delphi.authority(ROUND1_BASIS, ROUND1_FAMILIARITY)
    assert res.mean_ca == pytest.approx(15.1 / 16, rel=1e-12)
    assert round(res.mean_ca, 3) == 0.944
    assert res.mean_cs == pytest.approx(0.775, rel=1e-12)
    assert res.mean == pytest.approx((15.1 / 16 + 0.775) / 2, rel=1e-12)
    # The paper prints Cr = 0.860, the mean of its rounded Ca and Cs:
    # (0.944 + 0.775) / 2 = 0.8595, rounded half up; unrounded it is 0.859375.
    assert (round(res.mean_ca, 3) + res.mean_cs) / 2 == pytest.approx(0.8595, abs=1e-12)
    assert res.acceptable is True
    assert res.threshold == 0.7


def test_bmj_open_round2_worked_example():
    res = delphi.authority(ROUND2_BASIS, ROUND2_FAMILIARITY)
    assert res.mean_cs == pytest.approx(0.825, rel=1e-12)
    # The paper's own sum gives 15.3 / 16; its printed 0.963 does not follow from it.
    assert res.mean_ca == pytest.approx(15.3 / 16, rel=1e-12)


def test_per_expert_values_and_threshold_is_inclusive():
    basis = [
        {"practice": "high", "theory": "high", "literature": "high", "intuition": "high"},  # 1.0
        {"practice": "low", "theory": "low", "literature": "low", "intuition": "low"},      # 0.6
        0.8,
    ]
    res = delphi.authority(basis, ["very", "unfamiliar", 0.6])
    assert_allclose(res.ca, [1.0, 0.6, 0.8])
    assert_allclose(res.cs, [1.0, 0.2, 0.6])
    assert_allclose(res.cr, [1.0, 0.4, 0.7])
    assert res.expert_acceptable.tolist() == [True, False, True]  # 0.7 >= 0.7
    assert res.mean == pytest.approx(0.7)
    assert res.acceptable is True
    assert res.mean_ca == pytest.approx(0.8) and res.mean_cs == pytest.approx(0.6)


def test_default_tables_match_the_documented_values():
    assert delphi.DEFAULT_BASIS_TABLE == {
        "practice": {"high": 0.5, "medium": 0.4, "low": 0.3},
        "theory": {"high": 0.3, "medium": 0.2, "low": 0.1},
        "literature": {"high": 0.1, "medium": 0.1, "low": 0.1},
        "intuition": {"high": 0.1, "medium": 0.1, "low": 0.1},
    }
    assert delphi.DEFAULT_FAMILIARITY_SCALE == {
        "very": 1.0, "familiar": 0.8, "moderate": 0.6, "little": 0.4, "unfamiliar": 0.2,
    }
    # plain, storable data
    json.dumps([delphi.DEFAULT_BASIS_TABLE, delphi.DEFAULT_FAMILIARITY_SCALE])
    assert "PMC9440023" in delphi.BASIS_TABLE_SOURCE
    assert "BMJ Open" in delphi.FAMILIARITY_SCALE_SOURCE


def test_defaults_are_not_mutated():
    before = copy.deepcopy((delphi.DEFAULT_BASIS_TABLE, delphi.DEFAULT_FAMILIARITY_SCALE))
    delphi.authority(ROUND1_BASIS, ROUND1_FAMILIARITY)
    assert (delphi.DEFAULT_BASIS_TABLE, delphi.DEFAULT_FAMILIARITY_SCALE) == before


def test_a_study_can_replace_the_tables():
    # Variant with literature split into domestic and foreign (0.05 each) and a
    # 1.0/0.8/0.5/0.2/0.0 familiarity scale.
    table = {
        "practice": {"high": 0.5, "medium": 0.4, "low": 0.3},
        "theory": {"high": 0.3, "medium": 0.2, "low": 0.1},
        "domestic": {"high": 0.05, "medium": 0.05, "low": 0.05},
        "foreign": {"high": 0.05, "medium": 0.05, "low": 0.05},
        "intuition": {"high": 0.1, "medium": 0.1, "low": 0.1},
    }
    scale = {"very": 1.0, "familiar": 0.8, "moderate": 0.5, "little": 0.2, "unfamiliar": 0.0}
    basis = [{"practice": "medium", "theory": "low", "domestic": "high", "foreign": "low",
              "intuition": "medium"}]
    res = delphi.authority(basis, ["moderate"], basis_table=table, familiarity_scale=scale)
    assert res.ca[0] == pytest.approx(0.4 + 0.1 + 0.05 + 0.05 + 0.1)
    assert res.cs[0] == pytest.approx(0.5)
    # positional form of the signature
    res2 = delphi.authority(basis, ["moderate"], table, scale)
    assert res2.cr[0] == res.cr[0]
    # custom threshold
    assert delphi.authority([0.8], [0.8], threshold=0.9).acceptable is False


def test_chinese_labels_are_accepted():
    res = delphi.authority(
        [{"实践经验": "大", "理论分析": "中", "国内外文献": "小", "直觉": "中"}],
        ["熟悉"],
    )
    assert res.ca[0] == pytest.approx(0.5 + 0.2 + 0.1 + 0.1)
    assert res.cs[0] == pytest.approx(0.8)
    assert delphi.authority([0.9], ["很熟悉"]).cs[0] == 1.0
    assert delphi.authority([0.9], ["Very familiar"]).cs[0] == 1.0


def test_numpy_arrays_are_accepted():
    res = delphi.authority(np.array([0.8, 0.9]), np.array([0.6, 1.0]))
    assert_allclose(res.cr, [0.7, 0.95])


@pytest.mark.parametrize(
    "table, message",
    [
        ({}, "non-empty mapping"),
        ([("practice", 0.5)], "non-empty mapping"),
        ({"practice": 0.5}, r"basis_table\['practice'\] must be a non-empty mapping"),
        ({"practice": {"high": 0.5, "low": 0.3}, "theory": {"high": 0.3}}, "same levels"),
        ({"practice": {"high": 1.5, "low": 0.3}}, r"basis_table\['practice'\]\['high'\]"),
        ({"practice": {"high": "big", "low": 0.3}}, "between 0 and 1"),
        ({"practice": {"high": 0.6}, "theory": {"high": 0.5}}, "sum to at most 1"),
        ({1: {"high": 0.5}}, "sources must be strings"),
    ],
)
def test_bad_basis_tables(table, message):
    with pytest.raises(ValueError, match=message):
        delphi.authority([0.8], [0.8], basis_table=table)


@pytest.mark.parametrize(
    "scale, message",
    [({}, "non-empty mapping"), ({"very": 2}, r"familiarity_scale\['very'\]"),
     ({1: 0.5}, "labels must be strings"), ("very", "non-empty mapping")],
)
def test_bad_familiarity_scales(scale, message):
    with pytest.raises(ValueError, match=message):
        delphi.authority([0.8], [0.8], familiarity_scale=scale)


@pytest.mark.parametrize(
    "basis, familiarity, message",
    [
        ([1.2], [0.8], r"basis\[0\] must be a number between 0 and 1"),
        ([0.8], [-0.1], r"familiarity\[0\] must be a number between 0 and 1"),
        ([{"practice": "high"}], [0.8], r"basis\[0\] is missing the judgment source"),
        ([{"practice": "huge", "theory": "low", "literature": "low", "intuition": "low"}],
         [0.8], r"basis\[0\]\['practice'\] = 'huge' is not a level"),
        ([{"practice": "high", "theory": "low", "literature": "low", "intuition": "low",
           "luck": "high"}], [0.8], "unknown judgment source 'luck'"),
        ([{"practice": "high", "实践经验": "high", "theory": "low", "literature": "low",
           "intuition": "low"}], [0.8], "twice"),
        (["high"], [0.8], r"basis\[0\] must be a number Ca"),
        ([True], [0.8], r"basis\[0\] must be a number Ca"),
        ([0.8], ["expert"], r"familiarity\[0\] must be a number Cs in \[0, 1\] or one of"),
        ([0.8, 0.9], [0.8], "one entry per expert each"),
        ([], [], "at least one expert"),
        ("0.8", [0.8], "basis must be a sequence"),
        ([0.8], 0.8, "familiarity must be a sequence"),
        (np.array([[0.8]]), [0.8], "one-dimensional"),
    ],
)
def test_bad_expert_answers(basis, familiarity, message):
    with pytest.raises(ValueError, match=message):
        delphi.authority(basis, familiarity)


def test_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        delphi.authority([0.8], [0.8], threshold=7)


# ------------------------------------------------------------- response rate
def test_response_rate_scalar_and_per_round():
    # e.g. 20 questionnaires sent, 18 returned -> 90%; round 2: 18 sent, 18 back
    assert delphi.response_rate(20, 18) == pytest.approx(0.9)
    assert isinstance(delphi.response_rate(20, 18), float)
    rates = delphi.response_rate([20, 18, 18], [18, 18, 16])
    assert_allclose(rates, [0.9, 1.0, 16 / 18])


@pytest.mark.parametrize(
    "invited, answered, message",
    [
        (0, 0, "invited must be at least 1"),
        (10, 11, "answered cannot exceed invited"),
        (10, -1, "answered must not be negative"),
        (10.5, 3, "invited must contain whole numbers"),
        ([10, 10], [5], "same shape"),
        ("ten", 5, "invited must"),
        (10, float("nan"), "answered must contain whole numbers"),
    ],
)
def test_response_rate_bad_inputs(invited, answered, message):
    with pytest.raises(ValueError, match=message):
        delphi.response_rate(invited, answered)


def test_authority_to_dict():
    d = delphi.authority([0.8, 0.6], ["very", "little"]).to_dict()
    assert d["cr"] == pytest.approx([0.9, 0.5])
    assert d["expert_acceptable"] == [True, False]
    assert d["acceptable"] is True
