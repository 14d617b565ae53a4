"""Bad input: ValueErrors that name the argument and the offending cell."""

import numpy as np
import pytest

import ahp

GOOD = ahp.from_upper([3, 5, 2], 3)


def with_cell(value, i=0, j=1, reciprocal=True):
    a = GOOD.copy()
    a[i, j] = value
    if reciprocal:
        a[j, i] = 1 / value if value not in (0,) and np.isfinite(value) else value
    return a


CHECKED = [
    ahp.validate_matrix,
    ahp.priorities,
    lambda a: ahp.priorities(a, "geometric"),
    ahp.consistency,
    ahp.revision_hints,
    lambda a: ahp.aggregate_judgments([a, a]),
    lambda a: ahp.analyze_group([a, a]),
]
CELL = r"(a|stack)\[(0, )?0, 1\] = "


@pytest.mark.parametrize("func", CHECKED + [ahp.complete])
@pytest.mark.parametrize(
    "value, message",
    [
        (np.inf, r"np.float64\(inf\) is not finite"),
        (-np.inf, r"np.float64\(-inf\) is not finite"),
        (0.0, r"np.float64\(0.0\) is not positive"),
        (-3.0, r"np.float64\(-3.0\) is not positive"),
    ],
)
def test_inf_zero_negative_refused(func, value, message):
    with pytest.raises(ValueError, match=CELL + message):
        func(with_cell(value))


@pytest.mark.parametrize("func", CHECKED)
def test_nan_refused(func):
    # complete() takes NaN as a missing judgment: see test_ahp_complete.py.
    with pytest.raises(ValueError, match=CELL + r"np.float64\(nan\) is not finite"):
        func(with_cell(np.nan))


def test_nan_is_refused_outside_complete():
    a = with_cell(np.nan)
    with pytest.raises(ValueError, match=r"a\[0, 1\] = np.float64\(nan\) is not finite"):
        ahp.priorities(a)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (3, 2), (4, 2, 3), (0, 0)])
def test_non_square(shape):
    with pytest.raises(ValueError, match=r"a must|a must have"):
        ahp.validate_matrix(np.ones(shape))
    with pytest.raises(ValueError, match=r"a must|a must have"):
        ahp.priorities(np.ones(shape))


def test_non_reciprocal():
    a = GOOD.copy()
    a[1, 0] = 0.3  # a[0, 1] = 3
    with pytest.raises(ValueError, match=r"a is not reciprocal: a\[0, 1\] = np.float64\(3.0\) but a\[1, 0\] = np.float64\(0.3\)"):
        ahp.validate_matrix(a)
    with pytest.raises(ValueError, match="not reciprocal"):
        ahp.consistency(a)


def test_reciprocity_tolerance_is_1e_9():
    a = GOOD.copy()
    a[1, 0] = (1 / 3) * (1 + 5e-10)
    ahp.validate_matrix(a)
    a[1, 0] = (1 / 3) * (1 + 5e-9)
    with pytest.raises(ValueError, match="within 1e-09"):
        ahp.validate_matrix(a)


def test_diagonal_must_be_one():
    a = GOOD.copy()
    a[2, 2] = 2
    with pytest.raises(ValueError, match=r"a\[2, 2\] = np.float64\(2.0\): the diagonal must be 1"):
        ahp.validate_matrix(a)


@pytest.mark.parametrize("value", [2.5, 0.3, 10, 1 / 10, 1.01])
def test_off_scale(value):
    a = with_cell(value)
    with pytest.raises(ValueError, match=r"a\[\d, \d\] = .* is off the Saaty scale; allowed values are 1/9"):
        ahp.validate_matrix(a)
    ahp.validate_matrix(a, scale=False)
    ahp.priorities(a)  # priorities accept any positive reciprocal matrix


def test_every_saaty_value_is_accepted():
    assert len(ahp.SAATY_VALUES) == 17
    assert ahp.SAATY_VALUES[0] == pytest.approx(1 / 9) and ahp.SAATY_VALUES[-1] == 9
    for x in ahp.SAATY_VALUES:
        ahp.validate_matrix(ahp.from_upper([x, 1 / x, x], 3))
    with pytest.raises(ValueError):
        ahp.SAATY_VALUES[0] = 1  # read-only


def test_stack_error_names_matrix_index():
    stack = np.stack([GOOD, GOOD, with_cell(-1.0, 1, 2)])
    with pytest.raises(ValueError, match=r"a\[2, 1, 2\] = np.float64\(-1.0\) is not positive"):
        ahp.priorities(stack)


