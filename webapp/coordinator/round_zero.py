"""Coordinator pages of round 0 (the open proposals round): create it, and — once it is
closed — the proposals grouped by the indicator they concern (new ones by where they
belong), anonymised by pseudonym, with accept / merge / reject. Opening, closing,
deadlines and reminders are the shared round pages (``rounds``, ``steering``)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.actions import act, attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.round_zero import MergeForm, RejectForm, RewordForm, RoundZeroForm
from webapp.forms.rounds import AcceptProposalForm
from webapp.models import ProposalKind, ProposalStatus, RoundKind, RoundStatus
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import between_rounds, round_lifecycle, round_zero, round_zero_decisions, steering, timezones
from webapp.templating import current_locale


@bp.context_processor
def _round_zero_helpers():
    return {"round_zero_possible": lambda study: study.status.value != "finished"
            and round_zero.can_have_round_zero(study)}


@bp.route("/<int:study_id>/rounds/zero/new", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_zero_new(study_id: int):
    study = get_study_or_404(study_id)
    form = RoundZeroForm(request.form if request.method == "POST" else None, zone=study.time_zone)
    error = None
    if request.method == "POST" and form.validate():
        rnd, error = attempt(lambda: round_zero.create_round_zero(study, **form.settings()))
        if error is None:
            flash(_("Round 0 created as a draft. Open it when the panel is ready."), "success")
            return redirect(url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))
    return render_template("coordinator/round_zero/new.html", study=study, form=form, error=error,
                           tz_name=timezones.zone_label(study.time_zone),
                           possible=round_zero.can_have_round_zero(study)), \
        400 if request.method == "POST" else 200


def _round_zero_or_404(study_id: int, round_id: int):
    study = get_study_or_404(study_id)
    rnd = round_lifecycle.round_of(study, round_id)
    if rnd is None or rnd.kind is not RoundKind.proposals:
        abort(404)
    return study, rnd


def _parent_choices(study):
    parents = round_zero_decisions.parent_options(study)
    return parents, [(n.id, f"{'· ' * d}{n.code} {n.name(current_locale())}") for n, d in parents]


def _names_from(proposal, duplicates):
    """Chinese text fills the Chinese name, other text the English one; a duplicate in
    the other language fills the other name."""
    names = {"name_zh": "", "name_en": ""}
    for p in [proposal, *duplicates]:
        key = "name_zh" if steering.is_chinese(p.text) else "name_en"
        names[key] = names[key] or p.text[:300]
    return names


def _forms_for(study, rnd, groups, posted=None):
    """Prefilled decision forms for each pending proposal; ``posted``: {id: form} re-shown."""
    posted = posted or {}
    parents, parent_choices = _parent_choices(study)
    parent_ids = {n.id for n, _d in parents}
    forms = {}
    pending = [p for g in groups for p in g.proposals if p.status is ProposalStatus.pending
               and p.kind is not ProposalKind.comment]
    for p in pending:
        dups = round_zero_decisions.duplicates_of(p)
        names = _names_from(p, dups)
        others = [(o.id, f"{o.expert.pseudonym}: {o.text[:60]}") for o in pending
                  if o.id != p.id and (o.kind is ProposalKind.add) == (p.kind is ProposalKind.add)]
        entry = {"dups": dups, "merge": MergeForm.for_proposal(p, others=others),
                 "reject": RejectForm.for_proposal(p)}
        if p.kind is ProposalKind.add:
            form = AcceptProposalForm.for_proposal(p, parent_choices)
            parent = p.parent_node if p.parent_node_id in parent_ids else (parents[0][0] if parents else None)
            if parent is not None:
                form.parent.data = parent.id
                form.code.data = between_rounds.suggest_code(parent)
            form.name_zh.data, form.name_en.data = names["name_zh"], names["name_en"]
            descriptions = [d.description for d in [p, *dups] if d.description]
            for text in descriptions:
                key = "description_zh" if steering.is_chinese(text) else "description_en"
                if not getattr(form, key).data:
                    getattr(form, key).data = text
            entry["accept"] = form
        elif p.kind is ProposalKind.reword:
            form = RewordForm.for_proposal(p)
            form.name_zh.data = names["name_zh"] or (p.node.name_zh if p.node else "")
            form.name_en.data = names["name_en"] or (p.node.name_en if p.node else "")
            entry["accept"] = form
        entry.update(posted.get(p.id, {}))
        forms[p.id] = entry
    return forms


def _render(study, rnd, *, posted=None, status=200):
    groups = round_zero_decisions.grouped_proposals(rnd)
    decidable = rnd.status is RoundStatus.closed and not any(
        r.number > 0 and r.status is not RoundStatus.draft for r in study.rounds)
    counts = {s.value: 0 for s in ProposalStatus}
    for g in groups:
        for p in g.proposals:
            if p.kind is not ProposalKind.comment:
                counts[p.status.value] += 1
    return render_template("coordinator/round_zero/proposals.html", study=study, rnd=rnd, groups=groups,
                           forms=_forms_for(study, rnd, groups, posted) if decidable else {},
                           decidable=decidable, counts=counts), status


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero")
def round_zero_proposals(study_id: int, round_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    if round_lifecycle.close_if_expired(rnd):
        db.session.commit()
    return _render(study, rnd)


def _proposal_or_404(rnd, proposal_id: int):
    proposal = round_zero_decisions.proposal_in(rnd, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def _back(rnd, proposal=None):
    return url_for("coordinator.round_zero_proposals", study_id=rnd.study_id, round_id=rnd.id,
                   _anchor=f"p{proposal.id}" if proposal is not None else None)


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/proposals/<int:proposal_id>/accept",
          methods=["POST"])
def round_zero_accept(study_id: int, round_id: int, proposal_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    if proposal.kind is ProposalKind.add:
        parents, parent_choices = _parent_choices(study)
        form = AcceptProposalForm.for_proposal(proposal, parent_choices, request.form)
        if not form.validate():
            return _render(study, rnd, posted={proposal.id: {"accept": form}}, status=400)
        parent = next(n for n, _d in parents if n.id == form.parent.data)
        node, refusal = attempt(lambda: round_zero_decisions.accept_new(
            proposal, code=form.code.data, name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
            parent=parent, description_zh=form.description_zh.data or "",
            description_en=form.description_en.data or ""))
        if refusal:
            form.code.errors = [refusal]
            return _render(study, rnd, posted={proposal.id: {"accept": form}}, status=400)
        flash(_("Indicator %(code)s added under %(parent)s; round 1 asks about it.",
                code=node.code, parent=parent.code), "success")
        return redirect(_back(rnd, proposal))
    names = {}
    if proposal.kind is ProposalKind.reword:
        form = RewordForm.for_proposal(proposal, request.form)
        if not form.validate():
            return _render(study, rnd, posted={proposal.id: {"accept": form}}, status=400)
        names = {"name_zh": form.name_zh.data or "", "name_en": form.name_en.data or ""}
    return act(lambda: round_zero_decisions.accept_change(proposal, **names), to=_back(rnd, proposal),
               done=lambda node: _("Proposal accepted: %(code)s changed in the indicator system.", code=node.code))


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/proposals/<int:proposal_id>/merge",
          methods=["POST"])
def round_zero_merge(study_id: int, round_id: int, proposal_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    others = [(p.id, "") for p in round_zero_decisions.proposals_of(rnd) if p.id != proposal.id]
    form = MergeForm.for_proposal(proposal, request.form, others=others)
    if not form.validate():
        return _render(study, rnd, posted={proposal.id: {"merge": form}}, status=400)
    into = _proposal_or_404(rnd, form.into.data)
    return act(lambda: round_zero_decisions.merge_duplicate(proposal, into), to=_back(rnd, into),
               done=_("Merged: decide the proposal it joined, and both are decided."))


@bp.route("/<int:study_id>/rounds/<int:round_id>/round-zero/proposals/<int:proposal_id>/reject",
          methods=["POST"])
def round_zero_reject(study_id: int, round_id: int, proposal_id: int):
    study, rnd = _round_zero_or_404(study_id, round_id)
    proposal = _proposal_or_404(rnd, proposal_id)
    form = RejectForm.for_proposal(proposal, request.form)
    if not form.validate():
        return _render(study, rnd, posted={proposal.id: {"reject": form}}, status=400)
    return act(lambda: round_zero_decisions.reject(proposal, form.note.data or ""), to=_back(rnd, proposal),
               done=_("Proposal rejected."))
