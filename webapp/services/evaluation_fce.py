"""Fuzzy comprehensive evaluation of an evaluation's objects.

Two grade sets. **Star bands** (no indicator is graded by evaluators): an indicator's membership row
is the share of its scores falling in each band — the evaluators' individual scores when evaluators
scored it (the distribution of raters over the grades), otherwise its one stored score (one-hot);
C = the bands' midpoints. **The evaluation's FCE grades** (``evaluation_grades``; some indicators
graded by evaluators): a graded indicator's row is the share of the evaluators' picks per grade
(5 evaluators, picks good, good, excellent, fair, good → (0.2, 0.6, 0.2, 0, 0)); a scored indicator's
scores count for the grade whose value is nearest; C = the grades' values. Composition runs level by
level up the pinned hierarchy (``evaluation.fce_hierarchy``) with the chosen operator, and the other
operators' verdicts are shown beside it.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select

import evaluation as ev
from webapp.extensions import db
from webapp.models import EvaluatorScore
from webapp.services import evaluation_grades

OPERATOR_KEYS = {"weighted": "M(·,+)", "min-max": "M(∧,∨)", "product-max": "M(·,∨)", "min-bounded": "M(∧,⊕)"}


def grade_values(bands) -> list[float]:
    """Midpoint of each band, highest band first (e.g. 95, 85, 75, 65, 30)."""
    return [(b["min"] + b["max"]) / 2 for b in bands]


def _rater_rows(evaluation):
    """``{(object id, code): [EvaluatorScore, …]}`` of scored or graded rows."""
    obj_ids = [o.id for o in evaluation.objects]
    rater: dict[tuple[int, str], list] = {}
    for row in db.session.scalars(select(EvaluatorScore).where(EvaluatorScore.object_id.in_(obj_ids),
                                                               EvaluatorScore.value.is_not(None))
                                  .order_by(EvaluatorScore.id)):
        rater.setdefault((row.object_id, row.code), []).append(row)
    return rater


def memberships_of(evaluation, leaves, bands) -> dict:
    """``{object: {leaf: counts per band (highest first)}}`` for objects with every leaf scored (star bands)."""
    edges = np.array([b["min"] for b in bands])            # descending minima
    rater = _rater_rows(evaluation)
    out = {}
    for obj in evaluation.objects:
        stored = {s.code: s.value for s in obj.scores}
        rows = {}
        for code in leaves:
            values = [r.value for r in rater.get((obj.id, code), [])] or ([stored[code]] if code in stored else [])
            if not values:
                break
            band = np.array([int(np.argmax(v >= edges)) for v in values])
            rows[code] = np.bincount(band, minlength=len(bands)).tolist()
        else:
            out[obj.name] = rows
    return out


def grade_memberships_of(evaluation, leaves, settings) -> dict:
    """``{object: {leaf: counts per FCE grade (best first)}}``: graded leaves by the evaluators' picks,
    scored leaves by the nearest grade value; objects with every leaf judged."""
    graded = evaluation_grades.fce_codes(settings)
    values = np.array([g["value"] for g in evaluation_grades.grades_of(settings)])
    rater = _rater_rows(evaluation)
    out = {}
    for obj in evaluation.objects:
        stored = {s.code: s.value for s in obj.scores}
        rows = {}
        for code in leaves:
            picks = rater.get((obj.id, code), [])
            if code in graded:
                index = [r.grade for r in picks if r.grade is not None]
            else:
                scores = [r.value for r in picks] or ([stored[code]] if code in stored else [])
                index = [int(np.argmin(np.abs(values - v))) for v in scores]
            if not index:
                break
            rows[code] = np.bincount(np.array(index, dtype=int), minlength=len(values)).tolist()
        else:
            out[obj.name] = rows
    return out


def fce_view(evaluation, tree, bands, settings, key: str) -> dict | None:
    """The results page's FCE table with the operator named and the cross-operator check (None: no data)."""
    operator = OPERATOR_KEYS.get(key, "M(·,+)")
    by_grades = bool(evaluation_grades.fce_codes(settings))
    if by_grades:
        grades = evaluation_grades.grades_of(settings)
        memberships = grade_memberships_of(evaluation, tree.leaves, settings)
        values, labels = [g["value"] for g in grades], [g["label"] for g in grades]
    else:
        memberships = memberships_of(evaluation, tree.leaves, bands)
        values, labels = grade_values(bands), ["★" * b["stars"] for b in bands]
    if not memberships:
        return None
    result = ev.fce_hierarchy(tree, memberships, operator, grade_values=values)
    rows = [{"name": name, "b": result.b[i, 0].tolist(), "verdict": labels[int(result.grade[i])],
             "score": float(result.score[i]), "agree": bool(result.operators_agree[i]),
             "others": {op: labels[int(v["grade"][i])] for op, v in result.by_operator.items()}}
            for i, name in enumerate(result.objects)]
    return {"operator": result.operator, "rows": rows, "values": values, "labels": labels, "keys": OPERATOR_KEYS,
            "key": key if key in OPERATOR_KEYS else "weighted", "by_grades": by_grades}
