"""Coordinator pages of Delphi rounds: template helpers, lookups, and creating and editing drafts.

The round page and its lifecycle buttons (open, close, remind, delete) are in
``round_page.py``; the work between rounds (decisions, proposals, stopping
advice, next round) in ``round_decisions.py``.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Every page of a round first applies its deadline (``close_if_expired``), so a
round past its closing time is shown, and treated, as closed whether or not a
scheduler runs.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from webapp import presentation
from webapp.actions import attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.rounds import RoundForm, RoundItemsForm
from webapp.models import RoundKind, RoundStatus, utcnow
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import round_lifecycle, round_scope, timezones, tree

# --- template helpers ---------------------------------------------------------------------


def round_title(rnd) -> str:
    return rnd.title or _("Round %(n)s", n=rnd.number)


def round_dashboard_url(rnd) -> str:
    """The dashboard of a round (served by the dashboard pages once they exist)."""
    if rnd.kind is RoundKind.ahp:
        return url_for("coordinator.ahp_dashboard_page", study_id=rnd.study_id, round_id=rnd.id)
    try:
        return url_for("coordinator.dashboard", study_id=rnd.study_id, round_id=rnd.id)
    except BuildError:
        return f"{request.script_root}/studies/{rnd.study_id}/rounds/{rnd.id}/dashboard"


def scope_label(scope: str) -> str:
    labels = {
        "carry": _("What the previous round leaves"),
        "all": _("Every indicator below the goal"),
        "1": _("First-level indicators (一级指标)"),
        "2": _("Second-level indicators (二级指标)"),
        "3": _("Third-level indicators (三级指标)"),
    }
    return labels.get(scope, scope)


@bp.context_processor
def _round_helpers():
    return {
        "round_title": round_title,
        "round_dashboard_url": round_dashboard_url,
        "rounds_overview": round_lifecycle.round_summaries,
        "scope_label": scope_label,
        "criterion_text": presentation.criterion_text,
        "rule_text": presentation.rule_in_words,
    }


# --- lookups --------------------------------------------------------------------------------

def _round_or_404(study_id: int, round_id: int):
    """The study (owned by the coordinator) and its round; the round's deadline applied first."""
    study = get_study_or_404(study_id)
    rnd = round_lifecycle.round_of(study, round_id)
    if rnd is None:
        abort(404)
    if round_lifecycle.close_if_expired(rnd):
        db.session.commit()
        g.closed_at_deadline = True
        flash(_("Round %(n)s closed at its deadline.", n=rnd.number), "info")
    return study, rnd


def _delphi_round_or_404(study_id: int, round_id: int):
    study, rnd = _round_or_404(study_id, round_id)
    if rnd.kind is not RoundKind.delphi:
        abort(404)
    return study, rnd


def _formdata():
    return request.form if request.method == "POST" else None


def _scope_choices(study, rnd=None):
    has_previous = round_lifecycle.latest_closed_round(study, before=rnd) is not None
    keys = (["carry"] if has_previous else []) + ["all", "1", "2", "3"]
    return [(key, scope_label(key)) for key in keys]


def _round_url(rnd, anchor: str | None = None) -> str:
    return url_for("coordinator.round_detail", study_id=rnd.study_id, round_id=rnd.id, _anchor=anchor)


def _back_to_round(rnd, anchor: str | None = None):
    return redirect(url_for("coordinator.round_detail", study_id=rnd.study_id, round_id=rnd.id,
                            _anchor=anchor))


# --- create and edit --------------------------------------------------------------------------

def _render_form(study, form, *, rnd=None, items_form=None, error=None, preview=None, status=200):
    candidates = round_scope.candidate_nodes(rnd) if rnd is not None else []
    ticked = {item.node_id for item in rnd.items} if rnd is not None else set()
    if items_form is None and rnd is not None:
        items_form = RoundItemsForm(candidates=candidates)
    elif items_form is not None:
        ticked = set(items_form.nodes.data or [])
    depths = tree.node_depths(study) if rnd is not None else {}
    return render_template(
        "coordinator/rounds/form.html", study=study, rnd=rnd, form=form, items_form=items_form,
        candidates=candidates, ticked=ticked, depths=depths, error=error, preview=preview,
        busy=round_lifecycle.busy_round(study) if rnd is None else None,
        tz_name=timezones.zone_label(study.time_zone), now=utcnow(),
    ), status


@bp.route("/<int:study_id>/rounds/new", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_new(study_id: int):
    study = get_study_or_404(study_id)
    form = RoundForm(_formdata(), scopes=_scope_choices(study), zone=study.time_zone)
    if request.method == "GET":
        previous = round_lifecycle.latest_closed_round(study)
        if previous is not None:
            form.load(previous, "carry")
            form.title.data = ""
            form.opens_at.data = form.closes_at.data = None
        return _render_form(study, form)
    if "preview" in request.form:
        form.validate()
        return _render_form(study, form, preview=form.instructions.data or "")
    if not form.validate():
        return _render_form(study, form, status=400)
    rnd, refusal = attempt(lambda: round_scope.create_round_in_scope(study, form.scope.data, **form.settings()))
    if refusal:
        return _render_form(study, form, error=refusal, status=400)
    flash(_("Round %(n)s created as a draft with %(k)s indicators. Check the list, then open it.",
            n=rnd.number, k=len(rnd.items)), "success")
    return redirect(url_for("coordinator.round_edit", study_id=study.id, round_id=rnd.id, _anchor="items"))


@bp.route("/<int:study_id>/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_edit(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    if rnd.status is not RoundStatus.draft:
        flash(_("Round %(n)s is no longer a draft; its settings cannot change.", n=rnd.number), "warning")
        return _back_to_round(rnd)
    form = RoundForm(_formdata(), scopes=_scope_choices(study, rnd), zone=study.time_zone)
    if request.method == "GET":
        form.load(rnd, round_scope.round_scope(rnd))
        return _render_form(study, form, rnd=rnd)
    if "preview" in request.form:
        form.validate()
        return _render_form(study, form, rnd=rnd, preview=form.instructions.data or "")
    if not form.validate():
        return _render_form(study, form, rnd=rnd, status=400)
    _done, refusal = attempt(lambda: round_scope.update_round_in_scope(rnd, form.scope.data, **form.settings()))
    if refusal:
        return _render_form(study, form, rnd=rnd, error=refusal, status=400)
    flash(_("Round %(n)s saved.", n=rnd.number), "success")
    return _back_to_round(rnd)


@bp.route("/<int:study_id>/rounds/<int:round_id>/items", methods=["POST"])
@keeps_data_on_csrf_failure
def round_items(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    if rnd.status is not RoundStatus.draft:
        flash(_("Only a draft round can be changed."), "error")
        return _back_to_round(rnd)
    candidates = round_scope.candidate_nodes(rnd)
    items_form = RoundItemsForm(request.form, candidates=candidates)
    form = RoundForm(scopes=_scope_choices(study, rnd), zone=study.time_zone)
    form.load(rnd, round_scope.round_scope(rnd))
    if not items_form.validate():
        return _render_form(study, form, rnd=rnd, items_form=items_form, status=400)
    nodes, refusal = attempt(lambda: round_scope.set_round_items_by_ids(rnd, items_form.nodes.data))
    if refusal:
        return _render_form(study, form, rnd=rnd, items_form=items_form, error=refusal, status=400)
    flash(_("Round %(n)s asks about %(k)s indicators.", n=rnd.number, k=len(nodes)), "success")
    return redirect(url_for("coordinator.round_edit", study_id=study.id, round_id=rnd.id, _anchor="items"))
