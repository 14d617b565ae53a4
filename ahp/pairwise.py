"""Pairwise comparison matrices: the Saaty scale, validation and construction."""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_pairwise_matrix, check_positive_entries

__all__ = ["SAATY_VALUES", "validate_matrix", "from_upper", "to_upper", "round_to_scale"]


def _saaty_values() -> np.ndarray:
    values = np.array([1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])
    values.flags.writeable = False
    return values


#: The 17 judgments of Saaty's fundamental scale, ascending:
#: 1/9, 1/8, ..., 1/2, 1, 2, ..., 9 (Saaty 1980, Table 1.1; Saaty 2008, Table 1).
#: Read-only ``float64`` array.
SAATY_VALUES: np.ndarray = _saaty_values()


def validate_matrix(a, *, scale: bool = True, tol: float = 1e-9) -> np.ndarray:
    r"""Check that ``a`` is a pairwise comparison matrix (or a stack of them).

    A pairwise comparison matrix :math:`A = (a_{ij})` is square, positive,
    has a unit diagonal and is reciprocal:

    .. math::

        a_{ij} > 0, \qquad a_{ii} = 1, \qquad a_{ij}\,a_{ji} = 1 .

    With ``scale=True`` (the default) every entry must also lie on Saaty's
    fundamental scale :data:`SAATY_VALUES` (1/9 ... 1 ... 9).

    Parameters
    ----------
    a : array_like, shape (n, n) or (..., n, n)
        Matrix or stack of matrices.
    scale : bool, optional
        Also require every entry to be one of the 17 Saaty values (matched
        within a relative ``1e-9``).  Use ``False`` for aggregated (AIJ)
        matrices or verbal scales other than 1-9.
    tol : float, optional
        Tolerance for :math:`|a_{ij} a_{ji} - 1|` and :math:`|a_{ii} - 1|`.

    Returns
    -------
    numpy.ndarray
        ``a`` as a float64 array.

    Raises
    ------
    ValueError
        For a non-square shape, a NaN/inf/zero/negative entry, a diagonal
        other than 1, a non-reciprocal pair or (with ``scale``) an off-scale
        value.  The message names the first offending cell.

    References
    ----------
    Saaty, T.L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.

    Examples
    --------
    >>> import ahp
    >>> ahp.validate_matrix([[1, 3], [1/3, 1]]).shape
    (2, 2)
    >>> ahp.validate_matrix([[1, 2.5], [0.4, 1]])
    Traceback (most recent call last):
    ...
    ValueError: a[0, 1] = np.float64(2.5) is off the Saaty scale; allowed values are 1/9, 1/8, ..., 1/2, 1, 2, ..., 9
    >>> ahp.validate_matrix([[1, 2.5], [0.4, 1]], scale=False)[0, 1]
    np.float64(2.5)
    """
    return check_pairwise_matrix(a, "a", scale=scale, tol=tol)


def from_upper(values, n: int, *, allow_missing: bool = False) -> np.ndarray:
    r"""Build reciprocal matrices from their upper triangles, read in row order.

    The judgments :math:`a_{12}, a_{13}, \dots, a_{1n}, a_{23}, \dots,
    a_{n-1,n}` (row order, as a questionnaire asks them) fill the upper
    triangle; the lower triangle is :math:`a_{ji} = 1/a_{ij}` and the
    diagonal is 1.

    Parameters
    ----------
    values : array_like, shape (m,) or (..., m)
        ``m = n (n - 1) / 2`` judgments per matrix; leading axes make a stack.
    n : int
        Matrix size.
    allow_missing : bool, optional
        Accept NaN as a missing judgment (both cells become NaN), for
        :func:`ahp.complete`.

    Returns
    -------
    numpy.ndarray, shape (n, n) or (..., n, n)

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, the last axis of ``values`` is not
        ``n (n - 1) / 2`` long, or a value is not finite and positive.

    Examples
    --------
    >>> import ahp
    >>> ahp.from_upper([3, 5, 2], 3)
    array([[1.        , 3.        , 5.        ],
           [0.33333333, 1.        , 2.        ],
           [0.2       , 0.5       , 1.        ]])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    n = int(n)
    v = as_float_array(values, "values")
    m = n * (n - 1) // 2
    if v.ndim == 0 or v.shape[-1] != m:
        raise ValueError(
            f"values must hold n*(n-1)/2 = {m} judgments per matrix for n = {n}; "
            f"got shape {v.shape}"
        )
    check_positive_entries(v, "values", allow_nan=allow_missing)
    a = np.ones(v.shape[:-1] + (n, n))
    iu, ju = np.triu_indices(n, 1)
    a[..., iu, ju] = v
    a[..., ju, iu] = 1.0 / v
    return a


def to_upper(a) -> np.ndarray:
    """Return the upper-triangle judgments of ``a`` in row order (inverse of :func:`from_upper`).

    Examples
    --------
    >>> import ahp
    >>> ahp.to_upper(ahp.from_upper([3, 5, 2], 3))
    array([3., 5., 2.])
    """
    arr = check_pairwise_matrix(a, "a", allow_nan=True)
    iu, ju = np.triu_indices(arr.shape[-1], 1)
    return arr[..., iu, ju]


def round_to_scale(x) -> np.ndarray:
    r"""Round positive ratios to the nearest judgment on the Saaty 1-9 scale.

    Ratios :math:`r \ge 1` become :math:`\min(9, \operatorname{round}(r))`;
    ratios :math:`r < 1` become :math:`1 / \min(9, \operatorname{round}(1/r))`,
    with halves rounded up.  This is the rule AHP-OS uses to propose a
    consistent judgment (``AhpCalc.php``, ``get_inconsistency``; Goepel 2018).

    Parameters
    ----------
    x : array_like
        Positive finite ratios.

    Returns
    -------
    numpy.ndarray
        Values from :data:`SAATY_VALUES`, same shape as ``x``.

    References
    ----------
    Goepel, K.D. (2018). Implementation of an online software tool for the
    Analytic Hierarchy Process (AHP-OS). *IJAHP* 10(3), 469-487.
    https://doi.org/10.13033/ijahp.v10i3.590

    Examples
    --------
    >>> import ahp
    >>> ahp.round_to_scale([0.3, 1.49, 2.5, 14.0])
    array([0.33333333, 1.        , 3.        , 9.        ])
    """
    r = as_float_array(x, "x")
    check_positive_entries(r, "x")
    up = r >= 1.0
    big = np.where(up, r, 1.0 / r)
    q = np.clip(np.floor(big + (0.5 + 1e-9)), 1.0, 9.0)  # halves up, robust to rounding noise
    return np.where(up, q, 1.0 / q)
