"""Evaluators of an evaluation: invite by link (shown once), assign objects, revoke."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.cli import public_url
from webapp.coordinator.blueprint import bp
from webapp.coordinator.evaluations import _evaluation_or_404
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.services import evaluators as svc
from webapp.services.evaluations import EvaluationError, kind_label


def _render(study, evaluation, *, link=None, error="", status=200):
    people = [(e, [(o, svc.progress(e, o)) for o in e.objects]) for e in svc.evaluators_of(evaluation)]
    return render_template("coordinator/evaluations/evaluators.html", study=study, evaluation=evaluation,
                           people=people, link=link, error=error, kind_label=kind_label,
                           button=CsrfOnlyForm()), status


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators", methods=["GET", "POST"])
def evaluation_evaluators(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    if request.method == "GET":
        return _render(study, found)
    form = CsrfOnlyForm(request.form)
    if not form.validate():
        return _render(study, found, error=_("The form expired; try again."), status=400)
    try:
        ids = [int(v) for v in request.form.getlist("objects")]
    except ValueError:
        ids = []
    try:
        invitation = svc.add_evaluator(found, request.form.get("name", ""), ids)
    except EvaluationError as exc:
        db.session.rollback()
        return _render(study, found, error=str(exc), status=400)
    db.session.commit()
    link = public_url(url_for("evaluator.invitation", token=invitation.token))
    return _render(study, found, link=(invitation.evaluator.name, link))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/<int:evaluator_id>/revoke", methods=["POST"])
def evaluation_evaluator_revoke(study_id: int, evaluation_id: int, evaluator_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    person = next((e for e in svc.evaluators_of(found) if e.id == evaluator_id), None)
    if person is None:
        abort(404)
    svc.revoke(person)
    db.session.commit()
    flash(_("The link of %(name)s no longer works.", name=person.name), "success")
    return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id))
