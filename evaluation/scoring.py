"""The seed's scoring model and its star grades (section 5.2.5 and 5.2.8).

``T_i = Σ_n score_n · w_n`` within each element and ``T = Σ_i T_i · S_i``;
computed for every node of the hierarchy at once, vectorised over objects.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from .results import GradeResult, ScoreResult
from .weightset import WeightTree

__all__ = ["score", "grade", "check_bands", "DEFAULT_BANDS", "DEFAULT_SCALE",
           "COVERAGE_THRESHOLD", "LowCoverageWarning", "scores_to_matrix"]

#: The default star bands: ``rating`` in the seed hierarchy
#: (``webapp/data/seed-indicators.json``; the seed fixes five grades, not the bands).
DEFAULT_BANDS = (
    {"stars": 5, "min": 90.0},
    {"stars": 4, "min": 80.0},
    {"stars": 3, "min": 70.0},
    {"stars": 2, "min": 60.0},
    {"stars": 1, "min": 0.0},
)
#: The default score scale (the seed's ``scale_max`` 100).
DEFAULT_SCALE = (0.0, 100.0)
#: Coverage below which a total is flagged: the JRC/COIN rule of thumb (65 % of the weight with data).
COVERAGE_THRESHOLD = 0.65
MISSING_POLICIES = ("refuse", "reweight")


class LowCoverageWarning(UserWarning):
    """A total rests on less than the coverage threshold of the weight."""


def _check_scale(scale, name="scale"):
    if scale is None:
        return None
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers or None; got {scale!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must satisfy low < high (finite); got {scale!r}")
    return (lo, hi)


def scores_to_matrix(tree: WeightTree, scores, *, objects=None, name: str = "scores"):
    """Turn ``{object: {leaf code: score}}`` into ``(objects, matrix)`` with NaN for missing.

    A 2-D array is also accepted (columns in ``tree.leaves`` order).  Raises
    ``ValueError`` naming ``scores`` for unknown codes, codes of non-leaf
    nodes and values that are not numbers.  ``None``, ``""`` and NaN are missing.
    """
    leaves = tree.leaves
    if isinstance(scores, Mapping):
        objs = tuple(str(o) for o in scores)
        if not objs:
            raise ValueError(f"{name} must contain at least one object")
        leafset = set(leaves)
        mat = np.full((len(objs), len(leaves)), np.nan)
        for i, (obj, row) in enumerate(scores.items()):
            if not isinstance(row, Mapping):
                raise ValueError(f"{name}[{obj!r}] must map leaf codes to scores")
            extra = row.keys() - leafset
            if extra:
                code = sorted(extra)[0]
                kind = "not a leaf (its score is computed)" if code in tree.codes else "unknown"
                raise ValueError(f"{name}[{obj!r}]: indicator code {code!r} is {kind}; "
                                 f"scores are given for the leaves {list(leaves[:5])}…")
            cells = [row.get(c) for c in leaves]
            try:
                mat[i] = np.array(cells, dtype=float)        # None -> NaN; numbers and numeric strings
            except (TypeError, ValueError):
                for j, value in enumerate(cells):
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    try:
                        mat[i, j] = float(value)
                    except (TypeError, ValueError):
                        raise ValueError(f"{name}[{obj!r}][{leaves[j]!r}] must be a number; "
                                         f"got {value!r}") from None
        if len(set(objs)) != len(objs):
            raise ValueError(f"{name}: object names must be unique")
        return objs, mat
    mat = np.array(scores, dtype=float, copy=True)
    if mat.ndim != 2 or mat.shape[1] != len(leaves):
        raise ValueError(f"{name} must be a mapping or an array of shape (m, {len(leaves)}) "
                         f"(columns = leaves); got shape {mat.shape}")
    objs = tuple(str(o) for o in objects) if objects is not None else tuple(str(i + 1) for i in range(len(mat)))
    if len(objs) != len(mat):
        raise ValueError(f"objects must name the {len(mat)} rows of {name}; got {len(objs)} names")
    return objs, mat


def _check_on_scale(mat, objs, leaves, scale, name="scores"):
    if np.isinf(mat).any():
        i, j = np.argwhere(np.isinf(mat))[0]
        raise ValueError(f"{name}[{objs[i]!r}][{leaves[j]!r}] must be finite")
    if scale is None:
        return
    bad = (mat < scale[0]) | (mat > scale[1])
    if bad.any():
        cells = [f"{objs[i]}/{leaves[j]}={mat[i, j]:g}" for i, j in np.argwhere(bad)[:5]]
        raise ValueError(f"{name} must lie on the scale [{scale[0]:g}, {scale[1]:g}]; "
                         f"{int(bad.sum())} off the scale: {', '.join(cells)}")


def _subtotals(tree: WeightTree, mat: np.ndarray, reweight: bool) -> np.ndarray:
    """Bottom-up weighted means over children, vectorised over objects (one product per level)."""
    m, n = len(mat), len(tree.codes)
    values = np.full((m, n), np.nan)
    values[:, tree.leaf_index] = mat
    child = tree.child_matrix()
    for d in range(int(tree.depth.max()) - 1, -1, -1):
        idx = np.flatnonzero((tree.depth == d) & (child.sum(axis=1) > 0))
        if idx.size == 0:
            continue
        w = child[idx].T                      # (n, p)
        present = ~np.isnan(values)
        num = np.where(present, values, 0.0) @ w
        if reweight:
            den = present.astype(float) @ w
            with np.errstate(invalid="ignore", divide="ignore"):
                values[:, idx] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        else:
            values[:, idx] = num
    return values


def score(weight_set, scores, *, missing: str = "refuse", scale=DEFAULT_SCALE,
          coverage_threshold: float = COVERAGE_THRESHOLD, hierarchy=None, objects=None) -> ScoreResult:
    r"""Score evaluated objects with a weight set: the seed's :math:`T = \sum_i T_i S_i`.

    Every node's score is the weighted mean of its children's scores with the
    local weights, so for the first-level elements and the total

    .. math::

        T_i = \sum_{n \in i} s_n\, w_n, \qquad T = \sum_i T_i\, S_i = \sum_{\text{leaves } j} g_j\, s_j ,

    with :math:`w_n` the weights within element :math:`i`, :math:`S_i` the
    element weights and :math:`g_j` the global leaf weights (section 5.2.5 of
    the seed standard).  Subtotals stay on the scores' scale.

    Parameters
    ----------
    weight_set : mapping or WeightTree
        A parsed ``weight-set/1`` document (validated) or a :class:`WeightTree`.
    scores : mapping or array_like
        ``{object: {leaf code: score}}``; ``None``/NaN/``""`` is a missing
        score.  Or an array ``(m, leaves)`` with columns in ``tree.leaves`` order.
    missing : {"refuse", "reweight"}
        ``"refuse"`` (default) raises ``ValueError`` listing the missing scores;
        ``"reweight"`` renormalises each sibling group over the children that
        have data (a node without data drops out of its parent the same way).
        Missing scores are never taken as 0.
    scale : (low, high) or None
        Scores outside it are refused; default ``(0, 100)``.
    coverage_threshold : float
        Objects whose *coverage* (share of global weight with data,
        :math:`\sum_j g_j [s_j \text{ present}]`) is below it are flagged and a
        :class:`LowCoverageWarning` is issued (0.65: the JRC rule of thumb).
    hierarchy : mapping, optional
        The hierarchy the weight set must match (see :meth:`WeightTree.from_dict`).
    objects : sequence of str, optional
        Row names when ``scores`` is an array.

    Returns
    -------
    ScoreResult

    Raises
    ------
    ValueError
        Naming ``weight_set``, ``scores``, ``missing``, ``scale`` or
        ``coverage_threshold``: unknown or non-leaf codes, values off the scale
        or not numbers, missing scores under ``"refuse"``, an object without any
        score, a weight set that breaks its rules or does not match ``hierarchy``.

    References
    ----------
    T/CAQI (group standard) 检验检测公共技术服务平台服务质量评价指南, 5.2.5.
    OECD/JRC (2008), Handbook on Constructing Composite Indicators,
    https://doi.org/10.1787/9789264043466-en (missing data, re-weighting).

    Examples
    --------
    >>> from evaluation import WeightTree, score
    >>> t = WeightTree.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "A2": "A"},
    ...                             {"A": 0.6, "B": 0.4, "A1": 0.5, "A2": 0.5})
    >>> r = score(t, {"P1": {"A1": 80, "A2": 60, "B": 90}})
    >>> float(r.total[0]), r.element_scores[0].tolist()
    (78.0, [70.0, 90.0])
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}; got {missing!r}")
    try:
        threshold = float(coverage_threshold)
    except (TypeError, ValueError):
        threshold = np.nan
    if not 0 <= threshold <= 1:
        raise ValueError(f"coverage_threshold must lie in [0, 1]; got {coverage_threshold!r}")
    scale = _check_scale(scale)
    tree = WeightTree.from_dict(weight_set, hierarchy=hierarchy)
    objs, mat = scores_to_matrix(tree, scores, objects=objects)
    _check_on_scale(mat, objs, tree.leaves, scale)
    present = ~np.isnan(mat)
    lacking = {o: [tree.leaves[j] for j in np.flatnonzero(~present[i])] for i, o in enumerate(objs)}
    if missing == "refuse" and not present.all():
        listed = "; ".join(f"{o}: {', '.join(v[:6])}{'…' if len(v) > 6 else ''}"
                           for o, v in lacking.items() if v)
        raise ValueError(f"scores are missing ({int((~present).sum())} cells; pass missing='reweight' "
                         f"to re-weight over the indicators present): {listed}")
    sub = tree.subtree_matrix()
    coverage = present @ tree.glob[tree.leaf_index]
    empty = [o for o, c in zip(objs, present.any(axis=1)) if not c]
    if empty:
        raise ValueError(f"scores: objects {empty} have no score at all")
    values = _subtotals(tree, mat, reweight=(missing == "reweight"))
    element_cov = present @ sub[tree.element_index].T
    low = coverage < threshold - 1e-12
    if low.any():
        warnings.warn(
            f"coverage below {threshold:.0%} of the weight for {[o for o, f in zip(objs, low) if f]}",
            LowCoverageWarning, stacklevel=2)
    return ScoreResult(
        objects=objs, codes=tree.codes, elements=tree.elements, leaves=tree.leaves,
        total=values[:, 0].copy(), subtotals=values, element_scores=values[:, tree.element_index],
        coverage=coverage, element_coverage=element_cov, missing=lacking, low_coverage=low,
        coverage_threshold=threshold, missing_policy=missing, scale=scale)


