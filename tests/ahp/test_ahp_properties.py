"""Property tests (hypothesis): consistency recovery, AIJ reciprocity, permutation equivariance."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

import ahp

METHODS = ["eigen", "geometric", "arithmetic"]
sizes = st.integers(min_value=2, max_value=10)
weights_of = lambda n: arrays(np.float64, n, elements=st.floats(0.01, 1.0))  # noqa: E731


@st.composite
def saaty_matrices(draw, n=None):
    n = draw(sizes) if n is None else n
    idx = draw(arrays(np.int64, n * (n - 1) // 2, elements=st.integers(0, 16)))
    return ahp.from_upper(ahp.SAATY_VALUES[idx], n)


@st.composite
def panels(draw):
    n = draw(st.integers(2, 7))
    k = draw(st.integers(1, 6))
    stack = np.stack([draw(saaty_matrices(n)) for _ in range(k)])
    w = draw(arrays(np.float64, k, elements=st.floats(0.0, 10.0)))
    return stack, (w if w.sum() > 0 else None)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_consistent_matrix_gives_back_its_weights_and_zero_cr(data):
    n = data.draw(sizes)
    w = data.draw(weights_of(n))
    a = w[:, None] / w[None, :]
    for method in METHODS:
        assert_allclose(ahp.priorities(a, method), w / w.sum(), rtol=1e-10, atol=1e-14)
    r = ahp.consistency(a)
    assert abs(r.cr) < 1e-10 and abs(r.gci) < 1e-10 and r.acceptable


@settings(max_examples=200, deadline=None)
@given(panel=panels())
def test_aij_preserves_reciprocity(panel):
    stack, w = panel
    g = ahp.aggregate_judgments(stack, w)
    assert_allclose(g * g.T, 1.0, rtol=0, atol=1e-15)
    assert np.all(np.diag(g) == 1.0)
    assert np.all((g >= 1 / 9 - 1e-12) & (g <= 9 + 1e-12))  # a mean stays inside the scale


@settings(max_examples=200, deadline=None)
@given(a=saaty_matrices(), data=st.data())
def test_priorities_are_permutation_equivariant(a, data):
    n = a.shape[0]
    perm = np.array(data.draw(st.permutations(range(n))))
    b = a[np.ix_(perm, perm)]
    for method in METHODS:
        assert_allclose(ahp.priorities(b, method), ahp.priorities(a, method)[perm], atol=1e-13)
    ra, rb = ahp.consistency(a), ahp.consistency(b)
    assert abs(ra.cr - rb.cr) < 1e-11 and abs(ra.gci - rb.gci) < 1e-11


@settings(max_examples=100, deadline=None)
@given(a=saaty_matrices(), data=st.data())
def test_eigenvector_is_an_eigenvector(a, data):
    r = ahp.consistency(a)
    assert_allclose(a @ r.priorities, r.lambda_max * r.priorities, rtol=1e-11, atol=1e-14)
    assert r.lambda_max >= a.shape[0] - 1e-12


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_harker_recovers_consistent_weights_from_a_connected_subset(data):
    n = data.draw(st.integers(3, 8))
    w = data.draw(weights_of(n))
    a = w[:, None] / w[None, :]
    # Keep a random spanning tree (a random parent for each item) plus random extra cells.
    order = data.draw(st.permutations(range(n)))
    keep = np.eye(n, dtype=bool)
    for pos in range(1, n):
        parent = order[data.draw(st.integers(0, pos - 1))]
        keep[order[pos], parent] = keep[parent, order[pos]] = True
    extra = data.draw(arrays(bool, (n, n)))
    keep |= extra & extra.T
    pri, filled = ahp.complete(np.where(keep, a, np.nan))
    assert_allclose(pri, w / w.sum(), rtol=1e-10)
    assert_allclose(filled, a, rtol=1e-10)
