"""Coordinator pages of Delphi rounds: create and edit drafts, open and close,
remind, and the work between rounds (decisions, proposals, stopping advice).

Views are thin: parse a form, call one service, commit once, flash, redirect.
Every page of a round first applies its deadline (``close_if_expired``), so a
round past its closing time is shown, and treated, as closed whether or not a
scheduler runs.
"""
from __future__ import annotations

import logging

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from webapp import presentation
from webapp.actions import act, attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.invitations import after_sending
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.forms.rounds import (
    AcceptProposalForm,
    RoundForm,
    RoundItemsForm,
    StoppingRuleForm,
    decisions_form,
)
from webapp.models import ProposalKind, ProposalStatus, RoundKind, RoundStatus, utcnow
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import between_rounds, notifications, round_lifecycle, round_scope, steering, timezones, tree
from webapp.services.delphi_items import round_report, stop_decision
from webapp.services.round_lifecycle import RoundError
from webapp.templating import current_locale

log = logging.getLogger("webapp.coordinator")

# --- template helpers ---------------------------------------------------------------------


def round_title(rnd) -> str:
    return rnd.title or _("Round %(n)s", n=rnd.number)


def round_dashboard_url(rnd) -> str:
    """The dashboard of a round (served by the dashboard pages once they exist)."""
    if rnd.kind is RoundKind.ahp:
        return url_for("coordinator.ahp_dashboard_page", study_id=rnd.study_id, round_id=rnd.id)
    if rnd.kind is RoundKind.proposals:
        return url_for("coordinator.round_zero_proposals", study_id=rnd.study_id, round_id=rnd.id)
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


# --- one round ------------------------------------------------------------------------------------

def _render_round(study, rnd, *, accept_forms=None, decisions=None, stopping_form=None, status=200):
    context = {"study": study, "rnd": rnd, "now": utcnow(), "button_form": CsrfOnlyForm()}
    summary = next(s for s in round_lifecycle.round_summaries(study) if s.round.id == rnd.id)
    context["summary"] = summary
    context["scope"] = round_scope.round_scope(rnd) if rnd.status is RoundStatus.draft else None
    context["pending"] = (notifications.pending_experts(rnd) if rnd.status is RoundStatus.open else [])
    context["reminder_due_at"] = notifications.reminder_due_at(rnd)
    context["is_latest"] = all(r.number <= rnd.number for r in study.rounds)
    context["next_round"] = min((r for r in study.rounds if r.number > rnd.number), key=lambda r: r.number,
                                default=None)
    if rnd.status is RoundStatus.closed and rnd.kind is RoundKind.delphi:
        context.update(_between_rounds(study, rnd, accept_forms or {}, decisions, stopping_form))
    return render_template("coordinator/rounds/round.html", **context), status


def _parent_choices(parents):
    return [(n.id, f"{'· ' * d}{n.code} {n.name(current_locale())}") for n, d in parents]


def _between_rounds(study, rnd, accept_forms, decisions, stopping_form):
    context = {"report": None, "report_error": None, "advice": None}
    try:
        report = round_report(rnd)
        advice = stop_decision(rnd)
    except ValueError as exc:
        context["report_error"] = str(exc)
    else:
        context["report"], context["advice"] = report, advice
        context["rows"] = list(zip(rnd.items, report.items))
        codes = [item.node.code for item in rnd.items]
        if advice is not None:
            context["pending_codes"] = [codes[i] for i in advice.pending]
            context["unstable_codes"] = [codes[i] for i in (advice.unstable or ())]
    context["decisions"] = decisions or decisions_form(rnd.items)
    parents = between_rounds.parent_options(rnd)
    parent_choices = _parent_choices(parents)
    forms = {}
    for proposal in context["report"].proposals if context["report"] else []:
        if proposal.status is not ProposalStatus.pending or proposal.kind is not ProposalKind.add:
            continue
        form = accept_forms.get(proposal.id)
        if form is None:
            form = AcceptProposalForm.for_proposal(proposal, parent_choices)
            parent = proposal.parent_node if proposal.parent_node_id in {n.id for n, _d in parents} else (
                parents[0][0] if parents else None)
            if parent is not None:
                form.parent.data = parent.id
                form.code.data = between_rounds.suggest_code(parent)
            if steering.is_chinese(proposal.text):  # the proposal's language, not the page's
                form.name_zh.data = proposal.text[:300]
            else:
                form.name_en.data = proposal.text[:300]
        forms[proposal.id] = form
    context["accept_forms"] = forms
    if stopping_form is None:
        stopping_form = StoppingRuleForm(data={"max_rounds": study.max_rounds,
                                               "stability_alpha": study.stability_alpha})
    context["stopping_form"] = stopping_form
    return context


