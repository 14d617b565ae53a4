"""Frozen result objects returned by :mod:`evaluation`.

Arrays in a result are read-only; ``to_dict()`` gives a JSON-ready ``dict``
(lists, floats, ``None`` for NaN).  Rows of per-object arrays follow
``objects``; columns follow the codes named in the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from _results import FrozenResult, plain

__all__ = [
    "ScoreResult",
    "GradeResult",
    "IndicatorScores",
    "FCEResult",
    "FCEHierarchyResult",
    "UncertaintyResult",
    "StabilityResult",
]


# The shared base (read-only arrays, JSON-ready to_dict()): one copy for ahp, weighting and
# evaluation in _results/, which needs numpy only.
_Result = FrozenResult
_plain = plain


@dataclass(frozen=True)
class ScoreResult(_Result):
    """Weighted-sum scores of evaluated objects on a weight set (seed 5.2.5).

    Attributes
    ----------
    objects : tuple of str
        The evaluated objects, in the order of the rows.
    codes : tuple of str
        Every node of the hierarchy, root first (depth-first, document order).
    elements : tuple of str
        The first-level nodes (the seed's four elements T1..T4).
    leaves : tuple of str
        The leaf indicators, i.e. the columns that carry scores.
    total : ndarray, shape (m,)
        The total score :math:`T` of each object, on the scores' scale.
    subtotals : ndarray, shape (m, len(codes))
        Each node's score (the weighted mean of its children), NaN where the
        node has no data; ``subtotals[:, 0] == total``.
    element_scores : ndarray, shape (m, len(elements))
        :math:`T_i` of each first-level element.
    coverage : ndarray, shape (m,)
        Share of the total (global) weight carried by leaves with a score.
    element_coverage : ndarray, shape (m, len(elements))
        The same share within each element.
    missing : dict
        ``{object: [leaf codes without a score]}`` (empty lists included).
    low_coverage : ndarray of bool, shape (m,)
        ``coverage < coverage_threshold``.
    coverage_threshold : float
        The warning threshold (0.65 by default, the JRC rule of thumb).
    missing_policy : str
        ``"refuse"`` or ``"reweight"``.
    scale : tuple of float or None
        The score scale checked, e.g. ``(0.0, 100.0)``.
    """

    objects: tuple
    codes: tuple
    elements: tuple
    leaves: tuple
    total: np.ndarray
    subtotals: np.ndarray
    element_scores: np.ndarray
    coverage: np.ndarray
    element_coverage: np.ndarray
    missing: dict
    low_coverage: np.ndarray
    coverage_threshold: float
    missing_policy: str
    scale: tuple | None

    def subtotal(self, obj: str, code: str) -> float:
        """Score of node ``code`` for object ``obj``."""
        return float(self.subtotals[self.objects.index(obj), self.codes.index(code)])

    def rows(self) -> list[dict]:
        """One plain dict per object: ``object``, ``total``, ``elements`` {code: T_i}, ``coverage``, ``missing``."""
        out = []
        for i, obj in enumerate(self.objects):
            out.append({
                "object": obj,
                "total": _plain(self.total[i]),
                "elements": {c: _plain(self.element_scores[i, k]) for k, c in enumerate(self.elements)},
                "coverage": _plain(self.coverage[i]),
                "low_coverage": bool(self.low_coverage[i]),
                "missing": list(self.missing[obj]),
            })
        return out


@dataclass(frozen=True)
class GradeResult(_Result):
    """Star grades of totals from score bands.

    Attributes
    ----------
    total : float or ndarray
        The graded totals.
    stars : int or ndarray of int
        Number of stars of each total.
    band_min, band_max : float or ndarray
        The bounds ``[min, max)`` of the band each total falls in (the top band
        includes its maximum).
    bands : tuple of dict
        The validated bands, highest first: ``{"stars", "min", "max"}``.
    """

    total: object
    stars: object
    band_min: object
    band_max: object
    bands: tuple

    @property
    def label(self):
        """``"★★★★☆"``-style labels (a str, or a list for an array of totals)."""
        top = max(b["stars"] for b in self.bands)
        if np.ndim(self.stars) == 0:
            return _stars_label(int(self.stars), top)
        return [_stars_label(int(s), top) for s in np.ravel(self.stars)]

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["label"] = self.label
        return out


def _stars_label(stars: int, top: int) -> str:
    return "★" * stars + "☆" * max(top - stars, 0)


@dataclass(frozen=True)
class IndicatorScores(_Result):
    """Raw indicator values turned into scores by a scoring rule.

    Attributes
    ----------
    values : ndarray
        The raw values as given (object dtype for rubric levels).
    scores : ndarray of float
        The scores on ``[0, max_score]``; NaN where the value was missing.
    clipped : ndarray of bool
        Values beyond the goalposts, whose score was clipped to 0 or ``max_score``.
    rule : dict
        The validated rule (kind and parameters), to be stored with the result.
    """

    values: np.ndarray
    scores: np.ndarray
    clipped: np.ndarray
    rule: dict


@dataclass(frozen=True)
class FCEResult(_Result):
    """Fuzzy comprehensive evaluation :math:`B = A \\circ R` of one object (or a stack).

    Attributes
    ----------
    operator : str
        The fuzzy operator used, e.g. ``"M(·,+)"``.
    b : ndarray, shape (..., g)
        The normalised evaluation vector :math:`B` (sums to 1).
    b_raw : ndarray, shape (..., g)
        :math:`B` before normalisation.
    grade : int or ndarray
        Index of the grade of maximum membership (0 = first grade).
    tie : bool or ndarray
        Whether two grades share the maximum membership (the first is reported).
    score : float, ndarray or None
        :math:`B \\cdot C` when grade values ``C`` were given.
    by_operator : dict
        ``{operator: {"grade": ..., "score": ...}}`` for every operator.
    operators_agree : bool or ndarray
        Whether every operator gives the same max-membership grade.
    grades : tuple of str or None
        The grade labels, if given.
    """

    operator: str
    b: np.ndarray
    b_raw: np.ndarray
    grade: object
    tie: object
    score: object
    by_operator: dict
    operators_agree: object
    grades: tuple | None


@dataclass(frozen=True)
class FCEHierarchyResult(_Result):
    """Multi-level fuzzy comprehensive evaluation up an indicator hierarchy.

    Attributes
    ----------
    operator : str
        The fuzzy operator used at every level.
    objects : tuple of str
        The evaluated objects (rows).
    codes : tuple of str
        Every node, root first.
    b : ndarray, shape (m, len(codes), g)
        The normalised evaluation vector of every node (leaves: their
        normalised membership rows).
    grade : ndarray of int, shape (m,)
        Max-membership grade of the root.
    score : ndarray or None, shape (m,)
        :math:`B_{root} \\cdot C` when grade values were given.
    by_operator : dict
        ``{operator: {"grade": [...], "score": [...]}}`` at the root.
    operators_agree : ndarray of bool, shape (m,)
        Whether every operator gives the root the same grade.
    grades : tuple of str or None
        Grade labels.
    """

    operator: str
    objects: tuple
    codes: tuple
    b: np.ndarray
    grade: np.ndarray
    score: object
    by_operator: dict
    operators_agree: np.ndarray
    grades: tuple | None

    def node(self, obj: str, code: str) -> np.ndarray:
        """Normalised :math:`B` of node ``code`` for object ``obj``."""
        return self.b[self.objects.index(obj), self.codes.index(code)]


@dataclass(frozen=True)
class UncertaintyResult(_Result):
    """Scores, ranks and grades of objects under many plausible weight vectors.

    Attributes
    ----------
    objects : tuple of str
        The evaluated objects (rows).
    samples : int
        Number of weight vectors used.
    level : float
        Coverage of the reported intervals (e.g. 0.9 for the 5th-95th percentiles).
    score_mean : ndarray, shape (m,)
    score_interval : ndarray, shape (m, 2)
        Percentile interval of each object's total.
    rank_interval : ndarray of int, shape (m, 2)
        Percentile interval of each object's rank (1 = best; ties share the best rank).
    rank_range : ndarray of int, shape (m, 2)
        Best and worst rank over all samples.
    rank_mode : ndarray of int, shape (m,)
        The most frequent rank.
    stars : tuple of int
        The star grades, highest first (columns of the probabilities).
    grade_probability : ndarray, shape (m, len(stars))
        Share of samples giving each star grade.
    at_least_probability : ndarray, shape (m, len(stars))
        Share of samples giving that many stars *or better*.
    """

    objects: tuple
    samples: int
    level: float
    score_mean: np.ndarray
    score_interval: np.ndarray
    rank_interval: np.ndarray
    rank_range: np.ndarray
    rank_mode: np.ndarray
    stars: tuple
    grade_probability: np.ndarray
    at_least_probability: np.ndarray


@dataclass(frozen=True)
class StabilityResult(_Result):
    """How far each weight can move before the ranking or a grade changes.

    Exact breakpoints of a weighted sum when one weight moves to ``x`` and its
    siblings are rescaled proportionally (so none turns negative).

    Attributes
    ----------
    codes : tuple of str
        The weights examined (every non-root node, or the columns of a flat set).
    weights : ndarray
        Their current (local) values.
    rank_interval : ndarray, shape (n, 2)
        ``[lo, hi]`` within which no two objects swap rank.
    grade_interval : ndarray, shape (n, 2)
        ``[lo, hi]`` within which no object changes grade (``[0, 1]`` without bands).
    interval : ndarray, shape (n, 2)
        The intersection: ranking and grades both hold.
    low_event, high_event : tuple of str
        What happens at each end (``"rank: P3 ↔ P1"``, ``"grade: P2"`` or ``""``).
    fixed : ndarray of bool
        Weights that cannot move (an only child: its local weight is always 1).
    method : str
        ``"exact"`` (closed-form breakpoints).
    """

    codes: tuple
    weights: np.ndarray
    rank_interval: np.ndarray
    grade_interval: np.ndarray
    interval: np.ndarray
    low_event: tuple
    high_event: tuple
    fixed: np.ndarray
    method: str
