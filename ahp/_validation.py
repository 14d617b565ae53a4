"""Argument checks shared by the public functions of :mod:`ahp`.

Every check raises :class:`ValueError` whose message names the argument and
says what is allowed (STYLE.md habit 15).  The checks are vectorised: a stack
of 10,000 matrices is validated with a handful of array operations, and the
message points at the first offending cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Tolerance for reciprocity ``|a_ij * a_ji - 1|`` and for the unit diagonal.
RECIPROCITY_TOL = 1e-9
#: Relative tolerance when matching an entry against the Saaty 1-9 scale.
SCALE_TOL = 1e-9

PRIORITY_METHODS = ("eigen", "geometric", "arithmetic")


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def as_float_array(x, name: str) -> np.ndarray:
    """Convert ``x`` to a float64 array or raise ``ValueError`` naming it."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None
    return arr


def check_square(arr: np.ndarray, name: str) -> int:
    """Check that the last two axes of ``arr`` are square; return ``n``."""
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(
            f"{name} must be a square matrix of shape (n, n) or a stack (..., n, n); "
            f"got shape {arr.shape}"
        )
    n = arr.shape[-1]
    if n < 1:
        raise ValueError(f"{name} must have at least one row; got shape {arr.shape}")
    return n


def check_positive_entries(arr: np.ndarray, name: str, *, allow_nan: bool = False) -> None:
    """Reject inf, NaN (unless ``allow_nan``), zero and negative entries."""
    bad = ~np.isfinite(arr)
    if allow_nan:
        bad &= ~np.isnan(arr)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"{name}{_index(idx)} = {arr[idx]!r} is not finite; judgments must be "
            "finite positive numbers"
            + (" (use NaN only for a missing judgment)" if allow_nan else "")
        )
    with np.errstate(invalid="ignore"):
        bad = arr <= 0
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"{name}{_index(idx)} = {arr[idx]!r} is not positive; pairwise judgments "
            "must be > 0 (a_ij = 1/a_ji)"
        )


def check_pairwise_matrix(
    a,
    name: str = "a",
    *,
    allow_nan: bool = False,
    scale: bool = False,
    tol: float = RECIPROCITY_TOL,
) -> np.ndarray:
    """Validate a positive reciprocal matrix or stack and return it as float64.

    Checks, in this order: numeric, square ``(..., n, n)``, finite (NaN allowed
    as a *missing* judgment only when ``allow_nan``), positive, unit diagonal,
    reciprocal ``|a_ij a_ji - 1| <= tol`` and, if ``scale``, every entry on the
    Saaty 1-9 scale.
    """
    arr = as_float_array(a, name)
    n = check_square(arr, name)
    check_positive_entries(arr, name, allow_nan=allow_nan)
    diag = np.diagonal(arr, axis1=-2, axis2=-1)
    bad = ~(np.abs(diag - 1.0) <= tol)  # NaN on the diagonal is bad too
    if bad.any():
        pos = tuple(np.argwhere(bad)[0])
        idx = pos[:-1] + (pos[-1], pos[-1])
        raise ValueError(f"{name}{_index(idx)} = {arr[idx]!r}: the diagonal must be 1")
    if n > 1:
        trans = np.swapaxes(arr, -1, -2)
        if allow_nan:
            nan = np.isnan(arr)
            asym = nan != np.swapaxes(nan, -1, -2)
            if asym.any():
                idx = tuple(np.argwhere(asym)[0])
                raise ValueError(
                    f"{name}{_index(idx)} is {'missing' if nan[idx] else 'present'} but its "
                    "reciprocal cell is not; a missing judgment must be NaN in both "
                    "a[i, j] and a[j, i]"
                )
        with np.errstate(invalid="ignore"):
            bad = np.abs(arr * trans - 1.0) > tol
        if bad.any():
            idx = tuple(np.argwhere(bad)[0])
            jdx = idx[:-2] + (idx[-1], idx[-2])
            raise ValueError(
                f"{name} is not reciprocal: {name}{_index(idx)} = {arr[idx]!r} but "
                f"{name}{_index(jdx)} = {arr[jdx]!r} (need a_ij * a_ji = 1 within {tol:g})"
            )
    if scale:
        check_saaty_scale(arr, name)
    return arr


def check_saaty_scale(arr: np.ndarray, name: str = "a") -> None:
    """Reject entries that are not 1/9 ... 1/2, 1, 2 ... 9 (NaN is ignored)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(arr >= 1.0, arr, 1.0 / arr)
        q = np.rint(r)
        ok = (q >= 1) & (q <= 9) & (np.abs(r - q) <= SCALE_TOL * q)
    bad = ~ok & ~np.isnan(arr)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"{name}{_index(idx)} = {arr[idx]!r} is off the Saaty scale; allowed values "
            "are 1/9, 1/8, ..., 1/2, 1, 2, ..., 9"
        )


def check_method(method, allowed: Sequence[str] = PRIORITY_METHODS, name: str = "method") -> str:
    """Check that ``method`` is one of ``allowed``."""
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(m) for m in allowed)}; got {method!r}"
        )
    return method


def check_weights(weights, k: int, name: str = "weights") -> np.ndarray:
    """Validate expert weights for ``k`` experts and return them normalised.

    ``None`` means equal weights.  Weights must be a 1-D sequence of ``k``
    finite non-negative numbers with a positive sum.
    """
    if weights is None:
        return np.full(k, 1.0 / k)
    w = as_float_array(weights, name)
    if w.ndim != 1 or w.shape[0] != k:
        raise ValueError(f"{name} must be a 1-D sequence of {k} expert weights; got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must be finite; got {w.tolist()}")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative; got {w.tolist()}")
    total = w.sum()
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum; got {w.tolist()}")
    return w / total


def check_priority_vectors(vectors, name: str = "vectors", *, min_n: int = 1) -> np.ndarray:
    """Validate ``(..., k, n)`` positive priority vectors; rows are renormalised to sum 1."""
    v = as_float_array(vectors, name)
    if v.ndim < 2:
        raise ValueError(
            f"{name} must have shape (k, n): one priority vector per expert; got shape {v.shape}"
        )
    if v.shape[-2] < 1 or v.shape[-1] < min_n:
        raise ValueError(
            f"{name} needs at least one expert and {min_n} criteria; got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        idx = tuple(np.argwhere(~np.isfinite(v))[0])
        raise ValueError(f"{name}{_index(idx)} = {v[idx]!r} is not finite")
    if np.any(v <= 0):
        idx = tuple(np.argwhere(v <= 0)[0])
        raise ValueError(f"{name}{_index(idx)} = {v[idx]!r}: priorities must be positive")
    return v / v.sum(axis=-1, keepdims=True)
