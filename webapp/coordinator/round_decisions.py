"""Coordinator actions between Delphi rounds: item decisions, experts' proposals,
the stopping rule and creating the next round.

Views are thin: parse a form, call one service, commit once, flash, redirect.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from webapp.actions import act, attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.round_page import _parent_choices, _render_round
from webapp.coordinator.rounds import _back_to_round, _delphi_round_or_404, _round_url
from webapp.forms.rounds import AcceptProposalForm, StoppingRuleForm, decisions_form
from webapp.models import ProposalKind
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import between_rounds

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
