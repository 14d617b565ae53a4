"""Harker's completion of incomplete matrices (missing judgments as NaN)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

RNG = np.random.default_rng(5)


def drop(a, pairs):
    b = a.copy()
    for i, j in pairs:
        b[i, j] = b[j, i] = np.nan
    return b


def eig_pair(a):
    vals, vecs = np.linalg.eig(a)
    top = np.argmax(vals.real)
    v = np.abs(vecs[:, top].real)
    return v / v.sum(), vals[top].real


@pytest.mark.parametrize("n", range(3, 9))
def test_consistent_matrix_with_missing_cells_is_recovered(n):
    w = RNG.uniform(0.1, 1, n)
    a = w[:, None] / w[None, :]
    # Drop every judgment not on the path 0-1-2-...-(n-1) with probability 1/2.
    pairs = [(i, j) for i in range(n) for j in range(i + 2, n) if RNG.random() < 0.5]
    pri, filled = ahp.complete(drop(a, pairs))
    assert_allclose(pri, w / w.sum(), atol=1e-13)
    assert_allclose(filled, a, rtol=1e-12)


def test_spanning_tree_is_completed_consistently():
    # Only a star around item 0 is known: w_i is proportional to a_0i^-1.
    n = 6
    upper = [3, 1 / 2, 7, 1 / 9, 5]
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    a[0, 1:] = upper
    a[1:, 0] = 1 / np.array(upper)
    pri, filled = ahp.complete(a)
    expected = np.concatenate([[1.0], 1 / np.array(upper)])
    assert_allclose(pri, expected / expected.sum(), atol=1e-13)
    assert ahp.consistency(filled).cr == pytest.approx(0, abs=1e-12)


def test_harker_fixed_point_property():
    # Harker (1987): the filled matrix has the same principal eigenpair as C.
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 15), 6)
    b = drop(a, [(0, 3), (1, 5), (2, 4), (0, 5)])
    c = np.where(np.isnan(b), 0.0, b)
    c[np.diag_indices(6)] += np.isnan(b).sum(axis=1)
    w_c, lam_c = eig_pair(c)
    pri, filled = ahp.complete(b)
    w_f, lam_f = eig_pair(filled)
    assert_allclose(pri, w_c, atol=1e-12)
    assert_allclose(w_f, w_c, atol=1e-12)
    assert lam_f == pytest.approx(lam_c, abs=1e-10)
    assert ahp.consistency(filled).lambda_max == pytest.approx(lam_c, abs=1e-10)
    known = ~np.isnan(b)
    assert_allclose(filled[known], b[known])
    assert_allclose(filled * filled.T, 1.0, atol=1e-12)


def test_complete_matrix_is_plain_eigenvector():
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 10), 5)
    pri, filled = ahp.complete(a)
    assert_allclose(pri, eig_pair(a)[0], atol=1e-12)
    assert_allclose(filled, a)


def test_stack_of_incomplete_matrices():
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, (3, 6)), 4)
    stack = np.stack([drop(a[0], [(0, 1)]), drop(a[1], [(0, 2), (1, 3)]), a[2]])
    pri, filled = ahp.complete(stack)
    assert pri.shape == (3, 4) and filled.shape == (3, 4, 4)
    for k in range(3):
        p1, f1 = ahp.complete(stack[k])
        assert_allclose(pri[k], p1, atol=1e-14)
        assert_allclose(filled[k], f1, atol=1e-14)


def test_from_upper_with_missing_values():
    a = ahp.from_upper([2, np.nan, 2], 3, allow_missing=True)
    assert np.isnan(a[0, 2]) and np.isnan(a[2, 0])
    with pytest.raises(ValueError, match="not finite"):
        ahp.from_upper([2, np.nan, 2], 3)


def test_disconnected_graph_is_refused():
    # Items {0, 1} and {2, 3} are never compared with each other.
    a = ahp.from_upper([3, np.nan, np.nan, np.nan, np.nan, 2], 4, allow_missing=True)
    with pytest.raises(ValueError, match=r"not connected: items \[0, 1\] are never compared.*with items \[2, 3\]"):
        ahp.complete(a)


def test_isolated_item_is_refused_in_a_stack():
    good = ahp.from_upper([3, 2, 1], 3)
    bad = ahp.from_upper([3, np.nan, np.nan], 3, allow_missing=True)
    with pytest.raises(ValueError, match=r"not connected \(matrix 1\): items \[0, 1\].*items \[2\]"):
        ahp.complete(np.stack([good, bad]))


def test_missing_must_be_symmetric():
    a = ahp.from_upper([3, 2, 1], 3)
    a[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"a\[0, 2\] is missing but its reciprocal cell is not"):
        ahp.complete(a)


def test_missing_diagonal_is_refused():
    a = ahp.from_upper([3, 2, 1], 3)
    a[1, 1] = np.nan
    with pytest.raises(ValueError, match="the diagonal must be 1"):
        ahp.complete(a)
