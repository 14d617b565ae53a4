"""Weight stability: exact intervals within which ranks and grades hold."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .results import StabilityResult
from .scoring import DEFAULT_SCALE, _check_on_scale, _subtotals, check_bands, scores_to_matrix
from .weightset import WeightTree

__all__ = ["weight_stability"]
_EPS = 1e-12


def _lines(tree: WeightTree, s: np.ndarray):
    """Totals as lines in each node's local weight: T_o(x) = alpha + beta * x, shape (m, n-1)."""
    v = _subtotals(tree, s, reweight=False)
    nodes = np.arange(1, len(tree.codes))
    p = tree.parent[nodes]
    lc = tree.local[nodes]
    gp = tree.glob[p]
    vc, vp = v[:, nodes], v[:, p]
    single = np.array([len(tree.children(tree.codes[i])) for i in p]) == 1
    fixed = single | (lc >= 1 - _EPS)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(fixed, 0.0, (vp - lc * vc) / np.where(fixed, 1.0, 1 - lc))
    beta = np.where(fixed, 0.0, gp * (vc - rest))
    alpha = v[:, :1] - beta * lc
    return nodes, lc, alpha, beta, fixed, v[:, 0]


def _tie_pairs(total: np.ndarray, tol: float):
    """Pairs (hi, lo) of objects in consecutive groups of the current ranking (ties grouped)."""
    order = np.argsort(-total, kind="stable")
    t = total[order]
    groups = np.split(order, np.flatnonzero(np.diff(t) < -tol) + 1)
    a, b = [], []
    for g1, g2 in zip(groups, groups[1:]):
        a.extend(np.repeat(g1, len(g2)))
        b.extend(np.tile(g2, len(g1)))
    return np.array(a, dtype=int), np.array(b, dtype=int)


def _nearest(x, current, valid):
    """Largest breakpoint below and smallest above ``current`` per column, and the rows giving them."""
    below = np.where(valid & (x < current), x, -np.inf)
    above = np.where(valid & (x > current), x, np.inf)
    ib, ia = below.argmax(axis=0), above.argmin(axis=0)
    cols = np.arange(x.shape[1])
    return below[ib, cols], ib, above[ia, cols], ia


