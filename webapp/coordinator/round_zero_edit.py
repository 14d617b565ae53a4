"""Round 0 before and after it runs: edit a draft's welcome text and timing, preview the expert's
page exactly as the experts will see it (nothing in the preview is saved: its forms reload the
preview and no autosave script runs), and download the proposals (CSV, XLSX; pseudonyms only)."""
from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _

from webapp import presentation
from webapp.actions import attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.dashboard import _download
from webapp.coordinator.round_zero import _round_zero_or_404
from webapp.forms.expert import target_choices
from webapp.forms.round_zero import CommentForm, ExpertProposalForm, RoundZeroForm
from webapp.models import RoundStatus, utcnow
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import ahp_exports, questionnaire, round_zero, round_zero_exports, timezones
from webapp.templating import current_locale


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/edit", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_zero_edit(study_id: int, round_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    back = url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id)
    if rnd.status is not RoundStatus.draft:
        flash(_("Round 0 has opened: its text and timing can no longer change here. Extend the deadline on "
                "the round's page instead."), "error")
        return redirect(back)
    form = RoundZeroForm(request.form if request.method == "POST" else None, zone=study.time_zone)
    if request.method == "GET":
        form.load(rnd)
    error = None
    if request.method == "POST" and form.validate():
        _done, error = attempt(lambda: round_zero.update_round_zero(rnd, **form.settings()))
        if error is None:
            flash(_("Round 0 is saved."), "success")
            return redirect(back)
    return render_template("coordinator/round_zero/new.html", study=study, form=form, error=error, rnd=rnd,
                           tz_name=timezones.zone_label(study.time_zone), possible=True), \
        400 if request.method == "POST" else 200


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/preview")
def round_zero_preview(study_id: int, round_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    expert = SimpleNamespace(id=-1, pseudonym="E00", name="", study=study, locale=None)
    targets = target_choices(questionnaire.proposal_targets(rnd), current_locale())
    preview_url = url_for("coordinator.round_zero_preview", study_id=study.id, round_id=rnd.id)
    return render_template(
        "expert/round_zero.html", expert=expert, study=study, rnd=rnd, response=None, editable=True,
        form=ExpertProposalForm(request.args or None, targets=targets), comment_form=CommentForm(),
        comment=None, proposals=[], tree_rows=questionnaire.proposal_targets(rnd),
        level_label=questionnaire.level_label, kind_labels=presentation.proposal_kind_labels(),
        proposal_status=presentation.proposal_status_labels(), error=None, now=utcnow(), preview=True,
        relative=lambda delta: format_timedelta(delta, add_direction=True),
        preview_url=preview_url, back_url=url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


def _names(rnd, ext: str):
    return (f"concordia-study{rnd.study_id}-round0-proposals.{ext}",
            _("%(study)s – round 0 – proposals", study=rnd.study.title[:40]) + f".{ext}")


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/proposals.csv")
def round_zero_export_csv(study_id: int, round_id: int):
    _study, rnd = _round_zero_or_404(study_id, round_id)
    return _download(round_zero_exports.csv_export(rnd, current_locale()), ahp_exports.CSV_MIMETYPE,
                     *_names(rnd, "csv"))


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/proposals.xlsx")
def round_zero_export_xlsx(study_id: int, round_id: int):
    _study, rnd = _round_zero_or_404(study_id, round_id)
    return _download(round_zero_exports.xlsx_export(rnd, current_locale()), ahp_exports.XLSX_MIMETYPE,
                     *_names(rnd, "xlsx"))
