"""Evaluators of an evaluation: invite by link (shown once), assign objects, revoke."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from webapp import presentation
from webapp.actions import act
from webapp.cli import public_url
from webapp.coordinator.blueprint import bp
from webapp.coordinator.evaluations import _evaluation_or_404
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.forms.evaluation import EvaluatorDeadlineForm, EvaluatorLanguageForm, FceGradesForm
from webapp.models import DeliveryStatus
from webapp.services import evaluation_grades, evaluator_reminders, messaging, timezones
from webapp.services import evaluators as svc
from webapp.services.evaluations import EvaluationError, kind_label, settings_of, tree_of


def _fce_form(evaluation, formdata=None):
    tree = tree_of(evaluation)
    leaves = [(c, f"{c} {tree.name(c, str(get_locale()))}") for c in tree.leaves]
    fce = evaluation_grades.fce_of(settings_of(evaluation))
    custom = fce["grades"] != [dict(g) for g in evaluation_grades.DEFAULT_GRADES]
    text = "\n".join(f"{g['label']} = {g['value']:g}" for g in evaluation_grades.grades_of(settings_of(evaluation)))
    data = None if formdata else {"codes": fce["codes"], "grades": text if custom else ""}
    return FceGradesForm(formdata, data=data, leaves=leaves)


def _deadline_form(study, evaluation, formdata=None):
    local = timezones.to_local(evaluation.deadline_at, study.time_zone)
    data = None if formdata else {"deadline": local.replace(tzinfo=None) if local else None,
                                  "reminder_hours": evaluation.reminder_hours}
    return EvaluatorDeadlineForm(formdata, data=data)


def _language_form(study, person, formdata=None):
    default = presentation.LANGUAGE_NAMES.get(study.default_locale or "en", study.default_locale)
    return EvaluatorLanguageForm(formdata, data=None if formdata else {"locale": person.locale or ""},
                                 default_name=default)


def _render(study, evaluation, *, link=None, error="", status=200, deadline_form=None, copies=None, fce_form=None):
    shown = request.args.get("shown", type=int)          # the row whose new link is opened
    people = [(e, [(o, svc.progress(e, o)) for o in e.objects], evaluator_reminders.link_of(e))
              for e in svc.evaluators_of(evaluation)]
    return render_template("coordinator/evaluations/evaluators.html", study=study, evaluation=evaluation,
                           people=people, link=link, error=error, kind_label=kind_label,
                           language_names=presentation.LANGUAGE_NAMES, shown=shown,
                           button=CsrfOnlyForm(), deadline_form=deadline_form or _deadline_form(study, evaluation),
                           deadline_text=timezones.format_in(evaluation.deadline_at, study.time_zone),
                           reminder_at=timezones.format_in(evaluator_reminders.reminder_due_at(evaluation),
                                                           study.time_zone),
                           messages=evaluator_reminders.messages_of(evaluation), status_labels=messaging.status_labels(),
                           copies=copies, fce_form=fce_form or _fce_form(evaluation),
                           grades=evaluation_grades.grades_of(settings_of(evaluation)),
                           language_form=lambda person: _language_form(study, person)), status


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
        invitation = svc.add_evaluator(found, request.form.get("name", ""), ids, email=request.form.get("email", ""),
                                       locale=request.form.get("locale") or None)
    except EvaluationError as exc:
        db.session.rollback()
        return _render(study, found, error=str(exc), status=400)
    db.session.commit()
    link = public_url(url_for("evaluator.invitation", token=invitation.token))
    return _render(study, found, link=(invitation.evaluator.name, link))


def _evaluator_or_404(evaluation, evaluator_id: int):
    person = next((e for e in svc.evaluators_of(evaluation) if e.id == evaluator_id), None)
    if person is None:
        abort(404)
    return person


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/<int:evaluator_id>/revoke", methods=["POST"])
def evaluation_evaluator_revoke(study_id: int, evaluation_id: int, evaluator_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    person = _evaluator_or_404(found, evaluator_id)
    return act(lambda: svc.revoke(person),
               to=url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id),
               done=_("The link of %(name)s no longer works.", name=person.name))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/<int:evaluator_id>/reissue", methods=["POST"])
def evaluation_evaluator_reissue(study_id: int, evaluation_id: int, evaluator_id: int):
    """A new link for the evaluator (as an expert's "New link"): the old one stops working; the page then
    shows the new one opened in the evaluator's row ("Remind now" e-mails it)."""
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    person = _evaluator_or_404(found, evaluator_id)
    return act(lambda: svc.reissue(person),
               to=url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id,
                          shown=person.id, _anchor=f"evaluator-{person.id}"),
               done=_("New link for %(name)s: the previous link no longer works.", name=person.name))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/<int:evaluator_id>/language", methods=["POST"])
def evaluation_evaluator_language(study_id: int, evaluation_id: int, evaluator_id: int):
    """The coordinator changes an evaluator's language (their pages and reminders); audited."""
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    person = _evaluator_or_404(found, evaluator_id)
    form = _language_form(study, person, request.form)
    if not form.validate():
        return _render(study, found, error=_("Choose English or Chinese as the evaluator's language.")
                       if form.locale.errors else _("The form expired; try again."), status=400)
    try:
        changed = svc.change_language(person, form.locale.data or None)
    except EvaluationError as exc:
        db.session.rollback()
        return _render(study, found, error=str(exc), status=400)
    db.session.commit()
    if changed:
        flash(_("%(name)s: language saved.", name=person.name), "success")
    return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id,
                            _anchor=f"evaluator-{person.id}"))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/deadline", methods=["POST"])
def evaluation_evaluators_deadline(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = _deadline_form(study, found, request.form)
    if not form.validate():
        return _render(study, found, deadline_form=form, status=400)
    try:
        evaluator_reminders.set_deadline(found, deadline_local=form.deadline.data,
                                         reminder_hours=form.reminder_hours.data)
    except EvaluationError as exc:
        db.session.rollback()
        form.deadline.errors = [str(exc)]
        return _render(study, found, deadline_form=form, status=400)
    db.session.commit()
    flash(_("Deadline and reminder saved."), "success")
    return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/remind", methods=["POST"])
def evaluation_evaluators_remind(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    try:
        outcome = evaluator_reminders.queue_reminders_now(found)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id))
    db.session.commit()                 # queued: from now on nothing is sent twice
    evaluator_reminders.finish(outcome, study=study, manual=True)
    db.session.commit()
    counts = outcome.to_dict()
    if counts["not_sent"]:
        copies = [evaluator_reminders.compose(r.evaluator) for r in outcome.rows
                  if r.status is DeliveryStatus.not_sent]
        return _render(study, found, copies=copies)
    flash(_("Reminders: %(sent)s sent, %(failed)s failed, %(without)s evaluators without an e-mail address.",
            sent=counts["sent"], failed=counts["failed"], without=counts["without_email"]),
          "success" if not counts["failed"] else "error")
    return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/evaluators/fce", methods=["POST"])
def evaluation_evaluators_fce(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = _fce_form(found, request.form)
    if not form.validate():
        return _render(study, found, fce_form=form, status=400)
    try:
        evaluation_grades.set_fce(found, form.codes.data or [], form.grades.data or "")
    except EvaluationError as exc:
        db.session.rollback()
        form.grades.errors = [str(exc)]
        return _render(study, found, fce_form=form, status=400)
    db.session.commit()
    flash(_("FCE grades saved."), "success")
    return redirect(url_for("coordinator.evaluation_evaluators", study_id=study.id, evaluation_id=found.id))
