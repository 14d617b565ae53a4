"""Per-item descriptive statistics of one Delphi round, vectorised over items."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_ratings, check_scale
from .results import ItemStatistics

__all__ = ["item_stats", "item_stats_by_group"]


def _quantiles_type7(sorted_x: np.ndarray, n: np.ndarray, probs) -> list[np.ndarray]:
    """Type-7 (linear) quantiles of each column of ``sorted_x``.

    ``sorted_x`` is sorted along axis 0 with NaNs last; ``n`` holds the number
    of non-NaN values per column. Columns with ``n == 0`` give NaN.
    """
    n_rows = sorted_x.shape[0]
    last = np.maximum(n - 1, 0)
    cols = np.arange(sorted_x.shape[1])
    out = []
    for p in probs:
        h = last * p                      # 0-based position (n - 1) * p
        lo = np.floor(h).astype(np.intp)
        hi = np.minimum(lo + 1, last)
        frac = h - lo
        x_lo = sorted_x[np.minimum(lo, n_rows - 1), cols]
        x_hi = sorted_x[np.minimum(hi, n_rows - 1), cols]
        q = x_lo + frac * (x_hi - x_lo)
        q[n == 0] = np.nan
        out.append(q)
    return out


def _moments(x: np.ndarray):
    """Per-column n, mean, sd (ddof=1) and CV ignoring NaN (NaN where undefined)."""
    valid = ~np.isnan(x)
    n = valid.sum(axis=0)
    nf = n.astype(np.float64)
    zeros = np.zeros_like(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, x, zeros).sum(axis=0) / nf
        dev = np.where(valid, x - mean, zeros)
        var = (dev * dev).sum(axis=0) / (nf - 1.0)
        var[n < 2] = np.nan
        sd = np.sqrt(var)
        cv = np.where(mean != 0, sd / mean, np.nan)
    return n, mean, sd, cv


def _stats(x: np.ndarray, scale_min: float, scale_max: float, agree_at: float) -> ItemStatistics:
    """Statistics of an already validated experts x items float array."""
    n, mean, sd, cv = _moments(x)
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = (x >= agree_at).sum(axis=0) / nf
        full_score = (x == scale_max).sum(axis=0) / nf
    q1, median, q3 = _quantiles_type7(np.sort(x, axis=0), n, (0.25, 0.5, 0.75))
    return ItemStatistics(
        n=n.astype(np.int64),
        mean=mean,
        sd=sd,
        cv=cv,
        median=median,
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        agreement=agreement,
        full_score=full_score,
        scale_min=scale_min,
        scale_max=scale_max,
        agree_at=agree_at,
    )


def item_stats(ratings, scale_max=5, agree_at=4, *, scale_min=1) -> ItemStatistics:
    r"""Descriptive statistics per item (column) of one round's ratings.

    For item :math:`j` with the :math:`n_j` ratings :math:`x_{ij}` that were
    given (NaN ignored):

    .. math::

        \bar x_j = \frac{1}{n_j}\sum_i x_{ij}, \qquad
        s_j = \sqrt{\frac{\sum_i (x_{ij}-\bar x_j)^2}{n_j - 1}}, \qquad
        CV_j = s_j / \bar x_j,

        \text{agreement}_j = \frac{\#\{i: x_{ij} \ge \text{agree\_at}\}}{n_j}, \qquad
        \text{full\_score}_j = \frac{\#\{i: x_{ij} = \text{scale\_max}\}}{n_j}.

    Quartiles use linear interpolation between order statistics: with the
    ratings sorted, :math:`Q(p) = x_{(\lfloor h\rfloor)} + (h - \lfloor h\rfloor)
    (x_{(\lfloor h\rfloor + 1)} - x_{(\lfloor h\rfloor)})`, :math:`h = (n_j-1)p`
    (0-based). This is numpy's default ``method="linear"``, R's
    ``quantile(type = 7)``, pandas and Excel ``QUARTILE.INC``. SPSS uses type 6
    (``QUARTILE.EXC``), which gives a wider IQR on small panels.

    Parameters
    ----------
    ratings : array_like, shape (n_experts, n_items)
        One row per expert, one column per item; NaN (or ``None``) where the
        expert did not rate the item ("不熟悉，不评价").
    scale_max : float, default 5
        Top of the rating scale; ``full_score`` counts ratings equal to it.
    agree_at : float, default 4
        ``agreement`` is the share of ratings ``>= agree_at`` (4 and 5 on a
        5-point scale).
    scale_min : float, default 1
        Bottom of the rating scale (keyword only).

    Returns
    -------
    ItemStatistics
        Arrays of length ``n_items``: ``n, mean, sd, cv, median, q1, q3, iqr,
        agreement, full_score``. An item nobody rated has ``n = 0`` and NaN
        everywhere else; an item rated once has NaN ``sd`` and ``cv``. ``cv`` is
        NaN when the mean is 0.

    Raises
    ------
    ValueError
        If ``ratings`` is not 2-D, has fewer than 2 experts, contains infinite
        values or values off ``[scale_min, scale_max]``, or if the scale or
        ``agree_at`` is invalid.

    See Also
    --------
    item_stats_by_group : the same statistics per stakeholder group.
    ConsensusRule.evaluate : apply a consensus rule to the result.

    Notes
    -----
    ``sd`` matches SPSS, SPSSAU and ``statistics.stdev`` (``ddof=1``); note that
    ``scipy.stats.variation`` defaults to ``ddof=0``. The full-score frequency
    uses the scale maximum, as Chinese Delphi papers do (SPSSAU instead uses the
    largest observed rating).

    References
    ----------
    .. [1] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical
       packages. The American Statistician 50(4), 361-365.
       doi:10.1080/00031305.1996.10473566
    .. [2] von der Gracht, H. A. (2012). Consensus measurement in Delphi
       studies. Technological Forecasting and Social Change 79(8), 1525-1536.
       doi:10.1016/j.techfore.2012.04.013

    Examples
    --------
    >>> import numpy as np
    >>> import delphi
    >>> r = np.array([[5, 4, 3],
    ...               [4, 4, 2],
    ...               [5, 3, np.nan],
    ...               [4, 5, 3]])
    >>> s = delphi.item_stats(r)
    >>> s.n.tolist(), s.mean.tolist()
    ([4, 4, 3], [4.5, 4.0, 2.6666666666666665])
    >>> s.median.tolist(), s.iqr.tolist()
    ([4.5, 4.0, 3.0], [1.0, 0.5, 0.5])
    >>> s.agreement.tolist(), s.full_score.tolist()
    ([1.0, 0.75, 0.0], [0.5, 0.25, 0.0])
    """
    lo, hi, cut = check_scale(scale_min, scale_max, agree_at)
    x = check_ratings(ratings, scale_min=lo, scale_max=hi)
    return _stats(x, lo, hi, cut)


def item_stats_by_group(
    ratings, groups: Sequence, scale_max=5, agree_at=4, *, scale_min=1
) -> dict:
    """:func:`item_stats` computed separately for each group of experts.

    The dashboard splits the statistics by stakeholder group (专家类别, e.g.
    regulator, platform, enterprise, academia), as DelphiManager does.

    Parameters
    ----------
    ratings : array_like, shape (n_experts, n_items)
        As for :func:`item_stats`; the whole panel must have at least 2 experts.
    groups : sequence, length n_experts
        The group label of each expert (row); any hashable labels.
    scale_max, agree_at, scale_min
        As for :func:`item_stats`.

    Returns
    -------
    dict
        ``{label: ItemStatistics}`` in order of first appearance in ``groups``.
        A group with a single expert is allowed; its ``sd``/``cv`` are NaN.
        (Showing a one-expert group breaks anonymity; the caller decides.)

    Raises
    ------
    ValueError
        If ``groups`` does not have one label per expert, or as for
        :func:`item_stats`.

    Examples
    --------
    >>> import delphi
    >>> r = [[5, 4], [4, 4], [2, 3], [3, 3]]
    >>> by = delphi.item_stats_by_group(r, ["academia", "academia", "platform", "platform"])
    >>> list(by)
    ['academia', 'platform']
    >>> by["academia"].mean.tolist(), by["platform"].mean.tolist()
    ([4.5, 4.0], [2.5, 3.0])
    """
    lo, hi, cut = check_scale(scale_min, scale_max, agree_at)
    x = check_ratings(ratings, scale_min=lo, scale_max=hi)
    if isinstance(groups, (str, bytes)):
        raise ValueError("groups must be a sequence with one group label per expert")
    labels = list(groups)
    if len(labels) != x.shape[0]:
        raise ValueError(
            f"groups must have one label per expert (row of ratings): expected {x.shape[0]}, "
            f"got {len(labels)}"
        )
    rows: dict = {}
    try:
        for i, label in enumerate(labels):
            rows.setdefault(label, []).append(i)
    except TypeError:
        raise ValueError("groups must contain hashable labels (str, int, ...)") from None
    return {label: _stats(x[idx], lo, hi, cut) for label, idx in rows.items()}
