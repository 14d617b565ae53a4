"""Raw responses -> ratings matrix, and ratings -> item x category counts.

Conversion is kept apart from the statistics (statsmodels' ``aggregate_raters``
-> ``fleiss_kappa`` split): the web service turns stored answers into a matrix
once and passes it to every statistic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ._validation import check_ratings, check_scale, is_number
from .results import RatingsTable

__all__ = ["ratings_matrix", "category_counts"]


def _labels(values, name: str) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a sequence of labels; got {values!r}")
    labels = tuple(values)
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} must not repeat a label")
    return labels


def ratings_matrix(records: Iterable, *, experts=None, items=None) -> RatingsTable:
    """Build the experts x items ratings matrix from ``(expert, item, rating)`` records.

    Parameters
    ----------
    records : iterable of (expert, item, rating)
        One record per answer, e.g. rows of a database query. ``rating`` may be
        ``None`` or NaN for "no opinion" (不熟悉，不评价); such cells stay NaN.
    experts, items : sequence, optional
        The row and column labels, in order (keyword only). A panel member who
        answered nothing still gets a row, an item nobody rated a column. By
        default the labels are taken from the records in order of first
        appearance; given labels must cover every record.

    Returns
    -------
    RatingsTable
        ``ratings`` (float array, NaN = not rated), ``experts`` and ``items``.

    Raises
    ------
    ValueError
        For a malformed record, a non-numeric rating, an expert rating the
        same item twice, or a label missing from ``experts``/``items``.

    Examples
    --------
    >>> import delphi
    >>> t = delphi.ratings_matrix([("E01", "A1", 5), ("E01", "A2", 4), ("E02", "A1", 3)])
    >>> t.experts, t.items
    (('E01', 'E02'), ('A1', 'A2'))
    >>> t.ratings.tolist()
    [[5.0, 4.0], [3.0, nan]]
    """
    rows = []
    for k, rec in enumerate(records):
        try:
            expert, item, rating = rec
        except (TypeError, ValueError):
            raise ValueError(f"records[{k}] must be an (expert, item, rating) triple; got {rec!r}") from None
        if rating is None:
            value = math.nan
        elif is_number(rating):
            value = float(rating)
        else:
            raise ValueError(f"records[{k}] has a non-numeric rating {rating!r}")
        rows.append((expert, item, value))
    expert_labels = (
        tuple(dict.fromkeys(r[0] for r in rows)) if experts is None else _labels(experts, "experts")
    )
    item_labels = tuple(dict.fromkeys(r[1] for r in rows)) if items is None else _labels(items, "items")
    e_index = {e: i for i, e in enumerate(expert_labels)}
    i_index = {it: j for j, it in enumerate(item_labels)}
    out = np.full((len(expert_labels), len(item_labels)), np.nan)
    seen = set()
    for k, (expert, item, value) in enumerate(rows):
        if expert not in e_index:
            raise ValueError(f"records[{k}]: expert {expert!r} is not in experts")
        if item not in i_index:
            raise ValueError(f"records[{k}]: item {item!r} is not in items")
        key = (e_index[expert], i_index[item])
        if key in seen:
            raise ValueError(f"records[{k}]: expert {expert!r} rated item {item!r} twice")
        seen.add(key)
        out[key] = value
    return RatingsTable(ratings=out, experts=expert_labels, items=item_labels)


def category_counts(ratings, scale_max=5, *, scale_min=1) -> np.ndarray:
    """Count how many experts gave each rating to each item (the feedback histogram).

    Parameters
    ----------
    ratings : array_like, shape (n_experts, n_items)
        Whole-number ratings on ``scale_min .. scale_max``; NaN = not rated.
    scale_max : int, default 5
    scale_min : int, default 1 (keyword only)

    Returns
    -------
    ndarray of int, shape (n_items, scale_max - scale_min + 1)
        ``counts[j, k]`` = number of experts who rated item ``j`` with
        ``scale_min + k`` (the layout of statsmodels' ``aggregate_raters``).

    Raises
    ------
    ValueError
        For ratings off the scale or not whole numbers, or a non-integer scale.

    Examples
    --------
    >>> import delphi
    >>> delphi.category_counts([[5, 4], [4, 4], [5, float("nan")]]).tolist()
    [[0, 0, 0, 1, 2], [0, 0, 0, 2, 0]]
    """
    lo, hi, _ = check_scale(scale_min, scale_max)
    if lo != int(lo) or hi != int(hi):
        raise ValueError(
            f"category_counts needs a whole-number scale; got scale_min={scale_min!r}, "
            f"scale_max={scale_max!r}"
        )
    x = check_ratings(ratings, scale_min=lo, scale_max=hi, min_experts=1)
    valid = ~np.isnan(x)
    if np.any(x[valid] != np.round(x[valid])):
        raise ValueError("ratings must be whole numbers for category_counts")
    levels = np.arange(int(lo), int(hi) + 1, dtype=np.float64)
    # (experts, items, 1) == (levels,) -> sum over experts
    return (x[:, :, None] == levels).sum(axis=0).astype(np.int64)
