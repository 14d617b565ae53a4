"""Priorities: the batched eigen-solver against LAPACK, RGMM against its definition."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

RNG = np.random.default_rng(20240601)


def random_saaty(n, size=(), rng=RNG):
    """Badly inconsistent matrices: every upper judgment drawn from the 1-9 scale."""
    m = n * (n - 1) // 2
    return ahp.from_upper(rng.choice(ahp.SAATY_VALUES, size=tuple(np.atleast_1d(size)) + (m,)), n)


def consistent(w):
    w = np.asarray(w, dtype=float)
    return w[:, None] / w[None, :]


def nearly_consistent(n, rng=RNG):
    """A consistent matrix with every judgment multiplied by a small random factor."""
    w = rng.uniform(0.05, 1.0, n)
    iu, ju = np.triu_indices(n, 1)
    upper = w[iu] / w[ju] * np.exp(rng.normal(0, 0.1, iu.size))
    return ahp.from_upper(upper, n), w / w.sum()


def eig_reference(a):
    """Principal eigenpair by LAPACK, one matrix at a time (independent of ahp)."""
    vals, vecs = np.linalg.eig(a)
    top = np.argmax(vals.real)
    v = np.abs(vecs[:, top].real)
    return v / v.sum(), vals[top].real


@pytest.mark.parametrize("n", range(2, 11))
def test_eigen_matches_numpy_eig_badly_inconsistent(n):
    stack = random_saaty(n, 200)
    w = ahp.priorities(stack)
    lam = ahp.consistency(stack).lambda_max
    for a, wi, li in zip(stack, w, lam):
        ref_w, ref_l = eig_reference(a)
        assert_allclose(wi, ref_w, atol=1e-12)
        assert li == pytest.approx(ref_l, abs=1e-10)


@pytest.mark.parametrize("n", range(2, 11))
def test_eigen_matches_numpy_eig_nearly_consistent(n):
    a, w_true = nearly_consistent(n)
    ref_w, ref_l = eig_reference(a)
    assert_allclose(ahp.priorities(a), ref_w, atol=1e-12)
    assert ahp.consistency(a).lambda_max == pytest.approx(ref_l, abs=1e-10)
    assert_allclose(ahp.priorities(a), w_true, atol=0.05)


@pytest.mark.parametrize("n", range(1, 11))
@pytest.mark.parametrize("method", ["eigen", "geometric", "arithmetic"])
def test_consistent_matrix_gives_its_weights_back(n, method):
    w = RNG.uniform(0.1, 1.0, n)
    assert_allclose(ahp.priorities(consistent(w), method), w / w.sum(), atol=1e-13)


def test_geometric_is_normalised_row_geometric_mean():
    a = random_saaty(6)
    g = np.array([np.prod(row) ** (1 / 6) for row in a])
    assert_allclose(ahp.priorities(a, "geometric"), g / g.sum(), atol=1e-14)


def test_arithmetic_is_mean_of_normalised_columns():
    a = random_saaty(5)
    ref = np.zeros(5)
    for j in range(5):
        ref += a[:, j] / a[:, j].sum()
    assert_allclose(ahp.priorities(a, "arithmetic"), ref / 5, atol=1e-14)


@pytest.mark.parametrize("method", ["eigen", "geometric", "arithmetic"])
def test_stack_with_several_leading_axes(method):
    stack = random_saaty(4, (3, 5))
    w = ahp.priorities(stack, method)
    assert w.shape == (3, 5, 4)
    assert_allclose(w.sum(axis=-1), 1.0, atol=1e-14)
    for idx in np.ndindex(3, 5):
        assert_allclose(w[idx], ahp.priorities(stack[idx], method), atol=1e-14)


def test_one_by_one_matrix():
    assert_allclose(ahp.priorities([[1.0]]), [1.0])
    r = ahp.consistency([[1.0]])
    assert (r.n, r.lambda_max, r.ci, r.cr, r.gci, r.acceptable) == (1, 1.0, 0.0, 0.0, 0.0, True)


def test_two_by_two_closed_form():
    # w = (x, 1) / (x + 1) for a_12 = x
    for x in ahp.SAATY_VALUES:
        assert_allclose(ahp.priorities([[1, x], [1 / x, 1]]), [x / (x + 1), 1 / (x + 1)], atol=1e-15)


def test_extreme_but_valid_values_do_not_overflow():
    # Entries far beyond the 1-9 scale still give the consistent answer.
    w = np.array([1e4, 1.0, 1e-4])
    assert_allclose(ahp.priorities(consistent(w)), w / w.sum(), rtol=1e-10)


@pytest.mark.parametrize("method", ["median", "", None, "EIGEN"])
def test_bad_method_is_refused(method):
    with pytest.raises(ValueError, match="method must be one of 'eigen', 'geometric', 'arithmetic'"):
        ahp.priorities(np.ones((3, 3)), method)
