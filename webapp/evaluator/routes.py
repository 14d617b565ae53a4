"""Evaluator pages: the link, the assigned objects, the scoring form (one object per page)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from webapp.evaluator.blueprint import SESSION_KEY, bp, current_evaluator
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.models import Evaluator, utcnow
from webapp.security import end_coordinator_session, fresh_session, keeps_data_on_csrf_failure
from webapp.services import evaluators as svc
from webapp.services.evaluations import EvaluationError, settings_of, tree_of


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
    found.last_seen_at = utcnow()
    db.session.commit()
    return redirect(url_for("evaluator.home"))


@bp.route("/")
def home():
    me = current_evaluator()
    n_leaves = len(tree_of(me.evaluation).leaves)
    rows = [(o, svc.progress(me, o)) for o in me.objects]
    return render_template("evaluator/home.html", me=me, rows=rows, n_leaves=n_leaves)


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
    notes = {c: r.evidence for c, r in saved.items()}
    if request.method == "POST":
        values = {k[2:]: v for k, v in request.form.items() if k.startswith("s:")}
        notes = {k[2:]: v for k, v in request.form.items() if k.startswith("e:")}
        if form.validate():
            try:
                n = svc.save_scores(me, obj, values, notes)
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
    low, high = settings_of(me.evaluation)["scale"]
    return render_template("evaluator/score.html", me=me, obj=obj, groups=groups, names=names, values=values,
                           notes=notes, form=form, error=error, low=low, high=high,
                           locked=me.evaluation.is_finished), status
