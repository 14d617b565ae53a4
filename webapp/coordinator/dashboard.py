"""Coordinator: the live dashboard of a Delphi round, and its exports (CSV per table, one XLSX).

Views are thin: find the round through the coordinator's own study (404 otherwise),
apply the deadline (``close_if_expired``: deadlines hold without a scheduler), build the
round's figures with one service call, render or format them.
"""
from __future__ import annotations

from flask import abort, make_response, render_template, request

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.models import utcnow
from webapp import presentation
from webapp.services import charts, exports
from webapp.services.dashboard import DashboardError, RoundDashboard, round_dashboard
from webapp.services.round_data import delphi_round_of
from webapp.services.round_lifecycle import close_if_expired


def _dashboard_or_404(study_id: int, round_id: int, page: int = 1) -> RoundDashboard:
    study = get_study_or_404(study_id)
    rnd = delphi_round_of(study, round_id)
    if rnd is None:
        abort(404)
    if close_if_expired(rnd):
        db.session.commit()
    try:
        return round_dashboard(rnd, page=page)
    except DashboardError as exc:
        abort(make_response(render_template("coordinator/dashboard/unavailable.html", study=study, rnd=rnd,
                                            message=str(exc)), 409))


@bp.route("/<int:study_id>/rounds/<int:round_id>/dashboard")
def dashboard(study_id: int, round_id: int):
    data = _dashboard_or_404(study_id, round_id, page=request.args.get("page", 1, type=int) or 1)
    view = request.args.get("group") or "all"
    if view != "compare" and view not in data.groups:
        view = "all"
    html = render_template(
        "coordinator/dashboard/index.html", data=data, report=data.report, rnd=data.report.round,
        study=data.report.round.study, view=view, charts=charts, labels=presentation,
        tables=exports.TABLES, now=utcnow())
    _keep_frozen(data)
    return html


def _keep_frozen(data: RoundDashboard) -> None:
    """Commit the frozen report of a closed round read for the first time (a round closed before
    reports were frozen), after everything is rendered (a commit expires what was loaded)."""
    if data.froze:
        db.session.commit()


@bp.route("/<int:study_id>/rounds/<int:round_id>/export/<table>.csv")
def dashboard_export_csv(study_id: int, round_id: int, table: str):
    if table not in exports.TABLES:
        abort(404)
    data = _dashboard_or_404(study_id, round_id)
    download = _download(exports.csv_export(table, data), exports.CSV_MIMETYPE,
                         *exports.download_names(data, table, "csv"))
    _keep_frozen(data)
    return download


@bp.route("/<int:study_id>/rounds/<int:round_id>/export.xlsx")
def dashboard_export_xlsx(study_id: int, round_id: int):
    data = _dashboard_or_404(study_id, round_id)
    download = _download(exports.xlsx_export(data), exports.XLSX_MIMETYPE,
                         *exports.download_names(data, "all", "xlsx"))
    _keep_frozen(data)
    return download


def _download(body: bytes, mimetype: str, ascii_name: str, unicode_name: str):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = exports.content_disposition(ascii_name, unicode_name)
    response.headers["Content-Length"] = str(len(body))
    return response