def check_bands(bands=None, *, scale=DEFAULT_SCALE) -> tuple:
    """Validate star bands; return them highest first as ``{"stars", "min", "max"}``.

    Bands are ``[{"stars": 5, "min": 90}, …]`` (optionally with ``"max"``) or
    the seed's ``rating`` object ``{"scale_max": 100, "stars": [...]}``.  Band
    ``k`` covers ``[min_k, min_{k+1})``; the top band reaches the scale's top.
    They must cover ``scale`` without gaps or overlaps, and more stars must mean
    a higher band.

    Raises
    ------
    ValueError
        Naming ``bands``: a gap at the bottom of the scale or between two bands,
        an overlap, duplicate minima or stars, stars not increasing with the score.

    Examples
    --------
    >>> [b["max"] for b in check_bands()]
    [100.0, 90.0, 80.0, 70.0, 60.0]
    >>> check_bands([{"stars": 2, "min": 50}, {"stars": 1, "min": 10}])
    Traceback (most recent call last):
    ...
    ValueError: bands leave a gap: scores in [0, 10) get no grade
    """
    if bands is None:
        bands = DEFAULT_BANDS
    if isinstance(bands, Mapping):
        if "scale_max" in bands and scale is not None:
            scale = (float(scale[0]), float(bands["scale_max"]))
        bands = bands.get("stars")
    scale = _check_scale(scale)
    if not isinstance(bands, (list, tuple)) or not bands:
        raise ValueError("bands must be a non-empty list of {'stars': int, 'min': number}")
    clean = []
    for b in bands:
        if not isinstance(b, Mapping) or "stars" not in b or "min" not in b:
            raise ValueError(f"bands: each band needs 'stars' and 'min'; got {b!r}")
        try:
            stars, lo = int(b["stars"]), float(b["min"])
            hi = None if b.get("max") is None else float(b["max"])
        except (TypeError, ValueError):
            raise ValueError(f"bands: 'stars' must be an integer and 'min'/'max' numbers; got {b!r}") from None
        if stars != b["stars"] or stars < 0 or not np.isfinite(lo) or (hi is not None and not hi > lo):
            raise ValueError(f"bands: invalid band {b!r} (stars a non-negative integer, min < max)")
        clean.append({"stars": stars, "min": lo, "max": hi})
    clean.sort(key=lambda b: -b["min"])
    for upper, lower in zip(clean, clean[1:]):
        if upper["min"] == lower["min"]:
            raise ValueError(f"bands: two bands start at {upper['min']:g}")
        if upper["stars"] <= lower["stars"]:
            raise ValueError("bands: a higher band must give more stars "
                             f"({upper['stars']} stars from {upper['min']:g}, {lower['stars']} from {lower['min']:g})")
        if lower["max"] is not None and lower["max"] != upper["min"]:
            what = "gap" if lower["max"] < upper["min"] else "overlap"
            raise ValueError(f"bands leave a {what}: [{min(lower['max'], upper['min']):g}, "
                             f"{max(lower['max'], upper['min']):g}) between {lower['stars']} and "
                             f"{upper['stars']} stars")
        lower["max"] = upper["min"]
    top = clean[0]
    if scale is not None:
        if clean[-1]["min"] > scale[0]:
            raise ValueError(f"bands leave a gap: scores in [{scale[0]:g}, {clean[-1]['min']:g}) get no grade")
        if top["max"] is not None and top["max"] < scale[1]:
            raise ValueError(f"bands leave a gap: scores in ({top['max']:g}, {scale[1]:g}] get no grade")
        if top["min"] >= scale[1]:
            raise ValueError(f"bands: the top band starts at {top['min']:g}, not below the scale's top {scale[1]:g}")
        top["max"] = scale[1] if top["max"] is None else top["max"]
    elif top["max"] is None:
        top["max"] = np.inf
    return tuple(clean)


