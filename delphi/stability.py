"""Between-round stability (轮间稳定性) and the stopping rule of a Delphi study."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats as _st

from ._validation import check_probability, check_ratings, check_same_shape
from .consensus import ConsensusRule
from .results import ItemStatistics, StabilityResult, StopDecision
from .statistics import _moments

__all__ = ["stability", "stopping"]

_ZERO_METHODS = ("wilcox", "pratt", "zsplit")
_METHODS = ("asymptotic", "exact", "auto")


def _wilcoxon(d: np.ndarray, zero_method: str, correction: bool, method: str):
    """scipy.stats.wilcoxon on each column of ``d`` (NaN = pair missing).

    Returns (statistic, p) per column. Every column must contain at least one
    non-zero, non-NaN difference.
    """
    if zero_method == "wilcox":
        # Wilcoxon's zero handling drops zero differences, so a missing pair
        # can be written as a zero: the result is identical to leaving the
        # pair out, and scipy then works on all columns at once.
        d0 = np.where(np.isnan(d), 0.0, d)
        kw = dict(axis=0, zero_method="wilcox", correction=correction, alternative="two-sided")
        if method != "auto":
            res = _st.wilcoxon(d0, method=method, **kw)
            return np.asarray(res.statistic, float), np.asarray(res.pvalue, float)
        # R's wilcox.test default, per item: exact when fewer than 50 non-zero
        # differences and no zeros or ties; otherwise the normal approximation.
        nonzero = (d0 != 0).sum(axis=0)
        had_zero = (d == 0).any(axis=0)
        sorted_abs = np.sort(np.where(d0 != 0, np.abs(d0), np.nan), axis=0)
        tied = (np.diff(sorted_abs, axis=0) == 0).any(axis=0)
        use_exact = (nonzero < 50) & ~had_zero & ~tied
        statistic = np.empty(d.shape[1])
        p = np.empty(d.shape[1])
        for chosen, m in ((use_exact, "exact"), (~use_exact, "asymptotic")):
            if chosen.any():
                res = _st.wilcoxon(d0[:, chosen], method=m, **kw)
                statistic[chosen], p[chosen] = res.statistic, res.pvalue
        return statistic, p
    # Pratt and zero-split keep zero differences in the ranking, so missing
    # pairs must really be omitted (scipy then works column by column).
    res = _st.wilcoxon(
        d, axis=0, zero_method=zero_method, correction=correction, method="asymptotic",
        alternative="two-sided", nan_policy="omit",
    )
    return np.asarray(res.statistic, float), np.asarray(res.pvalue, float)


def stability(
    previous,
    current,
    alpha=0.05,
    *,
    zero_method="wilcox",
    correction=True,
    method="asymptotic",
    scale_min=None,
    scale_max=None,
    min_paired=1,
) -> StabilityResult:
    r"""Stability of each item's ratings between two rounds.

    For item :math:`j`, take the experts who rated it in both rounds
    (:math:`n_j` = ``n_paired``) and their differences
    :math:`d_{ij} = x^{cur}_{ij} - x^{prev}_{ij}`:

    .. math::

        \text{changed}_j = \frac{\#\{i: d_{ij} \ne 0\}}{n_j}, \qquad
        \Delta CV_j = CV^{cur}_j - CV^{prev}_j,

    and ``p`` is the two-sided Wilcoxon signed-rank p-value of the
    :math:`d_{ij}`. The item is ``stable`` when ``p >= alpha``, i.e. the
    ratings did not shift significantly, *and* at least ``min_paired`` experts
    rated it in both rounds (``judged``): with 4 experts all moving by +1 the
    Wilcoxon p is 0.07, so a small panel would otherwise be "stable by default".

    Parameters
    ----------
    previous, current : array_like, shape (n_experts, n_items)
        Ratings of two rounds; row ``i`` is the same expert in both, column
        ``j`` the same item; NaN where not rated (also for an expert who left).
    alpha : float, default 0.05
        Significance level, strictly between 0 and 1.
    zero_method : {"wilcox", "pratt", "zsplit"}, default "wilcox"
        Zero differences (unchanged ratings): ``"wilcox"`` drops them before
        ranking (Wilcoxon 1945; R ``wilcox.test``, SPSS); ``"pratt"`` and
        ``"zsplit"`` keep them (only with ``method="asymptotic"``; slower:
        scipy then loops over items when ratings are missing).
    correction : bool, default True
        Continuity correction of the normal approximation, as R's default
        ``correct = TRUE``; SPSS uses none (pass ``False``).
    method : {"asymptotic", "exact", "auto"}, default "asymptotic"
        ``"asymptotic"``: normal approximation with tie correction of the
        variance; this is what R and SPSS use whenever there are ties or
        zeros, which is almost always the case with rating scales.
        ``"exact"``: the exact null distribution of :math:`W^+` for the
        number of non-zero differences (exact only without ties; with ties
        scipy rounds the statistic conservatively; meant for small panels). ``"auto"``: R's default per item (exact when fewer than 50
        non-zero differences and no ties or zeros, asymptotic otherwise).
    scale_min, scale_max : float, optional
        When given, ratings off the scale are rejected.
    min_paired : int, default 1
        Paired experts needed before an item can be called stable; items with
        fewer are ``judged = False`` and never ``stable`` (Concordia uses 6).

    Returns
    -------
    StabilityResult
        Per item: ``n_paired, changed, cv_previous, cv_current, cv_change,
        statistic, p, stable``, plus the settings used. ``cv_previous`` and
        ``cv_current`` use everyone who rated the item in that round (as the
        per-round tables of a paper do). When all paired differences are zero
        the item is stable with ``p = 1`` (no test is needed); when no expert
        rated it in both rounds ``p`` is NaN and ``stable`` False.

    Raises
    ------
    ValueError
        For arrays that are not 2-D, of different shapes, with fewer than 2
        experts or off the scale, or invalid ``alpha``/options.

    Notes
    -----
    The test is ``scipy.stats.wilcoxon(d, zero_method=zero_method,
    correction=correction, method=method, alternative="two-sided")`` with all
    parameters passed explicitly (scipy's own ``method="auto"`` switches to a
    permutation test for small samples with ties and is not used). With
    ``zero_method="wilcox"`` missing pairs are written as zero differences,
    which Wilcoxon's method drops, so all items are tested in one vectorised
    call. scipy's ``statistic`` is :math:`\min(W^+, W^-)`; R's ``V`` is
    :math:`W^+`. The p-values agree with R
    ``wilcox.test(current, previous, paired = TRUE)``.

    References
    ----------
    .. [1] Wilcoxon, F. (1945). Individual comparisons by ranking methods.
       Biometrics Bulletin 1(6), 80-83. doi:10.2307/3001968
    .. [2] von der Gracht, H. A. (2012). Consensus measurement in Delphi
       studies. TFSC 79(8), 1525-1536. doi:10.1016/j.techfore.2012.04.013

    Examples
    --------
    >>> import numpy as np
    >>> import delphi
    >>> r1 = np.array([[3, 4], [3, 5], [2, 4], [3, 4], [4, 5], [3, 4], [2, 5], [3, 4]])
    >>> r2 = np.array([[4, 4], [5, 5], [4, 4], [4, 4], [5, 5], [4, 4], [4, 5], [5, 4]])
    >>> s = delphi.stability(r1, r2)
    >>> s.changed.tolist(), s.stable.tolist()
    ([1.0, 0.0], [False, True])
    >>> print(round(float(s.p[0]), 5), s.p[1])
    0.01198 1.0

    Item 0: all eight experts raised their rating (by 1 or 2), so W+ = 36,
    W- = 0 and, with the tie-corrected variance 51 - 120/48 = 48.5,
    z = (36 - 18 - 0.5) / sqrt(48.5) = 2.513, p = 0.01198. Item 1: nobody
    changed, p = 1.
    """
    alpha = check_probability(alpha, "alpha", open_interval=True)
    if zero_method not in _ZERO_METHODS:
        raise ValueError(f"zero_method must be one of {_ZERO_METHODS}; got {zero_method!r}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; got {method!r}")
    if zero_method != "wilcox" and method != "asymptotic":
        raise ValueError(
            f"method={method!r} needs zero_method='wilcox' (the exact null distribution does "
            f"not hold when zero differences are kept); use method='asymptotic' with "
            f"zero_method={zero_method!r}"
        )
    if not isinstance(correction, (bool, np.bool_)):
        raise ValueError(f"correction must be True or False; got {correction!r}")
    if isinstance(min_paired, (bool, np.bool_)) or not isinstance(min_paired, (int, np.integer)) \
            or min_paired < 1:
        raise ValueError(f"min_paired must be a whole number >= 1; got {min_paired!r}")
    prev = check_ratings(previous, name="previous", scale_min=scale_min, scale_max=scale_max)
    cur = check_ratings(current, name="current", scale_min=scale_min, scale_max=scale_max)
    check_same_shape(prev, cur, "previous", "current")

    d = cur - prev                                   # NaN where either is missing
    paired = ~np.isnan(d)
    n_paired = paired.sum(axis=0)
    nonzero = (paired & (d != 0)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        changed = nonzero / n_paired.astype(np.float64)
    cv_prev = _moments(prev)[3]
    cv_cur = _moments(cur)[3]

    statistic = np.full(d.shape[1], np.nan)
    p = np.full(d.shape[1], np.nan)
    p[(n_paired > 0) & (nonzero == 0)] = 1.0         # nobody changed: nothing to test
    test = nonzero > 0
    if test.any():
        statistic[test], p[test] = _wilcoxon(d[:, test], zero_method, bool(correction), method)
    judged = n_paired >= min_paired
    stable = np.zeros(d.shape[1], dtype=bool)
    finite = ~np.isnan(p)
    stable[finite] = p[finite] >= alpha
    stable &= judged
    return StabilityResult(
        n_paired=n_paired.astype(np.int64),
        changed=changed,
        cv_previous=cv_prev,
        cv_current=cv_cur,
        cv_change=cv_cur - cv_prev,
        statistic=statistic,
        p=p,
        stable=stable,
        alpha=alpha,
        zero_method=zero_method,
        correction=bool(correction),
        method=method,
        judged=judged,
        min_paired=int(min_paired),
    )


def stopping(
    history: Sequence,
    rule: ConsensusRule,
    max_rounds: int,
    *,
    stability: StabilityResult | None = None,
    active=None,
) -> StopDecision:
    """Decide whether a Delphi study may stop after its latest round.

    The study may stop when, over the active items,

    1. every item reaches consensus in the latest round (``"consensus"``), or
    2. every item is stable between the last two rounds (``"stable"``; only
       when ``stability`` is given), or
    3. ``len(history) >= max_rounds`` (``"max_rounds"``).

    Otherwise the decision is ``"continue"``. When several conditions hold,
    ``reason`` is the first in this order and ``reasons`` lists all of them.
    Stability is a stopping criterion in its own right because consensus
    alone is not a suitable one (von der Gracht 2012); Diamond et al. (2014)
    found most studies stop after a fixed number of rounds.

    Parameters
    ----------
    history : sequence of ItemStatistics
        One :func:`item_stats` result per round so far, oldest first, all over
        the same items.
    rule : ConsensusRule
        The study's consensus rule.
    max_rounds : int
        Round limit (>= 1).
    stability : StabilityResult, optional
        :func:`stability` of the last two rounds (keyword only).
    active : array_like of bool, optional
        Items still under consultation (keyword only); items that left the
        questionnaire (e.g. accepted earlier) are ignored. Default: all items.
        With no active item left, every item condition holds trivially and
        the decision is ``"consensus"``.

    Returns
    -------
    StopDecision
        ``stop, reason, reasons, round, max_rounds, n_items, n_consensus,
        n_stable, pending, unstable, consensus``.

    Raises
    ------
    ValueError
        For an empty history, mixed item counts, a non-rule, ``max_rounds``
        below 1, or a ``stability``/``active`` of the wrong length.

    Examples
    --------
    >>> import delphi
    >>> rule = delphi.ConsensusRule.preset("cn-standard")
    >>> r1 = [[5, 3], [4, 2], [5, 4], [4, 3]]
    >>> r2 = [[5, 4], [4, 4], [5, 4], [4, 4]]
    >>> h = [delphi.item_stats(r1), delphi.item_stats(r2)]
    >>> d1 = delphi.stopping(h[:1], rule, max_rounds=3)
    >>> d1.stop, d1.reason, d1.pending
    (False, 'continue', (1,))
    >>> d2 = delphi.stopping(h, rule, max_rounds=3)
    >>> d2.stop, d2.reason
    (True, 'consensus')
    """
    if isinstance(history, ItemStatistics) or not isinstance(history, Sequence) or not history:
        raise ValueError(
            "history must be a non-empty list of ItemStatistics, one per round, oldest first"
        )
    for k, h in enumerate(history):
        if not isinstance(h, ItemStatistics):
            raise ValueError(
                f"history[{k}] must be an ItemStatistics (delphi.item_stats); got {type(h).__name__}"
            )
    n_items = history[-1].n_items
    if any(h.n_items != n_items for h in history):
        raise ValueError(
            f"every round in history must cover the same items; got item counts "
            f"{[h.n_items for h in history]}"
        )
    if not isinstance(rule, ConsensusRule):
        raise ValueError(f"rule must be a ConsensusRule; got {type(rule).__name__}")
    if isinstance(max_rounds, (bool, np.bool_)) or not isinstance(max_rounds, (int, np.integer)):
        raise ValueError(f"max_rounds must be a whole number >= 1; got {max_rounds!r}")
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1; got {max_rounds}")
    if active is None:
        mask = np.ones(n_items, dtype=bool)
    else:
        mask = np.asarray(active)
        if mask.dtype != bool or mask.shape != (n_items,):
            raise ValueError(
                f"active must be a boolean array with one entry per item ({n_items}); got "
                f"dtype {mask.dtype} and shape {mask.shape}"
            )
    if stability is not None:
        if not isinstance(stability, StabilityResult):
            raise ValueError(
                f"stability must be a StabilityResult (delphi.stability); got "
                f"{type(stability).__name__}"
            )
        if stability.p.shape[0] != n_items:
            raise ValueError(
                f"stability covers {stability.p.shape[0]} items but history has {n_items}"
            )

    consensus = rule.evaluate(history[-1])
    idx = np.flatnonzero(mask)
    reached = consensus.reached[idx]
    reasons = []
    if reached.all():
        reasons.append("consensus")
    n_stable = unstable = not_judged = None
    if stability is not None:
        st = stability.stable[idx]
        n_stable = int(st.sum())
        unstable = tuple(int(i) for i in idx[~st])
        not_judged = tuple(int(i) for i in idx[~stability.judged[idx]])
        if st.all():
            reasons.append("stable")
    if len(history) >= max_rounds:
        reasons.append("max_rounds")
    return StopDecision(
        stop=bool(reasons),
        reason=reasons[0] if reasons else "continue",
        reasons=tuple(reasons),
        round=len(history),
        max_rounds=int(max_rounds),
        n_items=int(idx.size),
        n_consensus=int(reached.sum()),
        n_stable=n_stable,
        pending=tuple(int(i) for i in idx[~reached]),
        unstable=unstable,
        consensus=consensus,
        not_judged=not_judged,
    )
