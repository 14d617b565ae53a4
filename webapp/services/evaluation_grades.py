"""FCE grades picked by evaluators: which leaves are scored by grade, and the evaluation's grade set.

``Evaluation.settings["fce"] = {"codes": [leaf, …], "grades": [{"key" or "label", "value"}, …]}``,
best grade first. The default set is excellent / good / fair / pass / poor (优秀 / 良好 / 中等 / 合格 /
差) valued at the midpoints of the default star bands (95, 85, 75, 65, 30), so B·C is on the
score scale. An evaluator picks one grade per graded leaf; the object's score of that leaf (for T)
is the mean of the picked grades' values, and its FCE membership row is the share of evaluators per
grade (``evaluation_fce``).
"""
from __future__ import annotations

import math

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import EvaluatorScore
from webapp.services import audit
from webapp.services.evaluations import EvaluationError, _check_open, settings_of, tree_of

DEFAULT_GRADES = ({"key": "excellent", "value": 95.0}, {"key": "good", "value": 85.0},
                  {"key": "fair", "value": 75.0}, {"key": "pass", "value": 65.0}, {"key": "poor", "value": 30.0})
MAX_GRADES = 9


def _labels() -> dict:
    return {"excellent": _("Excellent"), "good": _("Good"), "fair": _("Fair"), "pass": _("Pass"),
            "poor": _("Poor")}


def fce_of(settings: dict) -> dict:
    fce = settings.get("fce") or {}
    return {"codes": list(fce.get("codes") or []), "grades": [dict(g) for g in (fce.get("grades") or DEFAULT_GRADES)]}


def fce_codes(settings: dict) -> set:
    return set(fce_of(settings)["codes"])


def grades_of(settings: dict) -> list[dict]:
    """``[{"label", "value"}]`` best first, labels translated for the default set."""
    labels = _labels()
    return [{"label": labels.get(g.get("key"), g.get("label") or g.get("key") or "?"), "value": float(g["value"])}
            for g in fce_of(settings)["grades"]]


def grade_value(settings: dict, index: int) -> float:
    return float(fce_of(settings)["grades"][index]["value"])


def parse_grades(text: str, scale) -> list[dict]:
    """Lines ``label = value`` (best first); empty text → the default set."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return [dict(g) for g in DEFAULT_GRADES]
    low, high = scale
    grades = []
    for line in lines:
        label, sep, raw = line.rpartition("=")
        try:
            value = float(raw.strip()) if sep else math.nan
        except ValueError:
            value = math.nan
        label = label.strip()
        if not label or len(label) > 40 or not math.isfinite(value) or not low <= value <= high:
            raise EvaluationError(_("Write each grade as “label = value” with a value from %(low)s to %(high)s: "
                                    "“%(line)s”.", low=f"{low:g}", high=f"{high:g}", line=line[:60]))
        grades.append({"label": label, "value": value})
    if not 2 <= len(grades) <= MAX_GRADES:
        raise EvaluationError(_("Give from 2 to %(n)s grades.", n=MAX_GRADES))
    values = [g["value"] for g in grades]
    if any(b >= a for a, b in zip(values, values[1:])):
        raise EvaluationError(_("List the grades best first, each valued lower than the one before."))
    return grades


def set_fce(evaluation, codes, grades_text: str) -> None:
    """Which leaves evaluators grade (FCE) and the grade set; refused while evaluators have scored them."""
    _check_open(evaluation)
    leaves = tree_of(evaluation).leaves
    chosen = [c for c in leaves if c in set(codes)]
    unknown = sorted(set(codes) - set(leaves))
    if unknown:
        raise EvaluationError(_("%(code)s is not an indicator of this weight set.", code=", ".join(unknown)))
    settings = settings_of(evaluation)
    grades = parse_grades(grades_text, settings["scale"])
    before = fce_of(settings)
    if before["codes"] or before["grades"] != [dict(g) for g in DEFAULT_GRADES]:
        changed = set(before["codes"]) ^ set(chosen)
        if (changed or grades != before["grades"]) and _has_evaluator_scores(evaluation, set(before["codes"]) | changed):
            raise EvaluationError(_("Evaluators have already scored some of these indicators; the way they are "
                                    "scored can no longer change."))
    elif chosen and _has_evaluator_scores(evaluation, set(chosen)):
        raise EvaluationError(_("Evaluators have already scored some of these indicators; the way they are "
                                "scored can no longer change."))
    evaluation.settings = {**settings, "fce": {"codes": chosen, "grades": grades}}
    db.session.flush()
    audit.record("evaluation.fce_grades", study=evaluation.study, target=f"evaluation:{evaluation.id}",
                 details={"codes": chosen, "grades": grades})


def _has_evaluator_scores(evaluation, codes: set) -> bool:
    if not codes:
        return False
    ids = [o.id for o in evaluation.objects]
    return db.session.scalar(select(EvaluatorScore.id).where(EvaluatorScore.object_id.in_(ids),
                                                             EvaluatorScore.code.in_(codes),
                                                             EvaluatorScore.value.is_not(None)).limit(1)) is not None