@bp.route("/<int:study_id>/rounds/<int:round_id>")
def round_detail(study_id: int, round_id: int):
    study, rnd = _round_or_404(study_id, round_id)
    return _render_round(study, rnd)


# --- lifecycle ----------------------------------------------------------------------------------

def _round_url(rnd, anchor: str | None = None) -> str:
    return url_for("coordinator.round_detail", study_id=rnd.study_id, round_id=rnd.id, _anchor=anchor)


@bp.route("/<int:study_id>/rounds/<int:round_id>/open", methods=["POST"])
def round_open(study_id: int, round_id: int):
    _study, rnd = _round_or_404(study_id, round_id)
    _done, refusal = attempt(lambda: round_lifecycle.open_round(rnd), RoundError)
    if refusal:
        flash(refusal, "error")
        return _back_to_round(rnd)
    flash(_("Round %(n)s is open: the experts can answer with their invitation links.", n=rnd.number), "success")
    return _notify_round_open(_study, rnd)


def _notify_round_open(study, rnd):
    """Every expert with an active link gets "round n is open" with their link; without a
    mail server the coordinator is told to send the messages (and gets them to copy)."""
    outcome = notifications.queue_round_open(rnd)
    if not outcome.rows:
        if outcome.without_email:
            flash(_("No expert has an e-mail address: send them their links yourself (Expert panel → "
                    "Invitation links)."), "warning")
        return _back_to_round(rnd)
    db.session.commit()
    try:
        notifications.finish(outcome, study=study)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the round is open; the page says the e-mails failed
        db.session.rollback()
        log.exception("round-open notices of round %s of study %s failed", rnd.number, study.id)
        flash(_("The e-mails announcing the round could not be sent; see the messages page."), "error")
        return _back_to_round(rnd)
    return after_sending(study, outcome, _("%(n)s experts were e-mailed that the round is open.", n=outcome.sent),
                         back=url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


@bp.route("/<int:study_id>/rounds/<int:round_id>/close", methods=["POST"])
def round_close(study_id: int, round_id: int):
    _study, rnd = _round_or_404(study_id, round_id)
    if g.get("closed_at_deadline"):
        return _back_to_round(rnd)
    return act(lambda: round_lifecycle.close_round(rnd), to=_round_url(rnd),
               done=_("Round %(n)s is closed. Unsubmitted drafts stay out of the results.", n=rnd.number))


@bp.route("/<int:study_id>/rounds/<int:round_id>/delete", methods=["POST"])
def round_delete(study_id: int, round_id: int):
    study, rnd = _round_or_404(study_id, round_id)
    return act(lambda: round_lifecycle.delete_draft_round(rnd), refused_to=_round_url(rnd),
               to=url_for("coordinator.study", study_id=study.id, _anchor="rounds"),
               done=_("Draft round %(n)s deleted.", n=rnd.number))


@bp.route("/<int:study_id>/rounds/<int:round_id>/remind", methods=["POST"])
def round_remind(study_id: int, round_id: int):
    study, rnd = _round_or_404(study_id, round_id)
    try:
        outcome = notifications.queue_reminders_now(rnd)
        db.session.commit()  # queued (and the automatic reminder claimed): nothing goes twice
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd)
    try:
        notifications.finish(outcome, study=study, manual=True)
        db.session.commit()
    except Exception:  # noqa: BLE001 - never a 500: the page says what happened
        db.session.rollback()
        log.exception("reminders of round %s of study %s: delivery failed", rnd.number, study.id)
        flash(_("The reminders could not be sent; see the messages page."), "error")
        return _back_to_round(rnd)
    if outcome.sent == 0 and outcome.failed:
        flash(_("The reminders could not be sent: %(why)s", why="; ".join(outcome.errors[:3])), "error")
        return _back_to_round(rnd)
    return after_sending(study, outcome, _("Reminder sent to %(n)s experts.", n=outcome.sent),
                         back=url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


@bp.route("/<int:study_id>/rounds/finish", methods=["POST"])
def rounds_finish_study(study_id: int):
    study = get_study_or_404(study_id)
    return act(lambda: round_lifecycle.finish_study(study), to=url_for("coordinator.study", study_id=study.id),
               refused_to=url_for("coordinator.study", study_id=study.id, _anchor="rounds"),
               done=_("The study is finished. Its results stay available."))


# --- between rounds -------------------------------------------------------------------------------

@bp.route("/<int:study_id>/rounds/<int:round_id>/decisions", methods=["POST"])
@keeps_data_on_csrf_failure
def round_decisions(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    form = decisions_form(rnd.items, request.form)
    if not form.validate():
        return _render_round(study, rnd, decisions=form, status=400)
    return act(lambda: between_rounds.set_item_decisions(rnd, form.decisions()), to=_round_url(rnd, "decisions"),
               done=lambda changed: _("Decisions saved (%(n)s changed).", n=changed))


def _proposal_or_404(rnd, proposal_id: int):
    proposal = between_rounds.proposal_of(rnd, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


@bp.route("/<int:study_id>/rounds/<int:round_id>/proposals/<int:proposal_id>/accept", methods=["POST"])
def round_proposal_accept(study_id: int, round_id: int, proposal_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    if proposal.kind is not ProposalKind.add:
        return act(lambda: between_rounds.accept_change_proposal(proposal), to=_round_url(rnd, "proposals"),
                   done=_("Proposal accepted."))
    parents = between_rounds.parent_options(rnd)
    form = AcceptProposalForm.for_proposal(proposal, _parent_choices(parents), request.form)
    if not form.validate():
        return _render_round(study, rnd, accept_forms={proposal.id: form}, status=400)
    parent = next(n for n, _d in parents if n.id == form.parent.data)
    node, refusal = attempt(lambda: between_rounds.accept_proposal(
        proposal, code=form.code.data, name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
        parent=parent, description_zh=form.description_zh.data or "", description_en=form.description_en.data or ""))
    if refusal:
        form.code.errors = [refusal]
        return _render_round(study, rnd, accept_forms={proposal.id: form}, status=400)
    flash(_("Indicator %(code)s added under %(parent)s; the next round asks about it.",
            code=node.code, parent=parent.code), "success")
    return _back_to_round(rnd, "proposals")


@bp.route("/<int:study_id>/rounds/<int:round_id>/proposals/<int:proposal_id>/reject", methods=["POST"])
def round_proposal_reject(study_id: int, round_id: int, proposal_id: int):
    _study, rnd = _delphi_round_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    return act(lambda: between_rounds.reject_proposal(proposal), to=_round_url(rnd, "proposals"),
               done=_("Proposal rejected."))


@bp.route("/<int:study_id>/rounds/<int:round_id>/stopping", methods=["POST"])
@keeps_data_on_csrf_failure
def round_stopping_rule(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    form = StoppingRuleForm(request.form)
    if not form.validate():
        return _render_round(study, rnd, stopping_form=form, status=400)
    return act(lambda: between_rounds.set_stopping_rule(study, max_rounds=form.max_rounds.data,
                                                        stability_alpha=form.stability_alpha.data),
               to=_round_url(rnd, "advice"), done=_("Stopping rule saved."))


@bp.route("/<int:study_id>/rounds/<int:round_id>/next", methods=["POST"])
def round_next(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    new, refusal = attempt(lambda: between_rounds.create_next_round(rnd))
    if refusal:
        flash(refusal, "error")
        return _back_to_round(rnd, "advice")
    flash(_("Round %(n)s created as a draft with %(k)s indicators. Check the list, then open it.",
            n=new.number, k=len(new.items)), "success")
    return redirect(url_for("coordinator.round_edit", study_id=study.id, round_id=new.id, _anchor="items"))
