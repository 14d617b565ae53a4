"""Coordinator pages of weight sets: publish (source round → preview and diff → publish),
versions with their files, withdraw, and who may read them through the API.

Views are thin: parse a form, call ``services.weight_sets``, commit once, flash, redirect.
"""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp import presentation
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.weights import ApiAccessForm, PublishForm, WithdrawForm
from webapp.services import weight_files, weight_sets, weight_xmcda
from webapp.services.weight_sets import PublishError

DOWNLOADS = {
    "json": ("application/json; charset=utf-8",
             lambda doc: json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")),
    "csv": ("text/csv; charset=utf-8", weight_files.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", weight_files.to_xlsx),
    "xml": ("application/xml; charset=utf-8", weight_xmcda.to_xmcda),
    "zip": ("application/zip", weight_files.to_datapackage_zip),
}


def _index(study, *, status: int = 200, new_key: str | None = None, access_form=None):
    access_form = access_form or ApiAccessForm(data={"access": "public" if study.api_public else "key"})
    return render_template(
        "coordinator/weights/index.html", study=study, versions=weight_sets.versions_of(study),
        sources=weight_sets.source_rounds(study), access_form=access_form, withdraw_form=WithdrawForm(),
        new_key=new_key, latest=weight_sets.latest_version(study)), status


@bp.route("/<int:study_id>/weights")
def weights(study_id: int):
    return _index(get_study_or_404(study_id))


@bp.route("/<int:study_id>/weights/preview")
def weights_preview(study_id: int):
    study = get_study_or_404(study_id)
    rnd = next((r for r in weight_sets.source_rounds(study) if r.id == request.args.get("round_id", type=int)),
               None)
    if rnd is None:
        flash(_("Choose a closed round to publish from."), "error")
        return redirect(url_for("coordinator.weights", study_id=study.id))
    try:
        preview = weight_sets.preview(study, rnd)
    except PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.weights", study_id=study.id))
    form = PublishForm(data={"round_id": rnd.id, "digest": preview.digest})
    return render_template("coordinator/weights/preview.html", study=study, preview=preview, form=form,
                           method_text=presentation.weight_method_text(preview.payload["method"]),
                           payload_json=json.dumps(preview.payload, ensure_ascii=False, indent=2))


@bp.route("/<int:study_id>/weights/publish", methods=["POST"])
def weights_publish(study_id: int):
    study = get_study_or_404(study_id)
    form = PublishForm(request.form)
    if not form.validate():
        flash(_("The preview had expired. Look at it again before publishing."), "error")
        return redirect(url_for("coordinator.weights", study_id=study.id))
    rnd = next((r for r in weight_sets.source_rounds(study) if r.id == form.round_id.data), None)
    if rnd is None:
        abort(404)
    try:
        ws = weight_sets.publish(study, rnd, by=current_user, label=form.label.data or "",
                                 expected_digest=form.digest.data)
        db.session.flush()
    except IntegrityError:  # another tab published the same version number a moment ago
        db.session.rollback()
        flash(_("Another version was published meanwhile. Look at the new preview."), "error")
        return redirect(url_for("coordinator.weights_preview", study_id=study.id, round_id=rnd.id))
    except PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.weights_preview", study_id=study.id, round_id=rnd.id))
    db.session.commit()
    flash(_("Weight set v%(v)s published.", v=ws.version), "success")
    return redirect(url_for("coordinator.weights", study_id=study.id))


@bp.route("/<int:study_id>/weights/<int:version>/withdraw", methods=["POST"])
def weights_withdraw(study_id: int, version: int):
    study = get_study_or_404(study_id)
    ws = weight_sets.version_of(study, version)
    if ws is None:
        abort(404)
    form = WithdrawForm(request.form)
    if not form.validate():
        flash(_("Give a reason for withdrawing v%(v)s.", v=version), "error")
        return redirect(url_for("coordinator.weights", study_id=study.id))
    try:
        weight_sets.withdraw(ws, by=current_user, reason=form.reason.data)
    except PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.weights", study_id=study.id))
    db.session.commit()
    flash(_("Version v%(v)s withdrawn. It stays downloadable, marked as withdrawn.", v=version), "success")
    return redirect(url_for("coordinator.weights", study_id=study.id))


@bp.route("/<int:study_id>/weights/<int:version>.<fmt>")
def weights_download(study_id: int, version: int, fmt: str):
    study = get_study_or_404(study_id)
    ws = weight_sets.version_of(study, version)
    if ws is None or fmt not in DOWNLOADS:
        abort(404)
    mimetype, render = DOWNLOADS[fmt]
    document = ws.document
    response = Response(render(document), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{weight_files.base_name(document)}.{fmt}"'
    return response


@bp.route("/<int:study_id>/weights/access", methods=["POST"])
def weights_access(study_id: int):
    study = get_study_or_404(study_id)
    form = ApiAccessForm(request.form)
    if not form.validate():
        db.session.rollback()
        return _index(study, status=400, access_form=form)
    weight_sets.set_api_public(study, form.access.data == "public")
    db.session.commit()
    flash(_("API access saved."), "success")
    return redirect(url_for("coordinator.weights", study_id=study.id))


@bp.route("/<int:study_id>/weights/key", methods=["POST"])
def weights_rotate_key(study_id: int):
    study = get_study_or_404(study_id)
    key = weight_sets.rotate_api_key(study)
    db.session.commit()
    # Shown once, on this response only: only its hash is stored.
    return _index(study, new_key=key)
