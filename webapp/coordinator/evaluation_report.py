"""The evaluation report (seed 5.2.9): its texts, and the printable report per object and in summary."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from webapp.coordinator.blueprint import bp
from webapp.coordinator.evaluations import _evaluation_or_404
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.evaluation import ObjectDescriptionForm, ReportContentsForm
from webapp.models import utcnow
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import evaluations as svc
from webapp.services import groups
from webapp.services.evaluation_uncertainty_text import absent_reason, method_sentence, uncertainty_lines


def _render_edit(study, evaluation, form=None, status=200):
    if form is None:
        form = ReportContentsForm(data={k: getattr(evaluation, k) for k in
                                        ("evaluating_body", "participants", "guidance", "conclusions")})
    descriptions = {o.id: ObjectDescriptionForm(data={"description": o.description}) for o in evaluation.objects}
    return render_template("coordinator/evaluations/report_edit.html", study=study, evaluation=evaluation,
                           form=form, descriptions=descriptions, kind_label=svc.kind_label), status


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/report/contents", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def evaluation_report_edit(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    if request.method == "GET":
        return _render_edit(study, found)
    form = ReportContentsForm(request.form)
    if not form.validate():
        return _render_edit(study, found, form, 400)
    svc.update_report_contents(found, evaluating_body=form.evaluating_body.data, participants=form.participants.data,
                               guidance=form.guidance.data, conclusions=form.conclusions.data)
    db.session.commit()
    flash(_("The report's texts are saved."), "success")
    return redirect(url_for("coordinator.evaluation_report_edit", study_id=study.id, evaluation_id=found.id))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/objects/<int:object_id>/description", methods=["POST"])
def evaluation_object_description(study_id: int, evaluation_id: int, object_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    obj = svc.object_of(found, object_id)
    if obj is None:
        abort(404)
    form = ObjectDescriptionForm(request.form)
    if not form.validate():
        flash(_("At most 20,000 characters."), "error")
        return redirect(url_for("coordinator.evaluation_report_edit", study_id=study.id, evaluation_id=found.id))
    svc.set_object_description(obj, form.description.data)
    db.session.commit()
    flash(_("Saved: %(name)s.", name=obj.name), "success")
    return redirect(url_for("coordinator.evaluation_report_edit", study_id=study.id, evaluation_id=found.id,
                            _anchor=f"object-{obj.id}"))


def _report_context(study, found, object_id):
    """Everything the report shows; (None, redirect) when there is nothing to report yet."""
    from webapp.services.evaluation_charts import element_chart

    obj = None
    if object_id:
        obj = svc.object_of(found, object_id)
        if obj is None:
            abort(404)
    view = svc.results_of(found, with_uncertainty=True)
    if view.results is None:
        flash(view.error or _("There are no scores to evaluate yet."), "error")
        return None, redirect(url_for("coordinator.evaluation_results", study_id=study.id, evaluation_id=found.id))
    row = None
    if obj is not None:
        if obj.name not in {r.name for r in view.results.rows}:
            abort(404)
        row = view.results.row(obj.name)
    tree = svc.tree_of(found)
    locale = str(get_locale())
    document = svc.document_of(found)
    return dict(
        study=study, evaluation=found, obj=obj, row=row, res=view.results,
        names={c: tree.name(c, locale) for c in tree.codes}, settings=svc.settings_of(found),
        kind_label=svc.kind_label, panel=svc.panel_rows(found), group_label=groups.group_label,
        method=document.get("method") or {}, generated_at=utcnow(), element_chart=element_chart,
        objects={o.name: o for o in found.objects}, lang=locale,
        uncertainty_method=method_sentence(view.samples) if view.results.uncertainty else "",
        uncertainty=uncertainty_lines(view.results, only=row.name if row else None),
        uncertainty_absent=absent_reason(view.results, view.without_data)), None


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/report")
@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/report/<int:object_id>")
def evaluation_report(study_id: int, evaluation_id: int, object_id: int | None = None):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    ctx, redirect_to = _report_context(study, found, object_id)
    if ctx is None:
        return redirect_to
    return render_template("coordinator/evaluations/report.html", for_file=False, **ctx)


MIMETYPES = {"pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/report/<int:object_id>.<fmt>")
def evaluation_report_file(study_id: int, evaluation_id: int, object_id: int, fmt: str):
    """The report as PDF (WeasyPrint) or DOCX (python-docx); object 0 is the summary."""
    from webapp.services import evaluation_report_files as files

    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    if fmt not in MIMETYPES:
        abort(404)
    ctx, redirect_to = _report_context(study, found, object_id)
    if ctx is None:
        return redirect_to
    body = files.render_pdf(ctx) if fmt == "pdf" else files.render_docx(ctx)
    name = f"evaluation{found.id}-{'summary' if not object_id else f'object{object_id}'}-{ctx['lang']}.{fmt}"
    return Response(body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