def grade(total, bands=None, *, scale=DEFAULT_SCALE) -> GradeResult:
    r"""Star grade of each total: the band :math:`[\min_k, \min_{k+1})` it falls in.

    .. math::

        \text{stars}(T) = s_k \quad\text{for}\quad \min_k \le T < \min_{k+1}

    (the top band includes the top of the scale).  The seed fixes five grades
    (five stars to one star, 5.2.8) but no bands; the default bands are the
    seed hierarchy's ``rating`` (90/80/70/60 on a 100 scale).

    Parameters
    ----------
    total : float or array_like
        Totals on ``scale``.
    bands : list of dict or mapping, optional
        See :func:`check_bands`; default :data:`DEFAULT_BANDS`.
    scale : (low, high) or None
        Totals outside it are refused; bands must cover it.

    Returns
    -------
    GradeResult

    Raises
    ------
    ValueError
        Naming ``total`` (NaN or off the scale) or ``bands`` (see :func:`check_bands`).

    Examples
    --------
    >>> g = grade([95.0, 89.99, 60.0, 12.0])
    >>> g.stars.tolist(), g.label
    ([5, 4, 2, 1], ['★★★★★', '★★★★☆', '★★☆☆☆', '★☆☆☆☆'])
    """
    if isinstance(bands, Mapping) and "scale_max" in bands and scale is not None:
        scale = (float(scale[0]), float(bands["scale_max"]))
    checked = check_bands(bands, scale=scale)
    scale = _check_scale(scale)
    t = np.asarray(total, dtype=float)
    if np.isnan(t).any():
        raise ValueError("total must not contain NaN (an object without a total has no grade)")
    if scale is not None and ((t < scale[0]) | (t > scale[1])).any():
        raise ValueError(f"total must lie on the scale [{scale[0]:g}, {scale[1]:g}]")
    asc = checked[::-1]
    mins = np.array([b["min"] for b in asc])
    idx = np.searchsorted(mins, t, side="right") - 1
    if (idx < 0).any():
        raise ValueError(f"total below the lowest band ({mins[0]:g})")
    stars = np.array([b["stars"] for b in asc])[idx]
    lo, hi = mins[idx], np.array([b["max"] for b in asc])[idx]
    if t.ndim == 0:
        return GradeResult(total=float(t), stars=int(stars), band_min=float(lo), band_max=float(hi), bands=checked)
    return GradeResult(total=t, stars=stars, band_min=lo, band_max=hi, bands=checked)
