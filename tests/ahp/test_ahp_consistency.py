"""CI, CR, GCI: definitions recomputed independently, tables, thresholds, stacks."""

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

RNG = np.random.default_rng(7)

# Saaty (1980), The Analytic Hierarchy Process, RI for n = 1..10 (issue 4, METHODS.md).
SAATY_RI = [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


def random_saaty(n, size=()):
    m = n * (n - 1) // 2
    return ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, size=tuple(np.atleast_1d(size)) + (m,)), n)


def gci_by_definition(a):
    """Crawford & Williams / Aguarón & Moreno-Jiménez GCI, double loop over i < j."""
    n = len(a)
    g = np.array([math.prod(row) ** (1 / n) for row in a])
    w = g / g.sum()
    total = sum(math.log(a[i][j] * w[j] / w[i]) ** 2 for i, j in itertools.combinations(range(n), 2))
    return 2 * total / ((n - 1) * (n - 2))


@pytest.mark.parametrize("n", range(3, 11))
def test_ci_cr_gci_by_definition(n):
    a = random_saaty(n)
    lam = max(np.linalg.eigvals(a).real)
    r = ahp.consistency(a)
    assert r.n == n
    assert r.ri == SAATY_RI[n - 1]
    assert r.ci == pytest.approx((lam - n) / (n - 1), abs=1e-12)
    assert r.cr == pytest.approx((lam - n) / (n - 1) / SAATY_RI[n - 1], abs=1e-12)
    assert r.gci == pytest.approx(gci_by_definition(a), abs=1e-12)
    assert r.acceptable == (r.cr <= 0.10)
    assert r.gci_acceptable == (r.gci <= r.gci_threshold)


@pytest.mark.parametrize("n", range(3, 11))
def test_consistent_matrices_have_zero_indices(n):
    w = RNG.uniform(0.1, 1, n)
    r = ahp.consistency(w[:, None] / w[None, :])
    assert r.lambda_max == pytest.approx(n, abs=1e-12)
    assert r.ci == pytest.approx(0, abs=1e-13) and r.ci >= 0
    assert r.cr == pytest.approx(0, abs=1e-13)
    assert r.gci == pytest.approx(0, abs=1e-13)
    assert r.acceptable and r.gci_acceptable


def test_badly_inconsistent_matrix_is_refused():
    # A 3-cycle: 1 > 2 (9), 2 > 3 (9), 3 > 1 (9): delta = ln 729.
    r = ahp.consistency(ahp.from_upper([9, 1 / 9, 9], 3))
    assert r.cr > 1 and not r.acceptable and not r.gci_acceptable


@pytest.mark.parametrize("n", [1, 2])
def test_small_matrices_are_always_consistent(n):
    for x in ahp.SAATY_VALUES:
        a = np.array([[1.0]]) if n == 1 else np.array([[1, x], [1 / x, 1]])
        r = ahp.consistency(a, threshold=0.01)
        assert (r.lambda_max, r.ci, r.cr, r.gci, r.acceptable, r.gci_acceptable) == (n, 0, 0, 0, True, True)


def test_stack_fields_are_arrays():
    stack = random_saaty(5, (4, 3))
    r = ahp.consistency(stack)
    for field in ("lambda_max", "ci", "cr", "gci", "acceptable", "gci_acceptable"):
        assert np.shape(getattr(r, field)) == (4, 3)
    assert r.priorities.shape == (4, 3, 5)
    for idx in np.ndindex(4, 3):
        single = ahp.consistency(stack[idx])
        assert single.cr == pytest.approx(r.cr[idx], abs=1e-14)
        assert single.gci == pytest.approx(r.gci[idx], abs=1e-14)
        assert single.acceptable == r.acceptable[idx]
    assert isinstance(ahp.consistency(stack[0, 0]).cr, float)


def test_saaty_size_dependent_limits():
    # Saaty (1994): 0.05 for n = 3, 0.08 for n = 4, 0.10 for n >= 5.
    for n, limit in [(3, 0.05), (4, 0.08), (5, 0.10), (9, 0.10)]:
        r = ahp.consistency(np.ones((n, n)), threshold="saaty")
        assert r.threshold == limit
    # CR between 0.05 and 0.10 for n = 3: acceptable by default, not by Saaty's limit.
    a = ahp.from_upper([5, 1, 1 / 2], 3)
    assert 0.05 < ahp.consistency(a).cr < 0.10
    assert ahp.consistency(a).acceptable
    assert not ahp.consistency(a, threshold="saaty").acceptable


def test_custom_thresholds():
    a = ahp.from_upper([5, 1, 1 / 2], 3)
    cr = ahp.consistency(a).cr
    assert ahp.consistency(a, threshold=cr).acceptable
    assert not ahp.consistency(a, threshold=cr * 0.99).acceptable
    gci = ahp.consistency(a).gci
    assert not ahp.consistency(a, gci_threshold=gci * 0.99).gci_acceptable


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, "strict", None, float("nan")])
def test_bad_threshold(bad):
    with pytest.raises(ValueError, match="threshold"):
        ahp.consistency(np.ones((3, 3)), threshold=bad)


@pytest.mark.parametrize("bad", [0, -1, "x"])
def test_bad_gci_threshold(bad):
    with pytest.raises(ValueError, match="gci_threshold"):
        ahp.consistency(np.ones((3, 3)), gci_threshold=bad)


def test_random_index_tables():
    assert [ahp.random_index(n) for n in range(1, 11)] == SAATY_RI
    # Above 10 the default table continues with Saaty (2005): 1.52 ... 1.59.
    assert [ahp.random_index(n) for n in range(11, 16)] == [1.52, 1.54, 1.56, 1.58, 1.59]
    assert [ahp.random_index(n, "saaty1980") for n in range(11, 16)] == [1.51, 1.48, 1.56, 1.57, 1.59]
    assert ahp.random_index(3, "saaty2005") == 0.52
    assert ahp.random_index(5, "donegan_dodd1991") == 1.0591
    assert ahp.random_index(3, "ahp_os") == 0.57
    for n in range(3, 30):
        assert ahp.random_index(n, "alonso_lamata") == pytest.approx((1.7699 * n - 4.3513) / (n - 1))
    assert set(ahp.RI_SOURCES) == set(ahp.RI_TABLES) | {"alonso_lamata"}


def test_ri_table_changes_cr_only_by_the_ri_ratio():
    a = random_saaty(6)
    base = ahp.consistency(a)
    other = ahp.consistency(a, ri="donegan_dodd1991")
    assert other.cr == pytest.approx(base.ci / 1.1797, abs=1e-14)
    assert other.ri_table == "donegan_dodd1991"


def test_beyond_the_table():
    a = np.ones((16, 16))
    with pytest.raises(ValueError, match="stops at n = 15.*alonso_lamata"):
        ahp.consistency(a)
    assert ahp.consistency(a, ri="alonso_lamata").cr == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match="stops at n = 10"):
        ahp.consistency(np.ones((11, 11)), ri="donegan_dodd1991")


@pytest.mark.parametrize("bad", ["Saaty", "dd", 3, None])
def test_unknown_ri_table(bad):
    with pytest.raises(ValueError, match="ri must be one of"):
        ahp.consistency(np.ones((3, 3)), ri=bad)


def test_consistency_accepts_off_scale_aggregated_matrices():
    stack = random_saaty(5, 7)
    g = ahp.aggregate_judgments(stack)
    r = ahp.consistency(g)
    lam = max(np.linalg.eigvals(g).real)
    assert r.lambda_max == pytest.approx(lam, abs=1e-10)
    assert_allclose(r.priorities, ahp.priorities(g), atol=1e-15)
