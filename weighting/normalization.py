"""Normalisation (无量纲化) of a data matrix, cost indicators reversed by each method's own rule.

The direction is part of the normalisation formula.  Normalising as a benefit
indicator and then inverting (``1 - y`` or ``1 / y``) afterwards is a known bug
that gives different numbers for most methods; here each method uses the cost
formula of Jahan & Edwards (2015).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_data, check_directions
from .results import NormalizeResult

__all__ = ["normalize", "NORMALIZATIONS"]

NORMALIZATIONS = ("minmax", "zscore", "sum", "vector", "max")


def _normalize(x: np.ndarray, method: str, d: np.ndarray, name: str = "x"):
    """Core of :func:`normalize` on validated input; returns (y, constant)."""
    cost = d < 0
    lo, hi = x.min(axis=0), x.max(axis=0)
    rng = hi - lo
    constant = rng == 0
    if method == "minmax":
        safe = np.where(constant, 1.0, rng)
        y = np.where(cost, hi - x, x - lo) / safe
        y[:, constant] = 0.0
    elif method == "zscore":
        mean = x.mean(axis=0)
        sd = x.std(axis=0, ddof=1)
        safe = np.where(constant, 1.0, sd)
        y = np.where(cost, mean - x, x - mean) / safe
        y[:, constant] = 0.0
    elif method == "sum":
        if (x < 0).any():
            raise ValueError(f"{name} must be >= 0 for sum normalisation; shift or use another method")
        if (cost & (lo <= 0)).any():
            j = int(np.argmax(cost & (lo <= 0)))
            raise ValueError(
                f"{name}[:, {j}] holds a value <= 0 in a cost column; sum normalisation of a cost "
                "indicator uses 1/x and needs every value > 0"
            )
        s = x.sum(axis=0)
        if (~cost & (s <= 0)).any():
            j = int(np.argmax(~cost & (s <= 0)))
            raise ValueError(f"{name}[:, {j}] sums to 0; sum normalisation needs a positive column sum")
        with np.errstate(divide="ignore"):
            inv = np.where(cost, 1.0 / np.where(cost, x, 1.0), 0.0)
        y = np.where(cost, inv / np.where(cost, inv.sum(axis=0), 1.0), x / np.where(s > 0, s, 1.0))
    elif method == "vector":
        norm = np.sqrt((x * x).sum(axis=0))
        if (norm == 0).any():
            j = int(np.argmax(norm == 0))
            raise ValueError(f"{name}[:, {j}] is all zero; vector normalisation divides by its length")
        r = x / norm
        y = np.where(cost, 1.0 - r, r)
    else:  # max
        if (x < 0).any():
            raise ValueError(f"{name} must be >= 0 for max normalisation; shift or use another method")
        if (hi <= 0).any():
            j = int(np.argmax(hi <= 0))
            raise ValueError(f"{name}[:, {j}] is all zero; max normalisation divides by the maximum")
        r = x / hi
        y = np.where(cost, 1.0 - r, r)
    return y, constant


def normalize(x, method: str = "minmax", directions=None) -> NormalizeResult:
    r"""Normalise a data matrix, reversing cost indicators by the method's own formula.

    ========  ==========================================  =========================================
    method    benefit (+1)                                cost (-1)
    ========  ==========================================  =========================================
    minmax    :math:`(x - \min)/(\max - \min)`            :math:`(\max - x)/(\max - \min)`
    zscore    :math:`(x - \bar x)/s` (ddof = 1)           :math:`(\bar x - x)/s`
    sum       :math:`x / \sum_i x`                        :math:`(1/x) / \sum_i (1/x)`
    vector    :math:`x / \sqrt{\sum_i x^2}`               :math:`1 - x / \sqrt{\sum_i x^2}`
    max       :math:`x / \max`                            :math:`1 - x / \max`
    ========  ==========================================  =========================================

    Parameters
    ----------
    x : array_like, shape (m, n)
        Data: rows are the evaluated objects, columns the indicators.
    method : {"minmax", "zscore", "sum", "vector", "max"}
    directions : array_like of +1/-1, shape (n,), optional
        +1 benefit (larger is better), -1 cost; default all +1.

    Returns
    -------
    NormalizeResult
        ``y`` (m, n) and ``constant_columns``: a column with zero range is
        set to 0 by ``minmax`` and ``zscore`` (it carries no information;
        pymcdm sets it to 1, which is the same for every weighting method here).

    Raises
    ------
    ValueError
        Bad shape or non-finite values in ``x``; ``directions`` not +1/-1;
        ``sum``/``max`` on negative data; ``sum`` of a cost column with a zero;
        an all-zero column for ``sum``, ``vector`` or ``max``.

    Notes
    -----
    Variant: the cost formulas are those of Jahan & Edwards (2015), the ones
    pymcdm implements. Inverting a benefit-normalised column afterwards
    (``1 - y`` for sum, or ``1/x`` on raw data as pyDecision's entropy does) is
    a different, undocumented method.

    References
    ----------
    Jahan, A., Edwards, K. L. (2015). A state-of-the-art survey on the influence
    of normalization techniques in ranking. *Materials & Design* 65, 335-342.
    https://doi.org/10.1016/j.matdes.2014.09.022

    Examples
    --------
    >>> normalize([[1, 10], [3, 30], [2, 20]], "minmax", [1, -1]).y
    array([[0. , 1. ],
           [1. , 0. ],
           [0.5, 0.5]])
    """
    arr = check_data(x)
    check_choice(method, "method", NORMALIZATIONS)
    d = check_directions(directions, arr.shape[1])
    y, constant = _normalize(arr, method, d)
    return NormalizeResult(y=y, method=method, directions=d, constant_columns=constant)
