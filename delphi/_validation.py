"""Input checks for the public functions of :mod:`delphi`.

Every public function validates at its boundary and raises :class:`ValueError`
with a message that names the argument and the accepted values; nothing in the
package uses ``assert`` for input checking.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "THRESHOLD_TOL",
    "check_ratings",
    "check_scale",
    "check_probability",
    "check_same_shape",
    "is_number",
]

#: Values within this distance of a threshold count as equal to it. Decimal
#: thresholds (0.7, 0.25) and sums of decimal weights (0.5 + 0.1 + 0.1) are not
#: exact in binary floating point; without the tolerance a panel whose Cr is
#: 0.7 on paper could compute to 0.6999999999999999 and fail ">= 0.7".
THRESHOLD_TOL = 1e-9


def is_number(value) -> bool:
    """True for real numbers (including numpy scalars), False for bool and others."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _finite_number(value, name: str) -> float:
    if not is_number(value) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


_NOT_GIVEN = object()


def check_scale(scale_min, scale_max, agree_at=_NOT_GIVEN) -> tuple[float, float, float | None]:
    """Validate a rating scale ``[scale_min, scale_max]`` and an agreement cut-off.

    Returns the three values as floats (the third is ``None`` when ``agree_at``
    is not passed at all; an explicit ``None`` is rejected).
    """
    lo = _finite_number(scale_min, "scale_min")
    hi = _finite_number(scale_max, "scale_max")
    if not lo < hi:
        raise ValueError(
            f"scale_min must be smaller than scale_max; got scale_min={scale_min!r}, "
            f"scale_max={scale_max!r}"
        )
    if agree_at is _NOT_GIVEN:
        return lo, hi, None
    cut = _finite_number(agree_at, "agree_at")
    if not lo <= cut <= hi:
        raise ValueError(f"agree_at must lie on the scale [{lo:g}, {hi:g}]; got {agree_at!r}")
    return lo, hi, cut


def check_ratings(
    ratings,
    *,
    name: str = "ratings",
    scale_min=None,
    scale_max=None,
    min_experts: int = 2,
    min_items: int = 1,
) -> np.ndarray:
    """Return ``ratings`` as a 2-D float64 array (experts x items), NaN = not rated.

    ``None`` entries become NaN. Raises ``ValueError`` (naming ``name``) for a
    non-numeric or non-2-D input, infinite values, values off the scale
    ``[scale_min, scale_max]`` (when given), fewer than ``min_experts`` rows or
    fewer than ``min_items`` columns.
    """
    if isinstance(ratings, (str, bytes, Mapping)):
        raise ValueError(
            f"{name} must be a 2-D array of numbers (experts x items); got {type(ratings).__name__}"
        )
    try:
        arr = np.array(ratings, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 2-D array of numbers (experts x items, NaN or None = not rated); "
            f"could not convert it: {exc}"
        ) from None
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (experts x items); got a {arr.ndim}-D array of shape "
            f"{arr.shape}. A single expert's answers need shape (1, n_items), one item's "
            f"answers shape (n_experts, 1)."
        )
    m, n = arr.shape
    if m < min_experts:
        raise ValueError(
            f"{name} needs at least {min_experts} experts (rows); got {m}"
        )
    if n < min_items:
        raise ValueError(f"{name} needs at least {min_items} items (columns); got {n}")
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise ValueError(
            f"{name} must not contain infinite values; found {arr[i, j]} at expert {i}, item {j}"
        )
    if scale_min is not None or scale_max is not None:
        lo = -np.inf if scale_min is None else float(scale_min)
        hi = np.inf if scale_max is None else float(scale_max)
        with np.errstate(invalid="ignore"):
            off = (arr < lo) | (arr > hi)
        if off.any():
            i, j = np.argwhere(off)[0]
            raise ValueError(
                f"{name} must lie on the scale [{lo:g}, {hi:g}]; {int(off.sum())} "
                f"value(s) are off the scale, e.g. {arr[i, j]:g} at expert {i}, item {j}"
            )
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (the same experts in the same rows, "
            f"the same items in the same columns); got {a.shape} and {b.shape}"
        )


def check_probability(value, name: str, *, open_interval: bool = False) -> float:
    """A number in [0, 1] (or in (0, 1) when ``open_interval``)."""
    v = _finite_number(value, name)
    if open_interval:
        if not 0.0 < v < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}")
    elif not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie between 0 and 1; got {value!r}")
    return v
