"""Publishing an evaluation's combined weights as the study's next weight-set version.

Preview (exactly what will be frozen, its diff against the newest version, a digest guard) →
publish. Views are thin: ``services.combined_weights`` does the work, ``weight_sets`` the freezing.
"""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.weights import CombinedPublishForm
from webapp.services import combined_weights
from webapp.services import evaluations as evaluations_svc
from webapp.services.evaluation_weights import method_label
from webapp.services.weight_sets import PublishError


def _evaluation_or_404(study, evaluation_id: int):
    found = evaluations_svc.evaluation_of(study, evaluation_id)
    if found is None:
        abort(404)
    return found


def _results_url(study, found, objective: str, combination: str) -> str:
    return url_for("coordinator.evaluation_results", study_id=study.id, evaluation_id=found.id,
                   objective=objective, combination=combination, _anchor="combined-title")


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/combined-weights/preview")
def combined_weights_preview(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    objective = request.args.get("objective", "entropy")
    combination = request.args.get("combination", "game_theory")
    try:
        preview = combined_weights.preview(found, objective=objective, combination=combination)
    except PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_results_url(study, found, objective, combination))
    form = CombinedPublishForm(data={"objective": objective, "combination": combination, "digest": preview.digest})
    return render_template("coordinator/evaluations/combined_preview.html", study=study, evaluation=found,
                           preview=preview, form=form, method_label=method_label,
                           payload_json=json.dumps(preview.payload, ensure_ascii=False, indent=2))


@bp.route("/<int:study_id>/evaluations/<int:evaluation_id>/combined-weights/publish", methods=["POST"])
def combined_weights_publish(study_id: int, evaluation_id: int):
    study = get_study_or_404(study_id)
    found = _evaluation_or_404(study, evaluation_id)
    form = CombinedPublishForm(request.form)
    if not form.validate():
        flash(_("The preview had expired. Look at it again before publishing."), "error")
        return redirect(_results_url(study, found, "entropy", "game_theory"))
    again = url_for("coordinator.combined_weights_preview", study_id=study.id, evaluation_id=found.id,
                    objective=form.objective.data, combination=form.combination.data)
    try:
        ws = combined_weights.publish(found, objective=form.objective.data, combination=form.combination.data,
                                      expected_digest=form.digest.data, by=current_user, label=form.label.data or "")
        db.session.flush()
    except IntegrityError:  # another tab published the same version number a moment ago
        db.session.rollback()
        flash(_("Another version was published meanwhile. Look at the new preview."), "error")
        return redirect(again)
    except PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(again)
    db.session.commit()
    flash(_("Weight set v%(v)s published.", v=ws.version), "success")
    return redirect(url_for("coordinator.weights", study_id=study.id))
