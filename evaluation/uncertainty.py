"""Uncertainty of scores, ranks and grades under plausible weight vectors."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .results import UncertaintyResult
from .scoring import DEFAULT_SCALE, _check_on_scale, _check_scale, check_bands, scores_to_matrix
from .weightset import WeightTree

__all__ = ["uncertainty", "resample_weights"]
_TOL = 1e-6


def _check_samples(w: np.ndarray, name: str) -> np.ndarray:
    if w.ndim != 2 or w.shape[0] < 1:
        raise ValueError(f"{name} must have shape (samples, weights); got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{name} must hold non-negative finite weights")
    bad = np.flatnonzero(np.abs(w.sum(axis=1) - 1) > _TOL)
    if bad.size:
        raise ValueError(f"{name}: sample {int(bad[0])} sums to {w[bad[0]].sum():.9g}, not 1 "
                         f"({bad.size} samples do not sum to 1)")
    return w


def _min_ranks(totals: np.ndarray) -> np.ndarray:
    """Rank of each object in each column (1 = highest total; ties share the best rank)."""
    m, k = totals.shape
    order = np.argsort(-totals, axis=0, kind="stable")
    ordered = np.take_along_axis(totals, order, axis=0)
    pos = np.arange(m)[:, None]
    new = np.ones((m, k), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=0)
    ranks = np.empty((m, k), dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=0)
    return ranks


def resample_weights(expert_weights, *, resamples: int = 1000, seed: int = 0,
                     mean: str = "geometric") -> np.ndarray:
    r"""Plausible weight vectors from a panel: bootstrap over the experts.

    Each resample draws the experts with replacement and aggregates their
    weight vectors (Saisana & Saltelli's expert-panel approach):

    .. math::

        w^{(b)} \propto \Big(\prod_{e \in E_b} w_e\Big)^{1/|E_b|} \;\text{(geometric, AIP)}
        \quad\text{or}\quad w^{(b)} = \tfrac{1}{|E_b|}\sum_{e \in E_b} w_e \;\text{(arithmetic)}

    Parameters
    ----------
    expert_weights : array_like, shape (experts, n)
        One weight vector per expert (rows summing to 1).
    resamples : int
        Number of bootstrap samples (1000).
    seed : int
        Seed of ``numpy.random.default_rng`` (fixed, so results repeat).
    mean : {"geometric", "arithmetic"}
        How the resampled experts' weights are aggregated.

    Returns
    -------
    ndarray, shape (resamples, n)

    References
    ----------
    Saisana, M., Saltelli, A., Tarantola, S. (2005). Uncertainty and sensitivity
    analysis techniques as tools for the quality assessment of composite
    indicators. J. R. Stat. Soc. A 168, 307–323,
    https://doi.org/10.1111/j.1467-985X.2005.00350.x.

    Examples
    --------
    >>> w = resample_weights([[0.5, 0.5], [0.7, 0.3], [0.6, 0.4]], resamples=4, seed=1)
    >>> w.shape, bool(abs(w.sum(axis=1) - 1).max() < 1e-12)
    ((4, 2), True)
    """
    w = _check_samples(np.asarray(expert_weights, dtype=float), "expert_weights")
    if not isinstance(resamples, (int, np.integer)) or resamples < 1:
        raise ValueError(f"resamples must be a positive integer; got {resamples!r}")
    if mean not in ("geometric", "arithmetic"):
        raise ValueError(f"mean must be 'geometric' or 'arithmetic'; got {mean!r}")
    if mean == "geometric" and (w <= 0).any():
        raise ValueError("expert_weights must be positive for the geometric mean")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, w.shape[0], size=(resamples, w.shape[0]))
    if mean == "geometric":
        agg = np.exp(np.log(w)[idx].mean(axis=1))
    else:
        agg = w[idx].mean(axis=1)
    return agg / agg.sum(axis=1, keepdims=True)


def uncertainty(weight_samples, scores, bands=None, *, tree=None, leaves=None, objects=None,
                level: float = 0.9, scale=DEFAULT_SCALE) -> UncertaintyResult:
    r"""Score interval, rank interval and star-grade probabilities under weight samples.

    For samples :math:`w^{(1)}..w^{(K)}` of the leaf weights and the score
    matrix :math:`S` (objects × leaves), every total at once:

    .. math::

        T^{(k)}_o = \sum_j w^{(k)}_j s_{oj} \quad (T = S W^\top,\; m \times K),

    then per object the percentile interval of :math:`T_o`, of its rank
    (1 = best; ties share the best rank) and the share of samples giving each
    star grade, :math:`P(\text{grade} = s)` and :math:`P(\text{grade} \ge s)`.

    Parameters
    ----------
    weight_samples : array_like or mapping
        ``(K, leaves)`` global leaf weights (rows summing to 1); or
        ``{leaf code: K values}``; or, with ``tree``, ``(K, len(tree.codes))``
        *local* weights of every node (turned into leaf weights).
    scores : mapping or array_like
        ``{object: {leaf: score}}`` (complete) or ``(m, leaves)``.
    bands : list of dict, optional
        Star bands (default: the seed's ``rating``).
    tree : WeightTree or mapping, optional
        Weight set whose leaves name the columns (local samples, see above).
    leaves : sequence of str, optional
        Column codes when ``weight_samples`` is an array and ``scores`` a mapping.
    objects : sequence of str, optional
        Row names when ``scores`` is an array.
    level : float
        Coverage of the intervals (0.9: the 5th and 95th percentiles).
    scale : (low, high) or None
        Score scale (checked; the bands must cover it).

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    ValueError
        Naming ``weight_samples`` (shape, negative weights, rows not summing
        to 1), ``scores`` (missing, off the scale, unknown codes), ``bands``,
        ``level`` or ``leaves``.

    References
    ----------
    Saisana, Saltelli & Tarantola (2005), https://doi.org/10.1111/j.1467-985X.2005.00350.x.
    OECD/JRC (2008) Handbook on Constructing Composite Indicators, section 7,
    https://doi.org/10.1787/9789264043466-en.

    Examples
    --------
    >>> w = [[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.5, 0.5]]
    >>> u = uncertainty(w, [[95, 75], [85, 85]], level=1.0)
    >>> u.score_interval.tolist(), u.rank_range.tolist()
    ([[77.0, 93.0], [85.0, 85.0]], [[1, 2], [1, 2]])
    >>> u.at_least_probability[0, :2].tolist()   # P(5 stars), P(4 stars or better)
    [0.25, 0.75]
    """
    try:
        lev = float(level)
    except (TypeError, ValueError):
        lev = np.nan
    if not 0 < lev <= 1:
        raise ValueError(f"level must lie in (0, 1]; got {level!r}")
    scale = _check_scale(scale)
    checked = check_bands(bands, scale=scale)
    if tree is not None:
        tree = WeightTree.from_dict(tree)
        w = tree.leaf_weights(np.asarray(weight_samples, dtype=float))
        codes = tree.leaves
    elif isinstance(weight_samples, Mapping):
        codes = tuple(weight_samples)
        try:
            w = np.column_stack([np.asarray(weight_samples[c], dtype=float) for c in codes])
        except ValueError:
            raise ValueError("weight_samples: every code needs the same number of samples") from None
    else:
        w = np.asarray(weight_samples, dtype=float)
        codes = tuple(leaves) if leaves is not None else None
    w = _check_samples(np.atleast_2d(w), "weight_samples")
    if codes is not None and len(codes) != w.shape[1]:
        raise ValueError(f"leaves must name the {w.shape[1]} columns of weight_samples; got {len(codes)}")
    if isinstance(scores, Mapping):
        if codes is None:
            raise ValueError("leaves must name the columns of weight_samples when scores is a mapping")
        objs, s = scores_to_matrix(WeightTree.flat(codes, np.full(len(codes), 1 / len(codes))), scores)
    else:
        s = np.asarray(scores, dtype=float)
        if s.ndim != 2 or s.shape[1] != w.shape[1]:
            raise ValueError(f"scores must have shape (m, {w.shape[1]}); got {s.shape}")
        objs = tuple(str(o) for o in objects) if objects is not None else tuple(str(i + 1) for i in range(len(s)))
    cols = codes or tuple(str(j) for j in range(s.shape[1]))
    if np.isnan(s).any():
        raise ValueError("scores must be complete for the uncertainty analysis (score with "
                         "missing='reweight' first and analyse the complete objects)")
    _check_on_scale(s, objs, cols, scale)
    totals = s @ w.T                                       # (m, K)
    q = (1 - lev) / 2
    score_iv = np.quantile(totals, [q, 1 - q], axis=1).T
    ranks = _min_ranks(totals)                             # (m, K), 1 = best, ties share the best
    m, k = ranks.shape
    rows = np.repeat(np.arange(m), k)
    counts = np.bincount(rows * (m + 1) + ranks.ravel(), minlength=m * (m + 1)).reshape(m, m + 1)
    cum = np.cumsum(counts, axis=1)
    # inverted-CDF percentiles of the ranks: the smallest rank whose cumulative count reaches q·K
    need_lo = max(int(np.ceil(q * k - 1e-9)), 1)
    need_hi = max(int(np.ceil((1 - q) * k - 1e-9)), 1)
    rank_iv = np.column_stack([(cum >= need_lo).argmax(axis=1), (cum >= need_hi).argmax(axis=1)])
    asc = checked[::-1]
    mins = np.array([b["min"] for b in asc])
    star_of = np.array([b["stars"] for b in asc])
    idx = np.clip(np.searchsorted(mins, totals, side="right") - 1, 0, None)   # band index, ascending
    nb = len(asc)
    onehot = np.bincount(rows * nb + idx.ravel(), minlength=m * nb).reshape(m, nb).astype(float)
    prob = onehot[:, ::-1] / k                              # highest grade first
    seen = counts > 0
    best = seen.argmax(axis=1)
    worst = m - seen[:, ::-1].argmax(axis=1)
    return UncertaintyResult(
        objects=objs, samples=int(k), level=lev, score_mean=totals.mean(axis=1), score_interval=score_iv,
        rank_interval=rank_iv, rank_range=np.column_stack([best, worst]),
        rank_mode=counts.argmax(axis=1), stars=tuple(int(v) for v in star_of[::-1]),
        grade_probability=prob, at_least_probability=np.cumsum(prob, axis=1))
