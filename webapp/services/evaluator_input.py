"""An evaluator's autosave: one score (or FCE grade) and its evidence note, stored as it is typed.

``autosave`` upserts one ``EvaluatorScore`` row and updates the object's mean score of that leaf
(``evaluators.update_means``). Strict types: a score is a JSON number or null, a grade a whole number
or null, evidence a string. Refused — nothing stored — when the evaluation is finished, its deadline
has passed, the object is not the evaluator's, the code is no leaf of the pinned set, the score is off
the scale, or a grade is given for an indicator not scored by FCE grades (or the other way round).
Like the experts' autosave it is not audited row by row; the form save and the deadline are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from webapp.extensions import db
from webapp.models import EvaluatorScore, utcnow
from webapp.services import evaluation_grades
from webapp.services.evaluations import EvaluationError, settings_of, tree_of
from webapp.services.evaluators import MAX_EVIDENCE, assigned_object, check_accepting, scores_of, update_means

UNSET = object()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Saved:
    code: str
    scored: int          # leaves of this object the evaluator has scored or graded
    total: int
    saved_at: datetime


def autosave(evaluator, obj_id, code, *, value=UNSET, grade=UNSET, evidence=UNSET,
             now: datetime | None = None) -> Saved:
    """Store one field set of one leaf for one assigned object (absent keys keep what is stored)."""
    now = now or utcnow()
    evaluation = evaluator.evaluation
    check_accepting(evaluation, now)
    obj = assigned_object(evaluator, obj_id) if isinstance(obj_id, int) and not evaluator.is_revoked else None
    if obj is None:
        raise EvaluationError(_("This object is not assigned to you."))
    leaves = tree_of(evaluation).leaves
    if not isinstance(code, str) or code not in leaves:
        raise EvaluationError(_("This is not an indicator you score."))
    settings = settings_of(evaluation)
    graded = code in evaluation_grades.fce_codes(settings)
    if value is not UNSET and value is not None:
        if graded:
            raise EvaluationError(_("%(code)s is scored by choosing a grade.", code=code))
        low, high = settings["scale"]
        if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
            raise EvaluationError(_("%(code)s: give a score from %(low)s to %(high)s.", code=code,
                                    low=f"{low:g}", high=f"{high:g}"))
    if grade is not UNSET and grade is not None:
        n = len(evaluation_grades.grades_of(settings))
        if not graded:
            raise EvaluationError(_("%(code)s is scored with a number, not a grade.", code=code))
        if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade < n:
            raise EvaluationError(_("Choose one of the grades."))
    if evidence is not UNSET and evidence is not None:
        if not isinstance(evidence, str):
            raise EvaluationError(_("The evidence note must be text."))
        if len(evidence) > MAX_EVIDENCE:
            raise EvaluationError(_("An evidence note may have at most %(n)s characters.", n=MAX_EVIDENCE))
    rows = scores_of(evaluator, obj)
    row = rows.get(code)
    if row is None:
        row = EvaluatorScore(evaluator_id=evaluator.id, object_id=obj.id, code=code, evidence="")
        db.session.add(row)
        rows[code] = row
    if value is not UNSET:
        row.value = None if value is None else float(value)
    if grade is not UNSET:
        row.grade = grade
        row.value = None if grade is None else evaluation_grades.grade_value(settings, grade)
    if evidence is not UNSET:
        row.evidence = (evidence or "").strip()
    if row.value is None and row.grade is None and not row.evidence:
        db.session.delete(row)
        del rows[code]
    db.session.flush()
    update_means(obj, [code])
    scored = sum(1 for r in rows.values() if r.value is not None)
    return Saved(code=code, scored=scored, total=len(leaves), saved_at=now)
