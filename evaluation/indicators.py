"""From raw indicator data to scores: goalposts, targets and rubrics."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .results import IndicatorScores

__all__ = ["score_indicator", "RULE_KINDS"]

RULE_KINDS = ("direct", "benefit", "cost", "target", "rubric")


def _num(rule, key):
    if key not in rule:
        raise ValueError(f"rule of kind {rule.get('kind')!r} needs {key!r}")
    try:
        v = float(rule[key])
    except (TypeError, ValueError):
        raise ValueError(f"rule[{key!r}] must be a number; got {rule[key]!r}") from None
    if not np.isfinite(v):
        raise ValueError(f"rule[{key!r}] must be finite; got {rule[key]!r}")
    return v


def _missing(values) -> np.ndarray:
    return np.array([v is None or (isinstance(v, str) and not v.strip())
                     or (isinstance(v, float) and v != v) for v in values.ravel()]).reshape(values.shape)


def _as_numbers(values: np.ndarray) -> np.ndarray:
    gone = _missing(values)
    out = np.full(values.shape, np.nan)
    for idx in zip(*np.nonzero(~gone)):
        v = values[idx]
        try:
            out[idx] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"values must be numbers (or empty for missing); got {v!r}") from None
    if np.isinf(out).any():
        raise ValueError("values must be finite")
    return out


def score_indicator(values, rule: Mapping, *, max_score: float = 100.0) -> IndicatorScores:
    r"""Turn raw indicator values into scores on ``[0, max_score]``.

    Kinds of ``rule``:

    - ``{"kind": "direct"}``: the values already are scores on ``[0, max_score]``
      (values off that scale are refused).
    - ``{"kind": "benefit", "low": L, "high": H}`` (more is better) and
      ``{"kind": "cost", "low": L, "high": H}`` (less is better): linear between
      goalposts, clipped outside them (the UNDP/JRC goalpost method)

      .. math::

          s = M \cdot \operatorname{clip}\!\left(\frac{x - L}{H - L}, 0, 1\right),
          \qquad s_{\text{cost}} = M \cdot \operatorname{clip}\!\left(\frac{H - x}{H - L}, 0, 1\right).

    - ``{"kind": "target", "target": t, "low": L, "high": H, "tolerance": d}``:
      full score within ``[t - d, t + d]`` (``d`` = 0 by default), falling
      linearly to 0 at the goalposts ``L`` and ``H``.
    - ``{"kind": "rubric", "levels": {"A": 100, "B": 80, "C": 60, "D": 40}}``:
      qualitative levels looked up (an unknown level is refused).

    Missing values (``None``, ``""``, NaN) stay missing (NaN), never 0.

    Parameters
    ----------
    values : array_like
        Raw values (numbers, or level labels for a rubric).
    rule : mapping
        The scoring rule (stored with the result, so it can be printed with it).
    max_score : float
        Top of the score scale :math:`M` (100).

    Returns
    -------
    IndicatorScores

    Raises
    ------
    ValueError
        Naming ``rule`` (unknown kind, missing or inconsistent goalposts, a
        rubric level score off the scale) or ``values`` (not numbers, an
        unknown rubric level, direct scores off the scale).

    References
    ----------
    OECD/JRC (2008), Handbook on Constructing Composite Indicators, section 5
    (min-max normalisation), https://doi.org/10.1787/9789264043466-en.
    UNDP, Human Development Report 2020, Technical notes (dimension index
    = (actual − minimum)/(maximum − minimum) between fixed goalposts).

    Examples
    --------
    >>> score_indicator([2, 5, 8, 11], {"kind": "benefit", "low": 2, "high": 10}).scores.tolist()
    [0.0, 37.5, 75.0, 100.0]
    >>> score_indicator(["A", "C", None], {"kind": "rubric", "levels": {"A": 100, "B": 80, "C": 60}}).scores.tolist()
    [100.0, 60.0, nan]
    """
    if not isinstance(rule, Mapping):
        raise ValueError("rule must be a mapping with a 'kind'")
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        raise ValueError(f"rule['kind'] must be one of {RULE_KINDS}; got {kind!r}")
    try:
        top = float(max_score)
    except (TypeError, ValueError):
        top = np.nan
    if not (np.isfinite(top) and top > 0):
        raise ValueError(f"max_score must be a positive number; got {max_score!r}")
    raw = np.array(values, dtype=object)
    if raw.ndim == 0:
        raw = raw.reshape(1)
    clean = {"kind": kind}
    if kind == "rubric":
        levels = rule.get("levels")
        if not isinstance(levels, Mapping) or not levels:
            raise ValueError("rule['levels'] must map each level to its score, e.g. {'A': 100, 'B': 80}")
        table = {}
        for lab, s in levels.items():
            try:
                s = float(s)
            except (TypeError, ValueError):
                s = np.nan
            if not 0 <= s <= top:
                raise ValueError(f"rule['levels'][{lab!r}] must be a score in [0, {top:g}]; got {levels[lab]!r}")
            table[str(lab).strip()] = s
        clean["levels"] = table
        gone = _missing(raw)
        scores = np.full(raw.shape, np.nan)
        for idx in zip(*np.nonzero(~gone)):
            key = str(raw[idx]).strip()
            if key not in table:
                raise ValueError(f"values: {raw[idx]!r} is not a rubric level (levels {list(table)})")
            scores[idx] = table[key]
        return IndicatorScores(values=raw, scores=scores, clipped=np.zeros(raw.shape, bool), rule=clean)
    x = _as_numbers(raw)
    if kind == "direct":
        bad = (x < 0) | (x > top)
        if bad.any():
            raise ValueError(f"values must be scores in [0, {top:g}] for a direct rule; got {x[bad][:5].tolist()}")
        return IndicatorScores(values=raw, scores=x, clipped=np.zeros(x.shape, bool), rule=clean)
    low, high = _num(rule, "low"), _num(rule, "high")
    if not low < high:
        raise ValueError(f"rule needs low < high; got low={low:g}, high={high:g}")
    clean.update(low=low, high=high)
    with np.errstate(invalid="ignore"):
        if kind == "benefit":
            frac = (x - low) / (high - low)
        elif kind == "cost":
            frac = (high - x) / (high - low)
        else:
            t = _num(rule, "target")
            tol = float(rule.get("tolerance", 0) or 0)
            if tol < 0 or not low <= t - tol or not t + tol <= high:
                raise ValueError(f"rule needs low <= target - tolerance and target + tolerance <= high; got {dict(rule)}")
            clean.update(target=t, tolerance=tol)
            below = (x - low) / max(t - tol - low, np.finfo(float).tiny)
            above = (high - x) / max(high - (t + tol), np.finfo(float).tiny)
            frac = np.where(x < t - tol, below, np.where(x > t + tol, above, 1.0))
            frac = np.where(np.isnan(x), np.nan, frac)
        clipped = (frac < 0) | (frac > 1)
    scores = top * np.clip(frac, 0.0, 1.0)
    return IndicatorScores(values=raw, scores=scores, clipped=clipped, rule=clean)
