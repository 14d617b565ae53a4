"""Revision hints: recovered single errors, exact what-if CR, Saaty's epsilon, Harker's derivative."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

RNG = np.random.default_rng(11)


def eig_w(a):
    vals, vecs = np.linalg.eig(a)
    v = np.abs(vecs[:, np.argmax(vals.real)].real)
    return v / v.sum()


def lam_max(a):
    return max(np.linalg.eigvals(a).real)


def consistent_on_scale(n):
    """Weights 2**e with exponents 0..3, so every ratio w_i/w_j is on the 1-9 scale."""
    w = 2.0 ** RNG.integers(0, 4, n)
    return w[:, None] / w[None, :]


@pytest.mark.parametrize("n", range(3, 10))
def test_single_wrong_judgment_is_found_and_corrected(n):
    for _ in range(5):
        a = consistent_on_scale(n)
        i, j = sorted(RNG.choice(n, 2, replace=False))
        right = a[i, j]
        wrong = RNG.choice([x for x in ahp.SAATY_VALUES if abs(x - right) > 1e-12])
        a[i, j], a[j, i] = wrong, 1 / wrong
        hints = ahp.revision_hints(a, k=3)
        first = hints[0]
        assert (first.i, first.j) == (i, j)
        assert first.current == pytest.approx(wrong)
        assert first.suggested == pytest.approx(right)
        assert first.cr_after == pytest.approx(0, abs=1e-12)


def test_cr_after_is_the_cr_of_the_changed_matrix():
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 15), 6)
    hints = ahp.revision_hints(a, k=15)
    assert len(hints) >= 3
    for h in hints:
        b = a.copy()
        b[h.i, h.j], b[h.j, h.i] = h.suggested, 1 / h.suggested
        ci = (lam_max(b) - 6) / 5
        assert h.cr_after == pytest.approx(ci / 1.24, abs=1e-12)
        assert h.current == a[h.i, h.j] and h.i < h.j
        assert h.suggested in set(ahp.SAATY_VALUES.tolist())
    assert [h.cr_after for h in hints] == sorted(h.cr_after for h in hints)


def test_default_ranking_picks_the_k_lowest_cr_after():
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 21), 7)
    every = ahp.revision_hints(a, k=21)
    top = ahp.revision_hints(a, k=3)
    assert top == every[:3]


def test_epsilon_is_saatys_deviation_and_can_rank():
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 10), 5)
    w = eig_w(a)
    hints = ahp.revision_hints(a, k=10)
    for h in hints:
        e = a[h.i, h.j] * w[h.j] / w[h.i]
        assert h.epsilon == pytest.approx(max(e, 1 / e), rel=1e-10)
    by_eps = ahp.revision_hints(a, k=3, rank_by="epsilon")
    expected = sorted(hints, key=lambda h: -h.epsilon)[:3]
    assert {(h.i, h.j) for h in by_eps} == {(h.i, h.j) for h in expected}
    assert [h.cr_after for h in by_eps] == sorted(h.cr_after for h in by_eps)


def test_harker_derivative_matches_finite_differences():
    # d lambda_max / d a_ij with a_ji = 1/a_ij, by central differences on numpy's eigvals.
    a = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, 10), 5)
    hints = ahp.revision_hints(a, k=10)
    for h in hints:
        step = 1e-6 * a[h.i, h.j]
        up, down = a.copy(), a.copy()
        up[h.i, h.j] += step
        up[h.j, h.i] = 1 / up[h.i, h.j]
        down[h.i, h.j] -= step
        down[h.j, h.i] = 1 / down[h.i, h.j]
        fd = (lam_max(up) - lam_max(down)) / (2 * step)
        assert h.derivative == pytest.approx(abs(fd), rel=1e-5, abs=1e-9)
    by_derivative = ahp.revision_hints(a, k=2, rank_by="derivative")
    expected = sorted(hints, key=lambda h: -h.derivative)[:2]
    assert {(h.i, h.j) for h in by_derivative} == {(h.i, h.j) for h in expected}


def test_consistent_and_small_matrices_have_no_hints():
    assert ahp.revision_hints(consistent_on_scale(5)) == ()
    assert ahp.revision_hints(ahp.from_upper([9], 2)) == ()
    assert ahp.revision_hints([[1.0]]) == ()


def test_fewer_hints_than_k_when_few_can_change():
    a = consistent_on_scale(4)
    a[0, 3], a[3, 0] = a[0, 3] * 2 if a[0, 3] < 9 else 4.0, 1 / (a[0, 3] * 2 if a[0, 3] < 9 else 4.0)
    hints = ahp.revision_hints(a, k=6)
    assert 1 <= len(hints) <= 6
    assert all(isinstance(h, ahp.RevisionHint) for h in hints)


def test_hints_on_every_pair_of_a_3x3():
    # For n = 3 each judgment is implied exactly by the other two.
    for a12, a13, a23 in itertools.product([1 / 3, 2, 7], [1 / 5, 1, 9], [1 / 9, 1 / 2, 4]):
        a = ahp.from_upper([a12, a13, a23], 3)
        implied = {(0, 1): a13 / a23, (0, 2): a12 * a23, (1, 2): a13 / a12}
        for h in ahp.revision_hints(a, k=3):
            assert h.suggested == pytest.approx(ahp.round_to_scale(implied[(h.i, h.j)]))


def test_leave_one_out_beats_the_full_matrix_suggestion():
    # Weights 8 : 4 : 2 : 1 with a_14 reversed (1/8 instead of 8).  The full-matrix
    # eigenvector (Saaty 2003, AHP-OS) implies w_1/w_4 ~ 1/2, which leaves the matrix
    # inconsistent; the other five judgments imply exactly 8.
    a = ahp.from_upper([2, 4, 1 / 8, 2, 4, 2], 4)
    w = eig_w(a)
    assert ahp.round_to_scale(w[0] / w[3]) == pytest.approx(1 / 2)
    b = a.copy()
    b[0, 3], b[3, 0] = 1 / 2, 2
    assert (lam_max(b) - 4) / 3 / 0.90 > 0.3
    first = ahp.revision_hints(a)[0]
    assert (first.i, first.j, first.suggested) == (0, 3, 8.0)
    assert first.cr_after == pytest.approx(0, abs=1e-12)
