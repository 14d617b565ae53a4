"""Argument checks shared by the public functions of :mod:`weighting`.

Every check raises :class:`ValueError` whose message names the argument and
says what is allowed.  Checks are vectorised (one pass over the array).
"""

from __future__ import annotations

import numpy as np


def as_float(x, name: str) -> np.ndarray:
    """``x`` as a float64 array, or ``ValueError`` naming it."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None


def check_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}{list(idx)} = {arr[idx]!r} is not a finite number")


def check_data(x, name: str = "x", *, min_rows: int = 2) -> np.ndarray:
    """A finite (m, n) data matrix with m >= ``min_rows`` and n >= 1."""
    arr = as_float(x, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D matrix (rows = evaluated objects, columns = indicators); "
            f"got shape {arr.shape}"
        )
    m, n = arr.shape
    if m < min_rows or n < 1:
        raise ValueError(
            f"{name} needs at least {min_rows} rows (objects) and 1 column (indicator); "
            f"got shape {arr.shape}"
        )
    check_finite(arr, name)
    return arr


def check_directions(directions, n: int, name: str = "directions") -> np.ndarray:
    """+1 (benefit) / -1 (cost) per column; None means all benefit."""
    if directions is None:
        return np.ones(n)
    d = as_float(directions, name)
    if d.ndim == 0:
        d = np.full(n, float(d))
    if d.shape != (n,):
        raise ValueError(f"{name} must have one entry per column ({n}); got shape {d.shape}")
    bad = (d != 1) & (d != -1)
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(f"{name}[{j}] = {d[j]!r}; use +1 for a benefit and -1 for a cost indicator")
    return d


def check_choice(value, name: str, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_order(order, name: str = "order") -> np.ndarray:
    """A permutation of 0..n-1 (or a stack of them), as int array."""
    arr = np.asarray(order)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError(f"{name} must list indicator indices; got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or (np.issubdtype(arr.dtype, np.floating)
                                                      and np.all(arr == np.round(arr)))):
        raise ValueError(f"{name} must hold integer indicator indices; got {arr.dtype}")
    arr = arr.astype(np.int64)
    n = arr.shape[-1]
    ok = np.sort(arr, axis=-1) == np.arange(n)
    if not ok.all():
        raise ValueError(
            f"{name} must be a permutation of 0..{n - 1} (every indicator exactly once); "
            f"got {arr.tolist() if arr.ndim == 1 else 'a stack with a bad row'}"
        )
    return arr


def check_weight_vectors(vectors, name: str = "vectors", *, min_k: int = 1) -> np.ndarray:
    """(k, n) non-negative finite vectors, each with a positive sum (rows)."""
    arr = as_float(vectors, name)
    if arr.ndim != 2 or arr.shape[0] < min_k or arr.shape[1] < 1:
        raise ValueError(
            f"{name} must have shape (k, n) with k >= {min_k} weight vectors over n indicators; "
            f"got shape {arr.shape}"
        )
    check_finite(arr, name)
    if (arr < 0).any():
        idx = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise ValueError(f"{name}{list(idx)} = {arr[idx]!r} is negative; weights must be >= 0")
    if (arr.sum(axis=1) <= 0).any():
        k = int(np.argmax(arr.sum(axis=1) <= 0))
        raise ValueError(f"{name}[{k}] is all zero; every weight vector needs a positive sum")
    return arr


def check_coefficients(c, k: int, name: str = "coefficients") -> np.ndarray:
    """k non-negative finite numbers summing to 1 (1e-9)."""
    arr = as_float(c, name)
    if arr.shape != (k,):
        raise ValueError(f"{name} must have one entry per vector ({k}); got shape {arr.shape}")
    check_finite(arr, name)
    if (arr < 0).any():
        raise ValueError(f"{name} must be >= 0; got {arr.tolist()}")
    if abs(arr.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1; got sum {arr.sum()!r}")
    return arr