def weight_stability(weights, scores, *, bands=None, scale=DEFAULT_SCALE, codes=None,
                     objects=None) -> StabilityResult:
    r"""For each weight, the interval it can move before two objects swap rank or a grade changes.

    When local weight :math:`\ell_c` of node :math:`c` moves to :math:`x` and
    its siblings are rescaled proportionally (:math:`\ell_s (1-x)/(1-\ell_c)`,
    so none turns negative), every total is a line in :math:`x`:

    .. math::

        T_o(x) = T_o + g_p\,(x - \ell_c)\,(V_{oc} - R_{oc}), \qquad
        R_{oc} = \frac{V_{op} - \ell_c V_{oc}}{1 - \ell_c},

    with :math:`g_p` the global weight of the parent :math:`p` and :math:`V`
    the node scores.  Two objects swap where their lines cross and an object
    changes grade where its line meets a band's minimum; the interval is
    bounded by the nearest such breakpoints on either side of :math:`\ell_c`
    (within :math:`[0, 1]`).  The breakpoints are exact (closed form, no grid).
    Only objects adjacent in the current ranking can be the first to swap, so
    :math:`m - 1` pairs per weight are examined (all pairs across a tie).
    Objects tied now are not counted as swapping.

    Parameters
    ----------
    weights : mapping, WeightTree or array_like
        A ``weight-set/1`` document or tree (every non-root node's local
        weight is examined), or a flat weight vector summing to 1.
    scores : mapping or array_like
        Complete scores ``{object: {leaf: score}}`` or ``(m, leaves)``.
    bands : list of dict, optional
        Star bands (default: the seed's ``rating``); ``False`` for ranks only.
    scale : (low, high) or None
        Score scale.
    codes : sequence of str, optional
        Names of a flat weight vector (default ``w1``, ``w2`` …).
    objects : sequence of str, optional
        Row names when ``scores`` is an array.

    Returns
    -------
    StabilityResult

    Raises
    ------
    ValueError
        Naming ``weights``, ``scores`` (missing, off the scale, unknown codes) or ``bands``.

    References
    ----------
    Triantaphyllou, E., Sánchez, A. (1997). A sensitivity analysis approach for
    some deterministic multi-criteria decision-making methods. Decision Sciences
    28, 151–194, https://doi.org/10.1111/j.1540-5915.1997.tb01306.x.

    Examples
    --------
    >>> r = weight_stability([0.5, 0.5], [[90, 70], [60, 95]], codes=["x", "y"], bands=False)
    >>> r.rank_interval.round(4).tolist()
    [[0.4545, 1.0], [0.0, 0.5455]]
    """
    if isinstance(weights, (Mapping, WeightTree)):
        tree = WeightTree.from_dict(weights)
    else:
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1:
            raise ValueError(f"weights must be a weight set or a 1-D weight vector; got shape {w.shape}")
        names = list(codes) if codes is not None else [f"w{i + 1}" for i in range(w.size)]
        if abs(w.sum() - 1) > 1e-6:
            raise ValueError(f"weights must sum to 1; they sum to {w.sum():.9g}")
        tree = WeightTree.flat(names, w)
    objs, s = scores_to_matrix(tree, scores, objects=objects)
    if np.isnan(s).any():
        raise ValueError("scores must be complete for the stability analysis")
    _check_on_scale(s, objs, tree.leaves, None if scale is None else tuple(map(float, scale)))
    nodes, lc, alpha, beta, fixed, total = _lines(tree, s)
    span = float(np.ptp(s)) or 1.0
    tol = 1e-9 * max(span, 1.0)
    n = nodes.size
    rank_lo, rank_hi = np.zeros(n), np.ones(n)
    low_ev, high_ev = [""] * n, [""] * n
    hi_obj, lo_obj = _tie_pairs(total, tol)
    if hi_obj.size:
        da, db = alpha[lo_obj] - alpha[hi_obj], beta[hi_obj] - beta[lo_obj]
        with np.errstate(invalid="ignore", divide="ignore"):
            x = da / db
        valid = (np.abs(db) > _EPS) & (x >= 0) & (x <= 1)
        lo, ib, hi, ia = _nearest(x, lc, valid)
        for j in range(n):
            if np.isfinite(lo[j]):
                rank_lo[j] = lo[j]
                low_ev[j] = f"rank: {objs[hi_obj[ib[j]]]} ↔ {objs[lo_obj[ib[j]]]}"
            if np.isfinite(hi[j]):
                rank_hi[j] = hi[j]
                high_ev[j] = f"rank: {objs[hi_obj[ia[j]]]} ↔ {objs[lo_obj[ia[j]]]}"
    grade_lo, grade_hi = np.zeros(n), np.ones(n)
    g_low, g_high = [""] * n, [""] * n
    if bands is not False:
        checked = check_bands(bands, scale=scale)
        cuts = np.array([b["min"] for b in checked[:-1]])       # interior thresholds
        if cuts.size:
            m = len(objs)
            # breakpoints per (object, cut) x node
            with np.errstate(invalid="ignore", divide="ignore"):
                x = (cuts[None, :, None] - alpha[:, None, :]) / beta[:, None, :]
            x = x.reshape(m * cuts.size, n)
            bb = np.repeat(beta, cuts.size, axis=0)
            valid = (np.abs(bb) > _EPS) & (x >= 0) & (x <= 1)
            at = valid & (np.abs(x - lc) <= 1e-12)
            lo, ib, hi, ia = _nearest(x, lc, valid & ~at)
            # an object exactly on a band minimum drops as soon as its total decreases
            drop_lo, drop_hi = at & (bb > 0), at & (bb < 0)
            lo = np.where(drop_lo.any(axis=0), lc, lo)
            ib = np.where(drop_lo.any(axis=0), drop_lo.argmax(axis=0), ib)
            hi = np.where(drop_hi.any(axis=0), lc, hi)
            ia = np.where(drop_hi.any(axis=0), drop_hi.argmax(axis=0), ia)
            for j in range(n):
                if np.isfinite(lo[j]):
                    grade_lo[j] = lo[j]
                    g_low[j] = f"grade: {objs[ib[j] // cuts.size]} ({cuts[ib[j] % cuts.size]:g})"
                if np.isfinite(hi[j]):
                    grade_hi[j] = hi[j]
                    g_high[j] = f"grade: {objs[ia[j] // cuts.size]} ({cuts[ia[j] % cuts.size]:g})"
    rank_iv = np.column_stack([rank_lo, rank_hi])
    grade_iv = np.column_stack([grade_lo, grade_hi])
    rank_iv[fixed] = grade_iv[fixed] = 1.0
    lo = np.maximum(rank_lo, grade_lo)
    hi = np.minimum(rank_hi, grade_hi)
    low_event = tuple(g if grade_lo[j] > rank_lo[j] else low_ev[j] for j, g in enumerate(g_low))
    high_event = tuple(g if grade_hi[j] < rank_hi[j] else high_ev[j] for j, g in enumerate(g_high))
    iv = np.column_stack([lo, hi])
    iv[fixed] = 1.0
    return StabilityResult(
        codes=tuple(tree.codes[i] for i in nodes), weights=lc.copy(), rank_interval=rank_iv,
        grade_interval=grade_iv, interval=iv, low_event=low_event, high_event=high_event,
        fixed=fixed, method="exact")
