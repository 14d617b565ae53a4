"""Coordinator: the dashboard and exports of a G1 or BWM round (an AHP-kind round whose
blocks are weighed by G1 or BWM). Creation, opening and closing are the AHP/round pages'."""
from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.coordinator.ahp import _ahp_round_or_404
from webapp.coordinator.blueprint import bp
from webapp.coordinator.dashboard import _download
from webapp.extensions import db
from webapp.models import Expert, utcnow
from webapp.services import ahp_exports, g1bwm_analysis, g1bwm_exports
from webapp.services.g1bwm_answers import method_of


def _round(study_id, round_id):
    study, rnd = _ahp_round_or_404(study_id, round_id)
    if method_of(rnd) not in ("g1", "bwm"):
        abort(404)
    return study, rnd


@bp.route("/<int:study_id>/rounds/<int:round_id>/weights-dashboard")
def g1bwm_dashboard_page(study_id: int, round_id: int):
    study, rnd = _round(study_id, round_id)
    analysis = g1bwm_analysis.analysis_of(rnd)
    invited = db.session.scalar(select(func.count()).select_from(Expert).where(
        Expert.study_id == study.id, Expert.revoked_at.is_(None))) or 0
    header, rows = g1bwm_exports.table("weights", analysis)
    return render_template("coordinator/g1bwm/dashboard.html", study=study, rnd=rnd, a=analysis,
                           invited=invited, rows=rows, tables=g1bwm_exports.TABLES,
                           titles=g1bwm_exports.table_titles(), now=utcnow())


def _names(rnd, what, ext):
    return (f"concordia-study{rnd.study_id}-round{rnd.number}-{method_of(rnd)}-{what}.{ext}",
            _("%(study)s – round %(n)s – %(table)s", study=rnd.study.title[:40], n=rnd.number,
              table=g1bwm_exports.table_titles().get(what, _("All tables"))) + f".{ext}")


@bp.route("/<int:study_id>/rounds/<int:round_id>/weights-export/<table>.csv")
def g1bwm_export_csv(study_id: int, round_id: int, table: str):
    if table not in g1bwm_exports.TABLES:
        abort(404)
    _study, rnd = _round(study_id, round_id)
    body = g1bwm_exports.csv_export(table, g1bwm_analysis.analysis_of(rnd))
    return _download(body, ahp_exports.CSV_MIMETYPE, *_names(rnd, table, "csv"))


@bp.route("/<int:study_id>/rounds/<int:round_id>/weights-export.xlsx")
def g1bwm_export_xlsx(study_id: int, round_id: int):
    _study, rnd = _round(study_id, round_id)
    body = g1bwm_exports.xlsx_export(g1bwm_analysis.analysis_of(rnd))
    return _download(body, ahp_exports.XLSX_MIMETYPE, *_names(rnd, "all", "xlsx"))


def redirect_if_g1bwm(rnd):
    """Hook for the AHP dashboard: a G1/BWM round's dashboard is this one."""
    if method_of(rnd) in ("g1", "bwm"):
        return redirect(url_for("coordinator.g1bwm_dashboard_page", study_id=rnd.study_id, round_id=rnd.id))
    return None
