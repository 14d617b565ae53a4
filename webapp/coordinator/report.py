"""The study report: a page with the coordinator's conclusions and the downloads
(printable HTML, PDF, DOCX; Chinese or English)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.weights import ConclusionsForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import report_docx, report_render, study_report
from webapp.templating import current_locale

MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _lang() -> str:
    lang = request.args.get("lang") or current_locale()
    return lang if lang in ("zh", "en") else "zh"


@bp.route("/<int:study_id>/report", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def report(study_id: int):
    study = get_study_or_404(study_id)
    form = ConclusionsForm(request.form if request.method == "POST" else None,
                           data=None if request.method == "POST" else {"conclusions": study.conclusions})
    if request.method == "POST":
        if form.validate():
            study_report.set_conclusions(study, form.conclusions.data or "")
            db.session.commit()
            flash(_("Conclusions saved."), "success")
            return redirect(url_for("coordinator.report", study_id=study.id))
        db.session.rollback()
    return render_template("coordinator/weights/report.html", study=study, form=form), \
        400 if request.method == "POST" else 200


@bp.route("/<int:study_id>/report/view")
def report_view(study_id: int):
    study = get_study_or_404(study_id)
    return report_render.render_html(study_report.build(study, locale=_lang()))


@bp.route("/<int:study_id>/report.<fmt>")
def report_download(study_id: int, fmt: str):
    study = get_study_or_404(study_id)
    if fmt not in MIMETYPES:
        abort(404)
    lang = _lang()
    content = study_report.build(study, locale=lang)
    body = report_render.render_pdf(content) if fmt == "pdf" else report_docx.render_docx(content)
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="study{study.id}-report-{lang}.{fmt}"'
    return response
