"""Evaluators invited by link: assignment, their scores with evidence, the objects' mean scores.

Each evaluator scores the leaves of their assigned objects; an object's score of a leaf is the
mean over the evaluators who scored it (stored as the evaluation's score, source "evaluators").
Refused input raises ``EvaluationError`` before anything is written.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import EvaluatedObject, EvaluationScore, Evaluator, EvaluatorAssignment, EvaluatorScore, utcnow
from webapp.services import audit, evaluation_grades, timezones
from webapp.services.evaluations import EvaluationError, _check_open, settings_of, tree_of

MAX_EVIDENCE = 2000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Invitation:
    evaluator: Evaluator
    token: str


def evaluators_of(evaluation) -> list[Evaluator]:
    return list(db.session.scalars(select(Evaluator).where(Evaluator.evaluation_id == evaluation.id)
                                   .order_by(Evaluator.id)))


def language_of(evaluator: Evaluator) -> str:
    """The evaluator's language, else the study's default (as an expert's ``invitations.expert_locale``)."""
    return evaluator.locale or evaluator.evaluation.study.default_locale or "en"


def _language(locale: str | None) -> str | None:
    if locale in (None, ""):
        return None
    if locale not in LANGUAGES:
        raise EvaluationError(_("Choose English or Chinese as the evaluator's language."))
    return locale


def add_evaluator(evaluation, name: str, object_ids, *, email: str = "", locale: str | None = None) -> Invitation:
    """A new evaluator with a link; ``locale`` (``en``/``zh``; None = the study's default) is their language."""
    _check_open(evaluation)
    locale = _language(locale)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise EvaluationError(_("Give the evaluator's name (at most 200 characters)."))
    mine = {o.id: o for o in evaluation.objects}
    chosen = [mine[i] for i in dict.fromkeys(object_ids) if i in mine]
    if not chosen or len(chosen) != len(set(object_ids)):
        raise EvaluationError(_("Assign at least one of this evaluation's objects."))
    email = (email or "").strip()
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise EvaluationError(_("“%(email)s” is not an e-mail address.", email=email[:80]))
    evaluator = Evaluator(evaluation=evaluation, name=name, email=email, locale=locale,
                          token_hash=Evaluator.placeholder_hash())
    evaluator.assignments = [EvaluatorAssignment(object=o) for o in chosen]
    db.session.add(evaluator)
    db.session.flush()
    token = evaluator.issue_token()
    db.session.flush()
    audit.record("evaluation.evaluator_add", study=evaluation.study, target=f"evaluator:{evaluator.id}",
                 details={"objects": [o.id for o in chosen], "locale": locale})
    return Invitation(evaluator, token)


def set_language(evaluator: Evaluator, locale: str) -> bool:
    """Remember the language the evaluator chose on their pages (their reminders use it); False: unchanged."""
    locale = _language(locale)
    if locale is None or locale == evaluator.locale:
        return False
    evaluator.locale = locale
    db.session.flush()
    audit.record("evaluation.evaluator_language", study=evaluator.evaluation.study,
                 target=f"evaluator:{evaluator.id}", actor=f"evaluator:{evaluator.id}", details={"locale": locale})
    return True


def change_language(evaluator: Evaluator, locale: str | None) -> bool:
    """The coordinator's choice of the evaluator's language (``en``/``zh``; None or "" = the study's default),
    audited with the previous one; False: unchanged. Refuses any other value (``EvaluationError``)."""
    locale = _language(locale)
    if locale == evaluator.locale:
        return False
    before, evaluator.locale = evaluator.locale, locale
    db.session.flush()
    audit.record("evaluation.evaluator_language", study=evaluator.evaluation.study, target=f"evaluator:{evaluator.id}",
                 details={"locale": locale, "before": before})
    return True


def revoke(evaluator: Evaluator) -> None:
    evaluator.revoked_at = utcnow()
    db.session.flush()
    audit.record("evaluation.evaluator_revoke", study=evaluator.evaluation.study, target=f"evaluator:{evaluator.id}")


def reissue(evaluator: Evaluator) -> str:
    """The evaluator's next link: the previous one is refused from now on (a revoked evaluator gets one again)."""
    token = evaluator.issue_token()
    db.session.flush()
    audit.record("evaluation.evaluator_reissue", study=evaluator.evaluation.study, target=f"evaluator:{evaluator.id}",
                 details={"generation": evaluator.token_generation})
    return token


def assigned_object(evaluator: Evaluator, object_id: int) -> EvaluatedObject | None:
    return next((o for o in evaluator.objects if o.id == object_id), None)


def scores_of(evaluator: Evaluator, obj: EvaluatedObject) -> dict:
    """``{code: EvaluatorScore}`` of this evaluator for this object."""
    rows = db.session.scalars(select(EvaluatorScore).where(EvaluatorScore.evaluator_id == evaluator.id,
                                                           EvaluatorScore.object_id == obj.id))
    return {r.code: r for r in rows}


def progress(evaluator: Evaluator, obj: EvaluatedObject) -> int:
    return sum(1 for r in scores_of(evaluator, obj).values() if r.value is not None)


def check_accepting(evaluation, now: datetime) -> None:
    """Refuse input to a finished evaluation or after its deadline (named in the study's time zone)."""
    if evaluation.is_finished:
        raise EvaluationError(_("This evaluation is finished: nothing can be changed any more."))
    if evaluation.is_past_deadline(now):
        raise EvaluationError(_("The deadline (%(deadline)s) has passed: nothing was saved. Ask the coordinator "
                                "to extend it.", deadline=timezones.format_in(evaluation.deadline_at,
                                                                               evaluation.study.time_zone)))


def save_scores(evaluator: Evaluator, obj: EvaluatedObject, values: dict, evidence: dict,
                grades: dict | None = None, *, now: datetime | None = None) -> int:
    """Store an evaluator's scores (and FCE grades) of one object (empty = not scored); update the means."""
    evaluation = evaluator.evaluation
    check_accepting(evaluation, now or utcnow())
    if evaluator.is_revoked or assigned_object(evaluator, obj.id) is None:
        raise EvaluationError(_("This object is not assigned to you."))
    leaves = tree_of(evaluation).leaves
    settings = settings_of(evaluation)
    low, high = settings["scale"]
    graded = evaluation_grades.fce_codes(settings)
    n_grades = len(evaluation_grades.grades_of(settings))
    clean: dict[str, float | None] = {}
    picks: dict[str, int | None] = {}
    for code in leaves:
        if code in graded:
            raw = ((grades or {}).get(code) or "").strip()
            picks[code] = int(raw) if raw.isdigit() and int(raw) < n_grades else None
            if raw and picks[code] is None:
                raise EvaluationError(_("Choose one of the grades."))
            clean[code] = None if picks[code] is None else evaluation_grades.grade_value(settings, picks[code])
            continue
        raw = (values.get(code) or "").strip().replace(",", ".")
        if not raw:
            clean[code] = None
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not low <= number <= high:
            raise EvaluationError(_("%(code)s: give a score from %(low)s to %(high)s.", code=code,
                                    low=f"{low:g}", high=f"{high:g}"))
        clean[code] = number
    notes = {code: (evidence.get(code) or "").strip() for code in leaves}
    if any(len(n) > MAX_EVIDENCE for n in notes.values()):
        raise EvaluationError(_("An evidence note may have at most %(n)s characters.", n=MAX_EVIDENCE))
    current = scores_of(evaluator, obj)
    for code in leaves:
        row = current.get(code)
        if clean[code] is None and not notes[code]:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = EvaluatorScore(evaluator_id=evaluator.id, object_id=obj.id, code=code)
            db.session.add(row)
        row.value, row.evidence, row.grade = clean[code], notes[code], picks.get(code)
    db.session.flush()
    update_means(obj, leaves)
    audit.record("evaluation.evaluator_scores", study=evaluation.study, target=f"evaluated_object:{obj.id}",
                 actor=f"evaluator:{evaluator.id}",
                 details={"scored": sum(v is not None for v in clean.values())})
    return sum(v is not None for v in clean.values())


def update_means(obj: EvaluatedObject, leaves) -> None:
    """The object's score of each leaf = mean of the evaluators' scores (only leaves evaluators scored)."""
    rows = db.session.scalars(select(EvaluatorScore).where(EvaluatorScore.object_id == obj.id,
                                                           EvaluatorScore.value.is_not(None)))
    sums: dict[str, list[float]] = {}
    for r in rows:
        sums.setdefault(r.code, []).append(r.value)
    existing = {s.code: s for s in obj.scores}
    for code in leaves:
        row = existing.get(code)
        if code in sums:
            mean = math.fsum(sums[code]) / len(sums[code])
            if row is None:
                obj.scores.append(EvaluationScore(code=code, value=mean, source="evaluators"))
            else:
                row.value, row.source = mean, "evaluators"
        elif row is not None and row.source == "evaluators":
            obj.scores.remove(row)
    db.session.flush()
