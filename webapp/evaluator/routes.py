"""Evaluator pages: the link, the assigned objects, the scoring form (one object per page)."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from webapp.evaluator.blueprint import SESSION_KEY, bp, current_evaluator
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.models import Evaluator, utcnow
from webapp.security import end_coordinator_session, fresh_session, keeps_data_on_csrf_failure
from webapp.services import evaluation_grades, evaluator_input, timezones
from webapp.services import evaluators as svc
from webapp.services.evaluations import EvaluationError, settings_of, tree_of
from webapp.services.inputs import JsonInputError, loads_json

AUTOSAVE_KEYS = {"code", "value", "grade", "evidence"}


@bp.route("/i/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Exchange the link's token for an evaluator session, then leave the token-free URL.

    A coordinator who opens an evaluator's link is asked first (the page posts back to continue).
    """
    if len(token) > 100:
        abort(404)
    found = Evaluator.by_token(token)
    if found is None or found.is_revoked:
        abort(404)
    if current_user.is_authenticated:
        if request.method != "POST":
            return render_template("evaluator/confirm.html", token=token, evaluator=found)
        end_coordinator_session()
    fresh_session()
    session.permanent = True
    session[SESSION_KEY] = {"id": found.id, "marker": found.session_marker}
    if found.locale:                                  # their own language (else the browser's, as before)
        session["lang"] = found.locale
    found.last_seen_at = utcnow()
    db.session.commit()
    return redirect(url_for("evaluator.home"))


@bp.before_request
def _remember_language():
    """The language the evaluator picks on their pages (``?lang=``) becomes theirs: reminders use it."""
    chosen = request.args.get("lang")
    me = current_evaluator() if chosen in current_app.config["LANGUAGES"] else None
    if me is not None and svc.set_language(me, chosen):
        db.session.commit()


@bp.route("/")
def home():
    me = current_evaluator()
    n_leaves = len(tree_of(me.evaluation).leaves)
    rows = [(o, svc.progress(me, o)) for o in me.objects]
    return render_template("evaluator/home.html", me=me, rows=rows, n_leaves=n_leaves,
                           deadline=_deadline_text(me.evaluation), closed=not me.evaluation.accepts_evaluator_input(utcnow()))


def _deadline_text(evaluation) -> str | None:
    if evaluation.deadline_at is None:
        return None
    return timezones.format_in(evaluation.deadline_at, evaluation.study.time_zone)


def _groups(evaluation):
    """Leaves grouped under their first-level element, in document order: [(element, [leaf, …])]."""
    tree = tree_of(evaluation)
    locale = str(get_locale())
    names = {c: tree.name(c, locale) for c in tree.codes}
    element_of = {}
    for k, code in enumerate(tree.codes):
        p = tree.parent[k]
        element_of[code] = code if p == 0 else (element_of.get(tree.codes[p]) if p > 0 else None)
    groups = [(e, [c for c in tree.leaves if element_of.get(c) == e]) for e in tree.elements]
    return groups, names


@bp.route("/objects/<int:object_id>", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def score_object(object_id: int):
    me = current_evaluator()
    obj = svc.assigned_object(me, object_id)
    if obj is None:
        abort(404)
    form = CsrfOnlyForm(request.form if request.method == "POST" else None)
    error, status = "", 200
    saved = {c: r for c, r in svc.scores_of(me, obj).items()}
    values = {c: ("" if r.value is None else f"{r.value:g}") for c, r in saved.items()}
    picks = {c: ("" if r.grade is None else str(r.grade)) for c, r in saved.items()}
    notes = {c: r.evidence for c, r in saved.items()}
    if request.method == "POST":
        values = {k[2:]: v for k, v in request.form.items() if k.startswith("s:")}
        picks = {k[2:]: v for k, v in request.form.items() if k.startswith("g:")}
        notes = {k[2:]: v for k, v in request.form.items() if k.startswith("e:")}
        if form.validate():
            try:
                n = svc.save_scores(me, obj, values, notes, picks)
            except EvaluationError as exc:
                db.session.rollback()
                error, status = str(exc), 400
            else:
                db.session.commit()
                flash(_("Saved: %(n)s scores for %(name)s.", n=n, name=obj.name), "success")
                return redirect(url_for("evaluator.score_object", object_id=obj.id))
        else:
            status = 400
    groups, names = _groups(me.evaluation)
    settings = settings_of(me.evaluation)
    low, high = settings["scale"]
    evaluation = me.evaluation
    return render_template("evaluator/score.html", me=me, obj=obj, groups=groups, names=names, values=values,
                           picks=picks, notes=notes, form=form, error=error, low=low, high=high,
                           graded=evaluation_grades.fce_codes(settings), grades=evaluation_grades.grades_of(settings),
                           deadline=_deadline_text(evaluation), locked=not evaluation.accepts_evaluator_input(utcnow()),
                           finished=evaluation.is_finished), status


@bp.route("/objects/<int:object_id>/autosave", methods=["POST"])
def autosave(object_id: int):
    """One field of one leaf, saved as it is typed: ``{"code", "value"|"grade", "evidence"}`` (absent keys keep
    what is stored) with the page's CSRF token in ``X-CSRF-Token``. 200 ``{"ok", "saved_at", "scored", "total"}``;
    400 ``{"error": "refused", "message", "closed"}`` (nothing stored) or ``{"error": "bad_request", "message"}``."""
    me = current_evaluator()
    if svc.assigned_object(me, object_id) is None:
        abort(404)
    try:
        body = loads_json(request.get_data(), max_depth=2)
    except JsonInputError as exc:
        return jsonify(error="bad_request", message=str(exc)), 400
    if not isinstance(body, dict) or not set(body) <= AUTOSAVE_KEYS or "code" not in body:
        return jsonify(error="bad_request", message=_("The score could not be read.")), 400
    fields = {k: body[k] for k in ("value", "grade", "evidence") if k in body}
    try:
        saved = evaluator_input.autosave(me, object_id, body["code"], **fields)
    except EvaluationError as exc:
        db.session.rollback()
        return jsonify(error="refused", message=str(exc),
                       closed=not me.evaluation.accepts_evaluator_input(utcnow())), 400
    db.session.commit()
    return jsonify(ok=True, saved_at=saved.saved_at.isoformat(), scored=saved.scored, total=saved.total)
