"""Published worked examples, with their sources.

Published figures are printed to 3 decimals, so they are compared at half a
unit of their last digit (``atol=5e-4``); the closed forms and the rules of
Goepel (2018) are exact and are compared at 1e-12.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

# ---------------------------------------------------------------------------
# Saaty, T.L. (2008). Decision making with the analytic hierarchy process.
# Int. J. Services Sciences 1(1), 83-98, doi:10.1504/IJSSCI.2008.017590,
# Table 2 "Which drink is consumed more in the US?": judgments, derived
# priorities .177 .019 .042 .116 .190 .129 .327 and "C.R. = 0.022".
# Order: coffee, wine, tea, beer, sodas, milk, water.
DRINKS_UPPER = [
    9, 5, 2, 1, 1, 1 / 2,
    1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9,
    1 / 3, 1 / 4, 1 / 3, 1 / 9,
    1 / 2, 1, 1 / 3,
    2, 1 / 2,
    1 / 3,
]
DRINKS_PUBLISHED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def test_saaty_2008_drinks_priorities():
    a = ahp.from_upper(DRINKS_UPPER, 7)
    assert_allclose(ahp.priorities(a), DRINKS_PUBLISHED, atol=5e-4)


@pytest.mark.parametrize("ri", ["saaty", "saaty2005"])
def test_saaty_2008_drinks_cr(ri):
    # RI(7) is 1.32 (1980) or 1.35 (2005); both round to the published 0.022.
    r = ahp.consistency(ahp.from_upper(DRINKS_UPPER, 7), ri=ri)
    assert r.cr == pytest.approx(0.022, abs=5e-4)
    assert r.acceptable


# ---------------------------------------------------------------------------
# Saaty, T.L. (1990). How to make a decision: the analytic hierarchy process.
# Eur. J. Oper. Res. 48(1), 9-26, doi:10.1016/0377-2217(90)90057-I,
# "choosing a house": 8 criteria (size of house, transportation, neighbourhood,
# age, yard space, modern facilities, general condition, financing).
# Published: priorities .173 .054 .188 .018 .031 .036 .167 .333,
# lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169 (not acceptable).
HOUSE = [
    [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
    [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
    [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
    [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
    [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
    [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
    [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
    [4, 7, 5, 8, 6, 6, 2, 1],
]


def test_saaty_1990_house_example():
    r = ahp.consistency(HOUSE)
    assert_allclose(ahp.priorities(HOUSE), [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333], atol=5e-4)
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert r.ci == pytest.approx(0.238, abs=5e-4)
    assert r.cr == pytest.approx(0.169, abs=5e-4)
    assert r.ri == 1.41
    assert not r.acceptable
    assert ahp.validate_matrix(HOUSE).shape == (8, 8)


def test_saaty_1990_house_revision_hints_improve():
    # An inconsistent published matrix: every hint must lower the CR, best first.
    r = ahp.consistency(HOUSE)
    hints = ahp.revision_hints(HOUSE, k=3)
    assert len(hints) == 3
    assert [h.cr_after for h in hints] == sorted(h.cr_after for h in hints)
    assert all(h.cr_after < r.cr for h in hints)
    assert all(h.suggested in set(ahp.SAATY_VALUES.tolist()) for h in hints)


# ---------------------------------------------------------------------------
# Saaty, T.L. (2005). Theory and Applications of the Analytic Network Process,
# RWS Publications: "best city to live in" -- criteria culture, family,
# housing, jobs, transportation; alternatives Bethesda, Boston, Pittsburgh,
# Santa Fe.  Published overall priorities .229 .275 .385 .111 (distributive
# synthesis; the same data and figures are AHPy's test_cities_* tests).
CITIES = ["Bethesda", "Boston", "Pittsburgh", "Santa Fe"]
CRITERIA = ["Culture", "Family", "Housing", "Jobs", "Transportation"]
CRITERIA_MATRIX = [
    [1, 1 / 5, 3, 1 / 2, 5],
    [5, 1, 7, 1, 7],
    [1 / 3, 1 / 7, 1, 1 / 4, 3],
    [2, 1, 4, 1, 7],
    [1 / 5, 1 / 7, 1 / 3, 1 / 7, 1],
]
# Upper triangles in the order Bethesda, Boston, Pittsburgh, Santa Fe.
ALTERNATIVES_UPPER = {
    "Culture": [1 / 2, 1, 1 / 2, 2.5, 1, 1 / 2.5],
    "Family": [2, 1 / 3, 4, 1 / 8, 2, 9],
    "Housing": [5, 1 / 2, 2.5, 1 / 9, 1 / 4, 7],
    "Jobs": [1 / 2, 3, 4, 6, 8, 1],
    "Transportation": [1.5, 1 / 2, 4, 1 / 3.5, 2.5, 9],
}


def test_saaty_2005_cities_synthesis_through_hierarchy():
    tree = {
        "code": "Goal",
        "children": [
            {"code": c, "children": [{"code": f"{c}/{city}"} for city in CITIES]} for c in CRITERIA
        ],
    }
    h = ahp.Hierarchy.from_dict(tree)
    local = dict(zip(CRITERIA, ahp.priorities(CRITERIA_MATRIX)))
    for crit, upper in ALTERNATIVES_UPPER.items():
        w = ahp.priorities(ahp.from_upper(upper, 4))
        local.update({f"{crit}/{city}": wi for city, wi in zip(CITIES, w)})
    glob = h.global_weights(local)
    overall = [sum(glob[f"{c}/{city}"] for c in CRITERIA) for city in CITIES]
    assert_allclose(overall, [0.229, 0.275, 0.385, 0.111], atol=5e-4)
    assert sum(glob[leaf] for leaf in h.leaves()) == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------------
# Goepel, K.D. (2018). Implementation of an online software tool for the AHP
# (AHP-OS). IJAHP 10(3), 469-487, doi:10.13033/ijahp.v10i3.590, section 9
# (validation): a criterion judged x times more important than all others gets
# w = x / (x + n - 1); k = n participants each favouring a different criterion
# with the scale maximum give S* = 0; identical participants give S* = 1.


@pytest.mark.parametrize("n", [2, 3, 5, 9])
@pytest.mark.parametrize("x", [2, 5, 9])
@pytest.mark.parametrize("method", ["eigen", "geometric", "arithmetic"])
def test_goepel_2018_one_criterion_x_times_more_important(n, x, method):
    a = np.ones((n, n))
    a[0, 1:] = x
    a[1:, 0] = 1 / x
    w = ahp.priorities(a, method)
    assert w[0] == pytest.approx(x / (x + n - 1), abs=1e-12)
    assert_allclose(w[1:], 1 / (x + n - 1), atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10])
def test_goepel_2018_each_expert_favours_a_different_criterion(n):
    m = 9
    stack = np.ones((n, n, n))
    for k in range(n):
        stack[k, k, :] = m
        stack[k, :, k] = 1 / m
        stack[k, k, k] = 1
    vectors = ahp.priorities(stack)
    assert_allclose(np.diagonal(vectors), m / (m + n - 1), atol=1e-12)
    c = ahp.consensus(vectors, scale_max=m)
    assert c.s_star == pytest.approx(0.0, abs=1e-12)
    assert c.wording == "very low"


@pytest.mark.parametrize("k", [2, 5, 40])
def test_goepel_2018_identical_experts_full_consensus(k):
    w = np.array([0.4, 0.3, 0.2, 0.1])
    c = ahp.consensus(np.tile(w, (k, 1)))
    assert c.s_star == pytest.approx(1.0, abs=1e-12)
    assert c.wording == "very high"
    assert_allclose(c.dispersion, 1.0, atol=1e-12)


# ---------------------------------------------------------------------------
# Aguarón, J., Moreno-Jiménez, J.M. (2003). The geometric consistency index:
# approximated thresholds. EJOR 147(1), 137-145, doi:10.1016/S0377-2217(02)00255-2.
# For n = 3, with delta = ln(a12 a23 / a13):  GCI = delta^2 / 3 and
# CI = cosh(delta / 3) - 1 (METHODS.md, AHP section), so GCI 0.31 corresponds
# to CR = 0.10 and GCI 0.157 to CR = 0.05 when RI(3) = 0.52 (Saaty 2005).


@pytest.mark.parametrize("a12", [1 / 9, 1 / 2, 1, 3, 9])
@pytest.mark.parametrize("a13", [1 / 7, 1, 5])
@pytest.mark.parametrize("a23", [1 / 3, 2, 9])
def test_gci_and_ci_closed_forms_for_n3(a12, a13, a23):
    delta = math.log(a12 * a23 / a13)
    r = ahp.consistency(ahp.from_upper([a12, a13, a23], 3))
    assert r.gci == pytest.approx(delta**2 / 3, abs=1e-12)
    assert r.ci == pytest.approx(math.cosh(delta / 3) - 1, abs=1e-12)
    assert r.lambda_max == pytest.approx(1 + 2 * math.cosh(delta / 3), abs=1e-12)


@pytest.mark.parametrize("gci, cr", [(0.31, 0.10), (0.157, 0.05)])
def test_gci_threshold_matches_cr_for_n3(gci, cr):
    delta = math.sqrt(3 * gci)
    r = ahp.consistency(ahp.from_upper([math.exp(delta), 1, 1], 3), ri="saaty2005")
    assert r.gci == pytest.approx(gci, abs=1e-12)
    assert r.cr == pytest.approx(cr, abs=1e-3)


def test_gci_thresholds_of_the_paper():
    for n, limit in [(3, 0.31), (4, 0.35), (5, 0.37), (9, 0.37)]:
        r = ahp.consistency(np.ones((n, n)))
        assert r.gci_threshold == limit
        assert r.gci == 0.0 and r.gci_acceptable


# ---------------------------------------------------------------------------
# Alonso, J.A., Lamata, M.T. (2006). IJUFKS 14(4), 445-459,
# doi:10.1142/S0218488506004114: CR = (lambda_max - n) / (1.7699 n - 4.3513),
# the CR AHP-OS reports (AhpCalc.php setAlonsoCr).


def test_alonso_lamata_cr_on_house_example():
    r = ahp.consistency(HOUSE, ri="alonso_lamata")
    n = 8
    assert r.cr == pytest.approx((r.lambda_max - n) / (1.7699 * n - 4.3513), abs=1e-12)
    assert r.ri == pytest.approx(1.40113, abs=5e-6)  # METHODS.md "linear_fit_equivalent_RI"
