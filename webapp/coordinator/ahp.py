"""Coordinator: AHP rounds -- create and edit (blocks and settings), the dashboard, exports.

Opening, closing, reminders and deletion are the shared round pages' (``rounds.py``, ``round_page.py``):
an AHP round is one more round kind on the same lifecycle.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.coordinator.blueprint import bp
from webapp.coordinator.dashboard import _download
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.ahp import AhpRoundForm
from webapp.models import RoundKind, RoundStatus, utcnow
from webapp.services import ahp_dashboard, ahp_exports, ahp_rounds, round_lifecycle, timezones
from webapp.services.round_lifecycle import RoundError


def _ahp_round_or_404(study_id: int, round_id: int):
    study = get_study_or_404(study_id)
    rnd = round_lifecycle.round_of(study, round_id)
    if rnd is None or rnd.kind is not RoundKind.ahp:
        abort(404)
    if round_lifecycle.close_if_expired(rnd):
        db.session.commit()
    return study, rnd


def _render_form(study, form, *, rnd=None, error=None, status=200):
    groups = ahp_rounds.sibling_groups(study)
    return render_template("coordinator/ahp/form.html", study=study, rnd=rnd, form=form, groups=groups,
                           error=error, busy=round_lifecycle.busy_round(study) if rnd is None else None,
                           tz_name=timezones.zone_label(study.time_zone), now=utcnow()), status


@bp.route("/<int:study_id>/rounds/new-ahp", methods=["GET", "POST"])
def ahp_round_new(study_id: int):
    study = get_study_or_404(study_id)
    groups = ahp_rounds.sibling_groups(study)
    form = AhpRoundForm(request.form if request.method == "POST" else None, groups=groups, zone=study.time_zone)
    if request.method == "GET":
        form.blocks.data = [p.id for p, _kids in groups]
        return _render_form(study, form)
    if not form.validate():
        return _render_form(study, form, status=400)
    try:
        rnd = ahp_rounds.create_ahp_round(study, parent_ids=form.blocks.data, options=form.options(),
                                          **form.schedule())
    except RoundError as exc:
        db.session.rollback()
        return _render_form(study, form, error=str(exc), status=400)
    db.session.commit()
    flash(_("AHP round %(n)s was created as a draft with %(k)s blocks.", n=rnd.number, k=len(rnd.items)), "success")
    return redirect(url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


@bp.route("/<int:study_id>/rounds/<int:round_id>/ahp-settings", methods=["GET", "POST"])
def ahp_round_edit(study_id: int, round_id: int):
    study, rnd = _ahp_round_or_404(study_id, round_id)
    if rnd.status is not RoundStatus.draft:
        flash(_("The settings of an opened round are frozen."), "error")
        return redirect(url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))
    form = AhpRoundForm(request.form if request.method == "POST" else None, groups=ahp_rounds.sibling_groups(study),
                        zone=study.time_zone)
    if request.method == "GET":
        form.load(rnd, ahp_rounds.options_of(rnd))
        return _render_form(study, form, rnd=rnd)
    if not form.validate():
        return _render_form(study, form, rnd=rnd, status=400)
    try:
        round_lifecycle.update_round(rnd, **form.schedule())
        ahp_rounds.update_ahp_options(rnd, form.options(), parent_ids=form.blocks.data)
    except RoundError as exc:
        db.session.rollback()
        return _render_form(study, form, rnd=rnd, error=str(exc), status=400)
    db.session.commit()
    flash(_("The round's settings are saved."), "success")
    return redirect(url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


@bp.route("/<int:study_id>/rounds/<int:round_id>/ahp-dashboard")
def ahp_dashboard_page(study_id: int, round_id: int):
    study, rnd = _ahp_round_or_404(study_id, round_id)
    from webapp.coordinator.g1bwm import redirect_if_g1bwm  # g1bwm hook: G1/BWM rounds have their dashboard
    if (other := redirect_if_g1bwm(rnd)) is not None:
        return other
    dash = ahp_dashboard.ahp_dashboard(rnd)
    return render_template("coordinator/ahp/dashboard.html", study=study, rnd=rnd, d=dash, a=dash.analysis,
                           wording_label=ahp_dashboard.wording_label, quartiles=ahp_dashboard.quartiles,
                           tables=ahp_exports.TABLES,
                           titles=ahp_exports.table_titles(), now=utcnow())


def _names(rnd, what, ext):
    return (f"concordia-study{rnd.study_id}-round{rnd.number}-ahp-{what}.{ext}",
            _("%(study)s – round %(n)s – %(table)s", study=rnd.study.title[:40], n=rnd.number,
              table=ahp_exports.table_titles().get(what, _("All tables"))) + f".{ext}")


@bp.route("/<int:study_id>/rounds/<int:round_id>/ahp-export/<table>.csv")
def ahp_export_csv(study_id: int, round_id: int, table: str):
    if table not in ahp_exports.TABLES:
        abort(404)
    _study, rnd = _ahp_round_or_404(study_id, round_id)
    analysis = ahp_rounds.analysis_of(rnd)
    return _download(ahp_exports.csv_export(table, analysis), ahp_exports.CSV_MIMETYPE, *_names(rnd, table, "csv"))


@bp.route("/<int:study_id>/rounds/<int:round_id>/ahp-export.xlsx")
def ahp_export_xlsx(study_id: int, round_id: int):
    _study, rnd = _ahp_round_or_404(study_id, round_id)
    dash = ahp_dashboard.ahp_dashboard(rnd)
    body = ahp_exports.xlsx_export(dash.analysis, ahp_dashboard.export_notes(dash))
    return _download(body, ahp_exports.XLSX_MIMETYPE, *_names(rnd, "all", "xlsx"))