def test_non_numeric():
    with pytest.raises(ValueError, match="a must be an array of real numbers"):
        ahp.priorities([["x", "y"], ["z", "w"]])


def test_from_upper_errors():
    with pytest.raises(ValueError, match=r"values must hold n\*\(n-1\)/2 = 3 judgments"):
        ahp.from_upper([1, 2], 3)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        ahp.from_upper([], 0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        ahp.from_upper([1], 2.0)
    with pytest.raises(ValueError, match=r"values\[1\] = np.float64\(0.0\) is not positive"):
        ahp.from_upper([1, 0, 2], 3)
    with pytest.raises(ValueError, match=r"values\[0\] = np.float64\(nan\) is not finite"):
        ahp.from_upper([np.nan, 1, 2], 3)


def test_from_upper_row_order_and_stack():
    a = ahp.from_upper([2, 3, 4, 5, 6, 7], 4)
    assert (a[0, 1], a[0, 2], a[0, 3], a[1, 2], a[1, 3], a[2, 3]) == (2, 3, 4, 5, 6, 7)
    assert a[3, 2] == 1 / 7 and np.all(np.diag(a) == 1)
    stack = ahp.from_upper([[2, 3, 4], [1 / 2, 1 / 3, 1 / 4]], 3)
    assert stack.shape == (2, 3, 3)
    np.testing.assert_array_equal(ahp.to_upper(stack), [[2, 3, 4], [1 / 2, 1 / 3, 1 / 4]])


def test_round_to_scale():
    np.testing.assert_allclose(
        ahp.round_to_scale([1.0, 1.49, 1.5, 8.6, 30, 0.6, 1 / 2.5, 1 / 40]),
        [1, 1, 2, 9, 9, 1 / 2, 1 / 3, 1 / 9],
    )
    with pytest.raises(ValueError, match="x"):
        ahp.round_to_scale([0.0])


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1, 2], r"weights must be a 1-D sequence of 3 expert weights"),
        ([[1, 2, 3]], r"weights must be a 1-D sequence of 3"),
        ([1, -1, 1], r"weights must be non-negative"),
        ([0, 0, 0], r"weights must have a positive sum"),
        ([1, np.nan, 1], r"weights must be finite"),
        ([1, np.inf, 1], r"weights must be finite"),
        (["a", 1, 1], r"weights must be an array of real numbers"),
    ],
)
def test_bad_weights(weights, message):
    stack = [GOOD, GOOD, GOOD]
    with pytest.raises(ValueError, match=message):
        ahp.aggregate_judgments(stack, weights)
    with pytest.raises(ValueError, match=message):
        ahp.aggregate_priorities(ahp.priorities(np.array(stack)), weights)
    with pytest.raises(ValueError, match=message):
        ahp.analyze_group(stack, weights)


def test_bad_vectors():
    with pytest.raises(ValueError, match=r"vectors\[1, 0\] = np.float64\(0.0\): priorities must be positive"):
        ahp.aggregate_priorities([[0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="vectors must have shape"):
        ahp.consensus([0.5, 0.5])
    with pytest.raises(ValueError, match=r"vectors\[0, 1\] = np.float64\(nan\) is not finite"):
        ahp.consensus([[0.5, np.nan]])
    with pytest.raises(ValueError, match="at least one expert and 2 criteria"):
        ahp.consensus([[1.0], [1.0]])


@pytest.mark.parametrize("bad", [1, 0.5, -9, np.nan, "nine"])
def test_bad_scale_max(bad):
    with pytest.raises(ValueError, match="scale_max"):
        ahp.consensus([[0.5, 0.5], [0.4, 0.6]], scale_max=bad)


def test_bad_k_and_rank_by():
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ahp.revision_hints(GOOD, k=0)
    with pytest.raises(ValueError, match="rank_by must be one of"):
        ahp.revision_hints(GOOD, rank_by="size")
    with pytest.raises(ValueError, match=r"a must be a single \(n, n\) matrix"):
        ahp.revision_hints(np.stack([GOOD, GOOD]))


def test_aggregate_needs_a_stack():
    with pytest.raises(ValueError, match=r"stack must be a stack of shape \(k, n, n\)"):
        ahp.aggregate_judgments(GOOD)


def test_bad_wording():
    with pytest.raises(ValueError, match="wording must be one of"):
        ahp.consensus([[0.5, 0.5], [0.4, 0.6]], wording="paper")
    with pytest.raises(ValueError, match="4 increasing numbers"):
        ahp.consensus([[0.5, 0.5], [0.4, 0.6]], wording=[0.5, 0.4, 0.6, 0.7])
