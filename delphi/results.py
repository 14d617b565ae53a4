"""Frozen result objects returned by :mod:`delphi`.

All array fields are read-only numpy arrays with one entry per item (or per
expert for :class:`AuthorityResult`). Each result has ``to_dict()``, which
returns plain Python values ready for JSON: arrays become lists, ``NaN``
becomes ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = [
    "ItemStatistics",
    "ConcordanceResult",
    "AuthorityResult",
    "ConsensusResult",
    "StabilityResult",
    "StopDecision",
    "RatingsTable",
]


def _plain(value):
    """Convert numpy values to JSON-friendly Python values (NaN -> None)."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _freeze(obj) -> None:
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
        elif isinstance(v, dict):
            for a in v.values():
                if isinstance(a, np.ndarray):
                    a.setflags(write=False)


class _Result:
    def __post_init__(self):
        _freeze(self)

    def to_dict(self) -> dict:
        """The fields as plain Python values (lists, floats, ``None`` for NaN)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class ItemStatistics(_Result):
    """Per-item descriptive statistics of one round (see :func:`delphi.item_stats`).

    Attributes
    ----------
    n : ndarray of int
        Number of experts who rated the item.
    mean, sd, cv : ndarray of float
        Mean, sample standard deviation (ddof=1) and coefficient of variation
        ``sd / mean`` (NaN when the mean is 0 or fewer than 2 ratings).
    median, q1, q3, iqr : ndarray of float
        Quartiles by linear interpolation (numpy ``method="linear"``, R type 7,
        Excel QUARTILE.INC) and ``iqr = q3 - q1``.
    agreement : ndarray of float
        Share of ratings ``>= agree_at`` (认同率).
    full_score : ndarray of float
        Share of ratings equal to ``scale_max`` (满分频率).
    scale_min, scale_max, agree_at : float
        The scale and agreement cut-off used.
    quantile_method : str
        Always ``"linear"`` (R type 7).
    """

    n: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    cv: np.ndarray
    median: np.ndarray
    q1: np.ndarray
    q3: np.ndarray
    iqr: np.ndarray
    agreement: np.ndarray
    full_score: np.ndarray
    scale_min: float
    scale_max: float
    agree_at: float
    quantile_method: str = "linear"

    STAT_NAMES = (
        "n", "mean", "sd", "cv", "median", "q1", "q3", "iqr", "agreement", "full_score",
    )

    @property
    def n_items(self) -> int:
        return int(self.n.shape[0])

    def to_rows(self, labels=None) -> list[dict]:
        """One dict per item, for tables and exports.

        Parameters
        ----------
        labels : sequence, optional
            Item labels (e.g. indicator codes), one per item; defaults to the
            item index. Stored under the key ``"item"``.

        Returns
        -------
        list of dict
            Keys ``item``, ``n``, ``mean``, ``sd``, ``cv``, ``median``, ``q1``,
            ``q3``, ``iqr``, ``agreement``, ``full_score``; NaN becomes ``None``.
        """
        if labels is None:
            labels = range(self.n_items)
        labels = list(labels)
        if len(labels) != self.n_items:
            raise ValueError(
                f"labels must have one entry per item ({self.n_items}); got {len(labels)}"
            )
        columns = {name: _plain(getattr(self, name)) for name in self.STAT_NAMES}
        return [
            {"item": label, **{name: columns[name][j] for name in self.STAT_NAMES}}
            for j, label in enumerate(labels)
        ]


@dataclass(frozen=True, eq=False)
class ConcordanceResult(_Result):
    """Kendall's coefficient of concordance for one round (see :func:`delphi.kendall_w`).

    Attributes
    ----------
    w : float
        The coefficient reported (tie-corrected when ``correct_ties``).
    w_corrected, w_uncorrected : float
        Both versions; SPSS reports the tie-corrected one.
    chi2, df, p : float, int, float
        ``chi2 = m_used * (n_items - 1) * w``, ``df = n_items - 1``,
        ``p = chi2.sf(chi2, df)``.
    m_used, m_dropped : int
        Experts used and left out: with ``missing="listwise"`` the complete rows
        and those with any missing rating; with ``"midrank"`` the experts who
        rated at least two items and the rest.
    n_items : int
        Number of items ranked.
    ties : float
        ``sum over experts of sum(t**3 - t)`` over tie groups (complete rows).
    correct_ties : bool
        Which version ``w``, ``chi2`` and ``p`` refer to.
    missing : str
        ``"listwise"`` or ``"midrank"`` (see :func:`delphi.kendall_w`).
    """

    w: float
    w_corrected: float
    w_uncorrected: float
    chi2: float
    df: int
    p: float
    m_used: int
    m_dropped: int
    n_items: int
    ties: float
    correct_ties: bool
    missing: str = "listwise"

    @property
    def m_total(self) -> int:
        """Experts given (used + left out)."""
        return self.m_used + self.m_dropped


@dataclass(frozen=True, eq=False)
class AuthorityResult(_Result):
    """Expert authority coefficients (see :func:`delphi.authority`).

    Attributes
    ----------
    ca, cs, cr : ndarray of float
        Per expert: judgment basis Ca, familiarity Cs, authority
        ``Cr = (Ca + Cs) / 2``.
    mean, mean_ca, mean_cs : float
        Panel means of Cr, Ca and Cs.
    threshold : float
        The acceptance threshold (default 0.7).
    acceptable : bool
        ``mean >= threshold``.
    expert_acceptable : ndarray of bool
        ``cr >= threshold`` per expert.
    """

    ca: np.ndarray
    cs: np.ndarray
    cr: np.ndarray
    mean: float
    mean_ca: float
    mean_cs: float
    threshold: float
    acceptable: bool
    expert_acceptable: np.ndarray


@dataclass(frozen=True, eq=False)
class ConsensusResult(_Result):
    """Outcome of :meth:`delphi.ConsensusRule.evaluate` for one round.

    Attributes
    ----------
    reached : ndarray of bool
        Per item, whether consensus is reached under the rule.
    failed : tuple of tuple of str
        Per item, the names of the criteria the item fails (e.g.
        ``("mean_min", "cv_max")``); empty when all criteria pass. NaN
        statistics (an item nobody rated) fail every criterion.
    passed : dict of str to ndarray of bool
        Per criterion, which items pass it.
    combine : str
        ``"all"`` or ``"any"``.
    rule : dict
        The rule as stored (:meth:`ConsensusRule.to_dict`).
    """

    reached: np.ndarray
    failed: tuple
    passed: dict
    combine: str
    rule: dict

    @property
    def n_reached(self) -> int:
        return int(self.reached.sum())

    @property
    def all_reached(self) -> bool:
        return bool(self.reached.all())


@dataclass(frozen=True, eq=False)
class StabilityResult(_Result):
    """Between-round stability per item (see :func:`delphi.stability`).

    Attributes
    ----------
    n_paired : ndarray of int
        Experts who rated the item in both rounds.
    changed : ndarray of float
        Share of those experts whose rating changed (NaN when ``n_paired`` is 0).
    cv_previous, cv_current, cv_change : ndarray of float
        CV of each round over everyone who rated the item in that round, and
        ``cv_current - cv_previous``.
    statistic : ndarray of float
        scipy's two-sided Wilcoxon statistic ``min(W+, W-)`` (NaN when not
        tested; R's ``V`` is ``W+``).
    p : ndarray of float
        Two-sided Wilcoxon signed-rank p-value on the paired ratings; 1.0 when
        every paired difference is zero, NaN when ``n_paired`` is 0.
    stable : ndarray of bool
        ``p >= alpha`` (not significant) and ``judged``; False when ``p`` is NaN.
    alpha : float
    zero_method, method : str
    correction : bool
        The Wilcoxon settings used.
    judged : ndarray of bool
        ``n_paired >= min_paired``: enough paired answers to judge stability.
    min_paired : int
    """

    n_paired: np.ndarray
    changed: np.ndarray
    cv_previous: np.ndarray
    cv_current: np.ndarray
    cv_change: np.ndarray
    statistic: np.ndarray
    p: np.ndarray
    stable: np.ndarray
    alpha: float
    zero_method: str
    correction: bool
    method: str
    judged: np.ndarray
    min_paired: int

    @property
    def all_stable(self) -> bool:
        return bool(self.stable.all())


@dataclass(frozen=True, eq=False)
class StopDecision(_Result):
    """Whether a Delphi study may stop after the latest round (see :func:`delphi.stopping`).

    Attributes
    ----------
    stop : bool
        True when the study may stop.
    reason : str
        ``"consensus"`` (every active item reached consensus), ``"stable"``
        (every active item is stable between the last two rounds),
        ``"max_rounds"`` (the round limit is reached) or ``"continue"``.
        When several hold, the first in this order is given.
    reasons : tuple of str
        Every condition that holds (empty when ``reason == "continue"``).
    round : int
        Number of rounds seen (``len(history)``).
    max_rounds : int
    n_items : int
        Active items considered.
    n_consensus : int
        Active items with consensus in the latest round.
    n_stable : int or None
        Active stable items, ``None`` when no stability result was given.
    pending : tuple of int
        Indices of active items without consensus.
    unstable : tuple of int or None
        Indices of active items that are not stable (``None`` without stability).
    consensus : ConsensusResult
        The rule evaluated on the latest round (all items).
    not_judged : tuple of int or None
        Indices of active items with too few paired answers to judge stability
        (fewer than the stability's ``min_paired``); ``None`` without stability.
    """

    stop: bool
    reason: str
    reasons: tuple
    round: int
    max_rounds: int
    n_items: int
    n_consensus: int
    n_stable: int | None
    pending: tuple
    unstable: tuple | None
    consensus: ConsensusResult
    not_judged: tuple | None = None


@dataclass(frozen=True, eq=False)
class RatingsTable(_Result):
    """A ratings matrix with its row and column labels (see :func:`delphi.ratings_matrix`).

    Attributes
    ----------
    ratings : ndarray of float, shape (n_experts, n_items)
        NaN where an expert did not rate an item.
    experts : tuple
        Row labels.
    items : tuple
        Column labels.
    """

    ratings: np.ndarray
    experts: tuple
    items: tuple
