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
from webapp.services import notifications, rounds, steering, timezones
from webapp.services.rounds import RoundError
from webapp.templating import current_locale

log = logging.getLogger("webapp.coordinator")

# --- template helpers ---------------------------------------------------------------------


def round_title(rnd) -> str:
    return rnd.title or _("Round %(n)s", n=rnd.number)


def round_dashboard_url(rnd) -> str:
    """The dashboard of a round (served by the dashboard pages once they exist)."""
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


def criterion_name(name: str) -> str:
    labels = {
        "mean_min": _("Mean"), "median_min": _("Median"), "iqr_max": _("IQR"), "cv_max": _("CV"),
        "agreement_min": _("Agreement"), "full_score_min": _("Full-score frequency"),
    }
    return labels.get(name, name)


def criterion_text(rule, name: str) -> str:
    """One criterion of the consensus rule in words: "Mean > 3.5", "CV < 0.25"."""
    threshold = rule.criteria.get(name)
    if threshold is None:
        return criterion_name(name)
    value = f"{100 * threshold:g}%" if name in ("agreement_min", "full_score_min") else f"{threshold:g}"
    op = rule.operator(name).replace(">=", "≥").replace("<=", "≤")
    return f"{criterion_name(name)} {op} {value}"


def rule_text(rule) -> str:
    joiner = _(" and ") if rule.combine == "all" else _(" or ")
    return joiner.join(criterion_text(rule, name) for name in rule.criteria)


@bp.context_processor
def _round_helpers():
    return {
        "round_title": round_title,
        "round_dashboard_url": round_dashboard_url,
        "rounds_overview": rounds.round_summaries,
        "scope_label": scope_label,
        "criterion_text": criterion_text,
        "rule_text": rule_text,
    }


# --- lookups --------------------------------------------------------------------------------

def _round_or_404(study_id: int, round_id: int):
    """The study (owned by the coordinator) and its round; the round's deadline applied first."""
    study = get_study_or_404(study_id)
    rnd = rounds.round_of(study, round_id)
    if rnd is None:
        abort(404)
    if rounds.close_if_expired(rnd):
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
    has_previous = rounds.latest_closed_round(study, before=rnd) is not None
    keys = (["carry"] if has_previous else []) + ["all", "1", "2", "3"]
    return [(key, scope_label(key)) for key in keys]


def _back_to_round(rnd, anchor: str | None = None):
    return redirect(url_for("coordinator.round_detail", study_id=rnd.study_id, round_id=rnd.id,
                            _anchor=anchor))


# --- create and edit --------------------------------------------------------------------------

def _render_form(study, form, *, rnd=None, items_form=None, error=None, preview=None, status=200):
    candidates = rounds.candidate_nodes(rnd) if rnd is not None else []
    ticked = {item.node_id for item in rnd.items} if rnd is not None else set()
    if items_form is None and rnd is not None:
        items_form = RoundItemsForm(candidates=candidates)
    elif items_form is not None:
        ticked = set(items_form.nodes.data or [])
    depths = rounds.node_depths(study) if rnd is not None else {}
    return render_template(
        "coordinator/rounds/form.html", study=study, rnd=rnd, form=form, items_form=items_form,
        candidates=candidates, ticked=ticked, depths=depths, error=error, preview=preview,
        busy=rounds.busy_round(study) if rnd is None else None,
        tz_name=timezones.zone_label(study.time_zone), now=utcnow(),
    ), status


@bp.route("/<int:study_id>/rounds/new", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_new(study_id: int):
    study = get_study_or_404(study_id)
    form = RoundForm(_formdata(), scopes=_scope_choices(study), zone=study.time_zone)
    if request.method == "GET":
        previous = rounds.latest_closed_round(study)
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
    try:
        rnd = rounds.create_round_in_scope(study, form.scope.data, **form.settings())
    except RoundError as exc:
        db.session.rollback()
        return _render_form(study, form, error=str(exc), status=400)
    db.session.commit()
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
        form.load(rnd, rounds.round_scope(rnd))
        return _render_form(study, form, rnd=rnd)
    if "preview" in request.form:
        form.validate()
        return _render_form(study, form, rnd=rnd, preview=form.instructions.data or "")
    if not form.validate():
        return _render_form(study, form, rnd=rnd, status=400)
    try:
        rounds.update_round_in_scope(rnd, form.scope.data, **form.settings())
    except RoundError as exc:
        db.session.rollback()
        return _render_form(study, form, rnd=rnd, error=str(exc), status=400)
    db.session.commit()
    flash(_("Round %(n)s saved.", n=rnd.number), "success")
    return _back_to_round(rnd)


@bp.route("/<int:study_id>/rounds/<int:round_id>/items", methods=["POST"])
@keeps_data_on_csrf_failure
def round_items(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    if rnd.status is not RoundStatus.draft:
        flash(_("Only a draft round can be changed."), "error")
        return _back_to_round(rnd)
    candidates = rounds.candidate_nodes(rnd)
    items_form = RoundItemsForm(request.form, candidates=candidates)
    form = RoundForm(scopes=_scope_choices(study, rnd), zone=study.time_zone)
    form.load(rnd, rounds.round_scope(rnd))
    if not items_form.validate():
        return _render_form(study, form, rnd=rnd, items_form=items_form, status=400)
    try:
        nodes = rounds.set_round_items_by_ids(rnd, items_form.nodes.data)
    except RoundError as exc:
        db.session.rollback()
        return _render_form(study, form, rnd=rnd, items_form=items_form, error=str(exc), status=400)
    db.session.commit()
    flash(_("Round %(n)s asks about %(k)s indicators.", n=rnd.number, k=len(nodes)), "success")
    return redirect(url_for("coordinator.round_edit", study_id=study.id, round_id=rnd.id, _anchor="items"))


# --- one round ------------------------------------------------------------------------------------

def _render_round(study, rnd, *, accept_forms=None, decisions=None, stopping_form=None, status=200):
    context = {"study": study, "rnd": rnd, "now": utcnow(), "button_form": CsrfOnlyForm()}
    summary = next(s for s in rounds.round_summaries(study) if s.round.id == rnd.id)
    context["summary"] = summary
    context["scope"] = rounds.round_scope(rnd) if rnd.status is RoundStatus.draft else None
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
    from webapp.services.delphi_report import round_report, stop_decision

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
    parents = rounds.parent_options(rnd)
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
                form.code.data = rounds.suggest_code(parent)
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

@bp.route("/<int:study_id>/rounds/<int:round_id>/open", methods=["POST"])
def round_open(study_id: int, round_id: int):
    _study, rnd = _round_or_404(study_id, round_id)
    try:
        rounds.open_round(rnd)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd)
    db.session.commit()
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
    try:
        rounds.close_round(rnd)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd)
    db.session.commit()
    flash(_("Round %(n)s is closed. Unsubmitted drafts stay out of the results.", n=rnd.number), "success")
    return _back_to_round(rnd)


