"""Configurable consensus rules (达成共识 / 指标筛选标准) applied to item statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._validation import THRESHOLD_TOL, check_probability, check_scale, is_number
from .results import ConsensusResult, ItemStatistics

__all__ = ["ConsensusRule", "CRITERIA", "PRESETS", "PRESET_SOURCES"]

#: Criterion name -> (ItemStatistics attribute, "min" or "max").
CRITERIA = {
    "mean_min": ("mean", "min"),
    "median_min": ("median", "min"),
    "iqr_max": ("iqr", "max"),
    "cv_max": ("cv", "max"),
    "agreement_min": ("agreement", "min"),
    "full_score_min": ("full_score", "min"),
}

#: Preset name -> keyword arguments of :class:`ConsensusRule`.
PRESETS = {
    "cn-standard": {
        "mean_min": 3.5,
        "cv_max": 0.25,
        "strict": ("mean_min", "cv_max"),
        "combine": "all",
        "scale": (1, 5),
        "agree_at": 4,
    },
    "iqr-agreement": {
        "iqr_max": 1.0,
        "agreement_min": 0.70,
        "combine": "all",
        "scale": (1, 5),
        "agree_at": 4,
    },
    "comet": {
        "agreement_min": 0.70,
        "combine": "all",
        "scale": (1, 9),
        "agree_at": 7,
    },
    "agreement-75": {
        "agreement_min": 0.75,
        "combine": "all",
    },
}

#: Preset name -> where the thresholds come from.
PRESET_SOURCES = {
    "cn-standard": (
        "Chinese Delphi screening rule with fixed thresholds (固定阈值): keep an indicator when its mean > 3.5 and its "
        "CV < 0.25 on a 5-point importance scale; the usual textbook rule of Chinese indicator "
        "studies (e.g. 王春枝 & 斯琴 2011 as summarised by SPSSAU). Both comparisons strict."
    ),
    "iqr-agreement": (
        "IQR <= 1 on a 5-point scale (von der Gracht 2012, TFSC 79(8):1525-36, "
        "doi:10.1016/j.techfore.2012.04.013) and percent agreement >= 70%, agreement being a "
        "rating of 4-5 (the 70% threshold as in Diamond et al. 2014). Quartiles are R type 7."
    ),
    "comet": (
        "COMET / GRADE 1-9 scale: consensus in when >= 70% rate the item 7-9 ('critical'; "
        "Williamson et al. 2017, The COMET Handbook v1.0, Trials 18(Suppl 3):280, "
        "doi:10.1186/s13063-017-1978-4). Its second condition (< 15% rating 1-3) is not "
        "part of this preset."
    ),
    "agreement-75": (
        "Percent agreement >= 75%, the median threshold found by Diamond et al. (2014), "
        "J Clin Epidemiol 67(4):401-9, doi:10.1016/j.jclinepi.2013.12.002."
    ),
}

_SYMBOLS = {("min", False): ">=", ("min", True): ">", ("max", False): "<=", ("max", True): "<"}
_DICT_KEYS = set(CRITERIA) | {"strict", "combine", "scale", "name", "version", "agree_at"}


@dataclass(frozen=True)
class ConsensusRule:
    r"""A consensus rule: thresholds on item statistics combined with all/any.

    Each threshold that is set (not ``None``) is one criterion:

    ============== ============================ =========================
    criterion      passes when (default)         with the name in ``strict``
    ============== ============================ =========================
    mean_min       mean >= mean_min              mean > mean_min
    median_min     median >= median_min          median > median_min
    iqr_max        iqr <= iqr_max                iqr < iqr_max
    cv_max         cv <= cv_max                  cv < cv_max
    agreement_min  agreement >= agreement_min    agreement > agreement_min
    full_score_min full_score >= full_score_min  full_score > ...
    ============== ============================ =========================

    So ``*_min`` means "at least" and ``*_max`` "at most" unless the criterion
    is listed in ``strict``. A statistic within 1e-9 of its threshold counts as
    equal to it (so a mean of exactly 3.5 fails ``mean > 3.5`` and a CV that is
    0.25 in decimal arithmetic fails ``cv < 0.25`` whatever its last binary
    digit). An item reaches consensus when all criteria pass
    (``combine="all"``) or at least one does (``combine="any"``). A NaN
    statistic (e.g. an item nobody rated, or ``cv`` with mean 0) fails its
    criterion.

    Parameters
    ----------
    mean_min, median_min, iqr_max, cv_max, agreement_min, full_score_min : float, optional
        Thresholds; ``agreement_min`` and ``full_score_min`` are shares in
        [0, 1] (0.7 for 70%), ``iqr_max`` and ``cv_max`` must be >= 0.
    strict : iterable of str, default ()
        Criteria compared strictly (``>`` / ``<``).
    combine : {"all", "any"}, default "all"
    scale : (float, float), optional
        The rating scale the thresholds were written for, e.g. ``(1, 5)``;
        :meth:`evaluate` refuses statistics computed on another scale.
    name : str, optional
        A label, e.g. the preset name.
    agree_at : float, optional
        The "agree" cut: a rating at or above it counts towards ``agreement``
        (认同率), e.g. 7 for COMET's 7-9 on a 1-9 scale. Must lie on ``scale``
        when both are set. ``None``: the top two points of the round's scale
        (see :meth:`agree_cut`).

    Examples
    --------
    >>> import numpy as np
    >>> import delphi
    >>> r = np.array([[5, 4, 2], [5, 3, 2], [4, 4, 5], [5, 4, 1]])
    >>> stats = delphi.item_stats(r)
    >>> rule = delphi.ConsensusRule.preset("cn-standard")
    >>> rule.describe()
    'mean > 3.5 and cv < 0.25'
    >>> res = rule.evaluate(stats)
    >>> res.reached.tolist()
    [True, True, False]
    >>> res.failed
    ((), (), ('mean_min', 'cv_max'))
    >>> delphi.ConsensusRule.from_dict(rule.to_dict()) == rule
    True
    """

    mean_min: float | None = None
    median_min: float | None = None
    iqr_max: float | None = None
    cv_max: float | None = None
    agreement_min: float | None = None
    full_score_min: float | None = None
    strict: frozenset = field(default_factory=frozenset)
    combine: str = "all"
    scale: tuple | None = None
    name: str | None = None
    agree_at: float | None = None

    def __post_init__(self):
        for crit, (_, kind) in CRITERIA.items():
            value = getattr(self, crit)
            if value is None:
                continue
            if crit in ("agreement_min", "full_score_min"):
                v = check_probability(value, crit)
            else:
                if not is_number(value) or not np.isfinite(float(value)):
                    raise ValueError(f"{crit} must be a finite number or None; got {value!r}")
                v = float(value)
                if kind == "max" and v < 0:
                    raise ValueError(f"{crit} must be >= 0; got {value!r}")
            object.__setattr__(self, crit, v)
        if not self.criteria:
            raise ValueError(
                f"a ConsensusRule needs at least one threshold among {list(CRITERIA)}"
            )
        if isinstance(self.strict, str):
            raise ValueError(
                "strict must be a collection of criterion names, e.g. ('mean_min', 'cv_max')"
            )
        try:
            strict = frozenset(self.strict)
        except TypeError:
            raise ValueError(
                f"strict must be a collection of criterion names; got {self.strict!r}"
            ) from None
        unknown = strict - set(CRITERIA)
        if unknown:
            raise ValueError(
                f"strict names unknown criteria {sorted(map(str, unknown))}; use names from "
                f"{list(CRITERIA)}"
            )
        unset = sorted(c for c in strict if getattr(self, c) is None)
        if unset:
            raise ValueError(f"strict lists criteria that have no threshold: {unset}")
        object.__setattr__(self, "strict", strict)
        if self.combine not in ("all", "any"):
            raise ValueError(f"combine must be 'all' or 'any'; got {self.combine!r}")
        if self.scale is not None:
            try:
                lo, hi = self.scale
            except (TypeError, ValueError):
                raise ValueError(
                    f"scale must be a pair (scale_min, scale_max) or None; got {self.scale!r}"
                ) from None
            lo, hi, _ = check_scale(lo, hi)
            object.__setattr__(self, "scale", (lo, hi))
        if self.name is not None and not isinstance(self.name, str):
            raise ValueError(f"name must be a string or None; got {self.name!r}")
        if self.agree_at is not None:
            if not is_number(self.agree_at) or not np.isfinite(float(self.agree_at)):
                raise ValueError(f"agree_at must be a finite number or None; got {self.agree_at!r}")
            cut = float(self.agree_at)
            if self.scale is not None and not self.scale[0] < cut <= self.scale[1]:
                raise ValueError(
                    f"agree_at must lie on the scale {self.scale} above its lowest point; got {cut:g}"
                )
            object.__setattr__(self, "agree_at", cut)

    def agree_cut(self, scale_min: float, scale_max: float) -> float:
        r"""The rating from which an answer counts as "agree" on a ``scale_min``-``scale_max`` scale.

        :math:`\text{agree\_at}` when the rule sets it, otherwise the top two
        points, :math:`\max(\text{scale\_min}, \text{scale\_max} - 1)` (4-5 of
        5, 8-9 of 9).
        """
        if self.agree_at is not None:
            return self.agree_at
        return float(max(scale_min, scale_max - 1))

    # ------------------------------------------------------------------ views
    @property
    def criteria(self) -> dict:
        """``{criterion: threshold}`` for the thresholds that are set, in canonical order."""
        return {c: getattr(self, c) for c in CRITERIA if getattr(self, c) is not None}

    def operator(self, criterion: str) -> str:
        """The comparison used for ``criterion``: ``">"``, ``">="``, ``"<"`` or ``"<="``."""
        if criterion not in CRITERIA:
            raise ValueError(f"unknown criterion {criterion!r}; use one of {list(CRITERIA)}")
        return _SYMBOLS[(CRITERIA[criterion][1], criterion in self.strict)]

    def describe(self) -> str:
        """The rule in words, e.g. ``'mean > 3.5 and cv < 0.25'``."""
        parts = [
            f"{CRITERIA[c][0]} {self.operator(c)} {t:g}" for c, t in self.criteria.items()
        ]
        return (" and " if self.combine == "all" else " or ").join(parts)

    # ------------------------------------------------------------- evaluation
    def evaluate(self, stats: ItemStatistics) -> ConsensusResult:
        """Apply the rule to one round's :class:`ItemStatistics`.

        Returns
        -------
        ConsensusResult
            ``reached`` (bool per item), ``failed`` (per item, the names of the
            criteria it fails), ``passed`` (per criterion, bool per item).

        Raises
        ------
        ValueError
            If ``stats`` is not an :class:`ItemStatistics`, the rule has a
            ``scale`` different from the one ``stats`` was computed on, or an
            ``agree_at`` different from the one ``stats`` used for ``agreement``.
        """
        if not isinstance(stats, ItemStatistics):
            raise ValueError(
                f"stats must be the ItemStatistics returned by delphi.item_stats; got "
                f"{type(stats).__name__}"
            )
        if self.scale is not None and (stats.scale_min, stats.scale_max) != self.scale:
            raise ValueError(
                f"this rule is written for the scale {self.scale}, but stats were computed on "
                f"({stats.scale_min:g}, {stats.scale_max:g})"
            )
        if (self.agree_at is not None and "agreement_min" in self.criteria
                and stats.agree_at != self.agree_at):
            raise ValueError(
                f"this rule counts agreement from {self.agree_at:g}, but stats were computed with "
                f"agree_at={stats.agree_at:g}"
            )
        passed = {}
        with np.errstate(invalid="ignore"):
            for crit, threshold in self.criteria.items():
                values = getattr(stats, CRITERIA[crit][0])
                op = self.operator(crit)
                if op == ">":
                    ok = values > threshold + THRESHOLD_TOL
                elif op == ">=":
                    ok = values >= threshold - THRESHOLD_TOL
                elif op == "<":
                    ok = values < threshold - THRESHOLD_TOL
                else:
                    ok = values <= threshold + THRESHOLD_TOL
                passed[crit] = ok
        table = np.column_stack(list(passed.values()))
        reached = table.all(axis=1) if self.combine == "all" else table.any(axis=1)
        names = list(passed)
        failed = tuple(
            tuple(name for name, ok in zip(names, row) if not ok) for row in table.tolist()
        )
        return ConsensusResult(
            reached=reached,
            failed=failed,
            passed=passed,
            combine=self.combine,
            rule=self.to_dict(),
        )

    # ---------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        """A plain, JSON-ready dict; :meth:`from_dict` restores an equal rule.

        Thresholds that are not set are left out; ``strict`` is a sorted list.
        """
        out = {"version": 1, "name": self.name, "combine": self.combine}
        out["scale"] = None if self.scale is None else [self.scale[0], self.scale[1]]
        out.update(self.criteria)
        out["strict"] = sorted(self.strict)
        if self.agree_at is not None:
            out["agree_at"] = self.agree_at
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "ConsensusRule":
        """Rebuild a rule stored with :meth:`to_dict`.

        Raises
        ------
        ValueError
            For unknown keys, an unsupported ``version`` or invalid values.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"data must be a mapping as produced by to_dict; got {data!r}")
        unknown = set(data) - _DICT_KEYS
        if unknown:
            raise ValueError(
                f"unknown keys {sorted(map(str, unknown))} in a stored ConsensusRule; allowed: "
                f"{sorted(_DICT_KEYS)}"
            )
        if data.get("version", 1) != 1:
            raise ValueError(f"unsupported ConsensusRule version {data['version']!r}; expected 1")
        kwargs = {k: v for k, v in data.items() if k != "version"}
        if kwargs.get("scale") is not None:
            try:
                kwargs["scale"] = tuple(kwargs["scale"])
            except TypeError:
                raise ValueError(f"scale must be a pair; got {kwargs['scale']!r}") from None
        if "strict" in kwargs and kwargs["strict"] is None:
            kwargs["strict"] = ()
        return cls(**kwargs)

    @classmethod
    def preset(cls, name: str) -> "ConsensusRule":
        """A named preset rule; see :data:`PRESETS` and :data:`PRESET_SOURCES`.

        ``"cn-standard"``: mean > 3.5 and CV < 0.25 on a 1-5 scale (strict).
        ``"iqr-agreement"``: IQR <= 1 and agreement (4-5) >= 0.70 on 1-5.
        ``"comet"``: agreement (7-9) >= 0.70 on 1-9.
        ``"agreement-75"``: agreement >= 0.75.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; available: {sorted(PRESETS)}")
        return cls(name=name, **PRESETS[name])

    @staticmethod
    def presets() -> list:
        """The names of the available presets."""
        return sorted(PRESETS)
