"""Evaluation pages: create on a published weight set, objects, scores upload, results.

Views are thin: parse a form, call one service, commit once, flash, redirect.
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.forms.evaluation import EvaluationForm, EvaluationSettingsForm, ObjectsForm, ScoresUploadForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import evaluations as svc
from webapp.services.evaluation_uncertainty_text import method_sentence, uncertainty_lines
from webapp.services.evaluations import EvaluationError


def _evaluation_or_404(study, evaluation_id: int):
    found = svc.evaluation_of(study, evaluation_id)
    if found is None:
        abort(404)
    return found


def _version_choices(study):
    return [(w.id, _("Version %(v)s · published %(date)s", v=w.version,
                                  date=w.published_at.strftime("%Y-%m-%d")) + (f" · {w.label}" if w.label else ""))
            for w in svc.published_versions(study)]


def _new_form(study, formdata=None):
    return EvaluationForm(formdata, versions=_version_choices(study), kinds=svc.kind_choices(),
                          data=None if formdata else {"kind": "third_party"})


@bp.route("/<int:study_id>/evaluations", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def evaluations(study_id: int):
    study = get_study_or_404(study_id)
    form = _new_form(study, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                created = svc.create_evaluation(
                    study, weight_set_id=form.weight_set.data, title=form.title.data, kind=form.kind.data,
                    purpose=form.purpose.data or "", period_start=form.period_start.data,
                    period_end=form.period_end.data)
            except EvaluationError as exc:
                db.session.rollback()
                form.weight_set.errors = [str(exc)]
            else:
                db.session.commit()
                flash(_("Evaluation created. Next, add the evaluated objects and their scores."), "success")
                return redirect(url_for("coordinator.evaluation", study_id=study.id, evaluation_id=created.id))
        status = 400
    return render_template("coordinator/evaluations/index.html", study=study, form=form,
                           items=svc.evaluations_of(study), kind_label=svc.kind_label,
                           has_versions=bool(form.weight_set.choices)), status


def _render_detail(study, evaluation, *, objects_form=None, upload_form=None, settings_form=None, status=200):
    table = svc.scores_table(evaluation)
    tree = svc.tree_of(evaluation)
    settings = svc.settings_of(evaluation)
    return render_template(
        "coordinator/evaluations/detail.html", study=study, evaluation=evaluation, table=table,
        n_leaves=len(tree.leaves), settings=settings, kind_label=svc.kind_label,
        objects_form=objects_form or ObjectsForm(),
        upload_form=upload_form or ScoresUploadForm(),
        settings_form=settings_form or EvaluationSettingsForm(data={"missing": settings["missing"]}),
        button=CsrfOnlyForm(),
    ), status


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>")
def evaluation(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    return _render_detail(study, _evaluation_or_404(study, evaluation_id))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/objects", methods=["POST"])
@keeps_data_on_csrf_failure
def evaluation_objects(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = ObjectsForm(request.form)
    if form.validate():
        try:
            added = svc.add_objects(found, form.name_list())
        except EvaluationError as exc:
            db.session.rollback()
            form.names.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("%(n)s objects added.", n=len(added)), "success")
            return redirect(url_for("coordinator.evaluation", study_id=study.id, evaluation_id=found.id))
    return _render_detail(study, found, objects_form=form, status=400)


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/scores", methods=["POST"])
def evaluation_scores(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = ScoresUploadForm(CombinedMultiDict([request.files, request.form]))
    if form.validate():
        upload = form.file.data
        try:
            summary = svc.import_scores(found, svc.parse_scores_upload(upload.filename, upload.read()))
        except EvaluationError as exc:
            db.session.rollback()
            form.file.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Scores imported: %(values)s values for %(objects)s objects (%(added)s new objects, "
                    "%(cleared)s scores cleared).", values=summary.values, objects=summary.objects,
                    added=summary.added, cleared=summary.cleared), "success")
            return redirect(url_for("coordinator.evaluation", study_id=study.id, evaluation_id=found.id))
    return _render_detail(study, found, upload_form=form, status=400)


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/template.csv")
def evaluation_template(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    return Response(svc.template_csv(found), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="evaluation-{found.id}-scores.csv"'})


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/settings", methods=["POST"])
@keeps_data_on_csrf_failure
def evaluation_settings(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = EvaluationSettingsForm(request.form)
    if form.validate():
        try:
            svc.set_missing_policy(found, form.missing.data)
        except EvaluationError as exc:
            db.session.rollback()
            form.missing.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("coordinator.evaluation", study_id=study.id, evaluation_id=found.id))
    return _render_detail(study, found, settings_form=form, status=400)


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/<any(finish, reopen):action>", methods=["POST"])
def evaluation_transition(study_id: int, evaluation_id: int, action: str):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    try:
        (svc.finish if action == "finish" else svc.reopen)(found)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.evaluation", study_id=study.id, evaluation_id=found.id))
    db.session.commit()
    flash(_("The evaluation is finished: its results are frozen.") if action == "finish"
          else _("The evaluation is open for data again."), "success")
    return redirect(url_for("coordinator.evaluation_results" if action == "finish" else "coordinator.evaluation",
                            study_id=study.id, evaluation_id=found.id))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/results")
def evaluation_results(study_id: int, evaluation_id: int):
    from webapp.services.evaluation_charts import element_chart

    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    view = svc.results_of(found, with_uncertainty=True)
    tree = svc.tree_of(found)
    locale = str(get_locale())
    combined, combined_error = None, ""
    objective = request.args.get("objective", "entropy")
    combination = request.args.get("combination", "game_theory")
    if view.results is not None and not view.without_data:
        from webapp.services.evaluation_weights import objective_and_combined
        try:
            combined = objective_and_combined(svc.document_of(found), svc.scores_table(found), objective=objective,
                                              combination=combination, bands=svc.settings_of(found)["bands"])
        except ValueError as exc:
            combined_error = str(exc)
    from webapp.services.evaluation_weights import COMBINATIONS, OBJECTIVE_METHODS, method_label
    fce = None
    if view.results is not None:
        from webapp.services import evaluation_fce
        fce = evaluation_fce.fce_view(found, tree, view.results.bands, svc.settings_of(found),
                                      request.args.get("operator", "weighted"))
    return render_template("coordinator/evaluations/results.html", study=study, evaluation=found, view=view,
                           names={c: tree.name(c, locale) for c in tree.codes}, settings=svc.settings_of(found),
                           kind_label=svc.kind_label, element_chart=element_chart, combined=combined,
                           combined_error=combined_error, objective=objective, combination=combination,
                           objective_methods=OBJECTIVE_METHODS, combinations=COMBINATIONS, method_label=method_label,
                           fce=fce, uncertainty_method=method_sentence, uncertainty_lines=uncertainty_lines)
