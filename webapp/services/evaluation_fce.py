"""Fuzzy comprehensive evaluation of an evaluation's objects from their scores.

Grades are the star bands (five stars … one star). An indicator's membership row is the share of
its scores falling in each band: the evaluators' individual scores when evaluators scored it (the
usual practice: the distribution of raters over the grades), otherwise its one stored score (a
one-hot row). Grade values C are the bands' midpoints, so B·C is on the score scale. Composition runs
level by level up the pinned hierarchy (``evaluation.fce_hierarchy``) with the chosen operator.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import EvaluatorScore

OPERATOR_KEYS = {"weighted": "M(·,+)", "min-max": "M(∧,∨)", "product-max": "M(·,∨)", "min-bounded": "M(∧,⊕)"}


def grade_values(bands) -> list[float]:
    """Midpoint of each band, highest band first (e.g. 95, 85, 75, 65, 30)."""
    return [(b["min"] + b["max"]) / 2 for b in bands]


def memberships_of(evaluation, leaves, bands) -> dict:
    """``{object: {leaf: counts per band (highest first)}}`` for objects with every leaf scored."""
    edges = np.array([b["min"] for b in bands])            # descending minima
    obj_ids = [o.id for o in evaluation.objects]
    rater: dict[tuple[int, str], list[float]] = {}
    for row in db.session.scalars(select(EvaluatorScore).where(EvaluatorScore.object_id.in_(obj_ids),
                                                               EvaluatorScore.value.is_not(None))):
        rater.setdefault((row.object_id, row.code), []).append(row.value)
    out = {}
    for obj in evaluation.objects:
        stored = {s.code: s.value for s in obj.scores}
        rows = {}
        for code in leaves:
            values = rater.get((obj.id, code)) or ([stored[code]] if code in stored else [])
            if not values:
                break
            band = np.array([int(np.argmax(v >= edges)) for v in values])
            rows[code] = np.bincount(band, minlength=len(bands)).tolist()
        else:
            out[obj.name] = rows
    return out