@bp.route("/<int:study_id>/rounds/<int:round_id>/delete", methods=["POST"])
def round_delete(study_id: int, round_id: int):
    study, rnd = _round_or_404(study_id, round_id)
    number = rnd.number
    try:
        rounds.delete_draft_round(rnd)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd)
    db.session.commit()
    flash(_("Draft round %(n)s deleted.", n=number), "success")
    return redirect(url_for("coordinator.study", study_id=study.id, _anchor="rounds"))


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
    try:
        rounds.finish_study(study)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("coordinator.study", study_id=study.id, _anchor="rounds"))
    db.session.commit()
    flash(_("The study is finished. Its results stay available."), "success")
    return redirect(url_for("coordinator.study", study_id=study.id))


# --- between rounds -------------------------------------------------------------------------------

@bp.route("/<int:study_id>/rounds/<int:round_id>/decisions", methods=["POST"])
@keeps_data_on_csrf_failure
def round_decisions(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    form = decisions_form(rnd.items, request.form)
    if not form.validate():
        return _render_round(study, rnd, decisions=form, status=400)
    try:
        changed = rounds.set_item_decisions(rnd, form.decisions())
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd, "decisions")
    db.session.commit()
    flash(_("Decisions saved (%(n)s changed).", n=changed), "success")
    return _back_to_round(rnd, "decisions")


def _proposal_or_404(rnd, proposal_id: int):
    proposal = rounds.proposal_of(rnd, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


@bp.route("/<int:study_id>/rounds/<int:round_id>/proposals/<int:proposal_id>/accept", methods=["POST"])
def round_proposal_accept(study_id: int, round_id: int, proposal_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    if proposal.kind is not ProposalKind.add:
        try:
            rounds.accept_change_proposal(proposal)
        except RoundError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _back_to_round(rnd, "proposals")
        db.session.commit()
        flash(_("Proposal accepted."), "success")
        return _back_to_round(rnd, "proposals")
    parents = rounds.parent_options(rnd)
    form = AcceptProposalForm.for_proposal(proposal, _parent_choices(parents), request.form)
    if not form.validate():
        return _render_round(study, rnd, accept_forms={proposal.id: form}, status=400)
    parent = next(n for n, _d in parents if n.id == form.parent.data)
    try:
        node = rounds.accept_proposal(
            proposal, code=form.code.data, name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
            parent=parent, description_zh=form.description_zh.data or "",
            description_en=form.description_en.data or "")
    except RoundError as exc:
        db.session.rollback()
        form.code.errors = [str(exc)]
        return _render_round(study, rnd, accept_forms={proposal.id: form}, status=400)
    db.session.commit()
    flash(_("Indicator %(code)s added under %(parent)s; the next round asks about it.",
            code=node.code, parent=parent.code), "success")
    return _back_to_round(rnd, "proposals")


@bp.route("/<int:study_id>/rounds/<int:round_id>/proposals/<int:proposal_id>/reject", methods=["POST"])
def round_proposal_reject(study_id: int, round_id: int, proposal_id: int):
    _study, rnd = _delphi_round_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    try:
        rounds.reject_proposal(proposal)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd, "proposals")
    db.session.commit()
    flash(_("Proposal rejected."), "success")
    return _back_to_round(rnd, "proposals")


@bp.route("/<int:study_id>/rounds/<int:round_id>/stopping", methods=["POST"])
@keeps_data_on_csrf_failure
def round_stopping_rule(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    form = StoppingRuleForm(request.form)
    if not form.validate():
        return _render_round(study, rnd, stopping_form=form, status=400)
    try:
        rounds.set_stopping_rule(study, max_rounds=form.max_rounds.data, stability_alpha=form.stability_alpha.data)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd, "advice")
    db.session.commit()
    flash(_("Stopping rule saved."), "success")
    return _back_to_round(rnd, "advice")


@bp.route("/<int:study_id>/rounds/<int:round_id>/next", methods=["POST"])
def round_next(study_id: int, round_id: int):
    study, rnd = _delphi_round_or_404(study_id, round_id)
    try:
        new = rounds.create_next_round(rnd)
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_round(rnd, "advice")
    db.session.commit()
    flash(_("Round %(n)s created as a draft with %(k)s indicators. Check the list, then open it.",
            n=new.number, k=len(new.items)), "success")
    return redirect(url_for("coordinator.round_edit", study_id=study.id, round_id=new.id, _anchor="items"))
