"""The coordinator's page of one round and its lifecycle: open, close, delete, remind, finish.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Every page of a round first applies its deadline (``close_if_expired``) through
``rounds._round_or_404``.
"""
from __future__ import annotations

import logging

from flask import flash, g, render_template, url_for
from flask_babel import gettext as _

from webapp.actions import act, attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.invitations import after_sending
from webapp.coordinator.routes import get_study_or_404
from webapp.coordinator.rounds import _back_to_round, _round_or_404, _round_url
from webapp.extensions import db
from webapp.forms.base import CsrfOnlyForm
from webapp.forms.rounds import AcceptProposalForm, StoppingRuleForm, decisions_form
from webapp.models import ProposalKind, ProposalStatus, RoundKind, RoundStatus, utcnow
from webapp.services import between_rounds, notifications, round_lifecycle, round_scope, steering
from webapp.services.delphi_items import round_report, stop_decision
from webapp.services.round_lifecycle import RoundError
from webapp.templating import current_locale

log = logging.getLogger("webapp.coordinator")

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
