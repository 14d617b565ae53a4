"""The expert panel pages: the list, adding experts one by one or from a list, editing
an expert's contact and profile, new links and revoking.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Invitation links can be shown again at any time (``coordinator/invitations.py``).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.actions import act, attempt, save_form
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.coordinator.setup import _posted
from webapp.extensions import db
from webapp.forms.groups import GroupForm
from webapp.forms.setup import ExpertEditForm, ExpertForm, ExpertListForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import groups, messaging, panel, panel_lists, profile_labels
from webapp.services.panel import PanelError


def _expert_or_404(study, expert_id: int):
    expert = panel.expert_of(study, expert_id)
    if expert is None:
        abort(404)
    return expert


# --- panel ---------------------------------------------------------------------------------

def render_panel(study, *, add_form=None, list_form=None, group_form=None, status=200):
    experts = panel.experts_of(study)
    active = [e for e in experts if not e.is_revoked]
    return render_template(
        "coordinator/setup/panel.html", study=study, experts=experts,
        summary=panel.panel_summary(study),
        completeness={e.id: panel.profile_completeness(e) for e in experts},
        missing={e.id: panel.profile_missing(e) for e in experts},
        deliveries=messaging.latest_by_expert(study),
        makeup=[groups.makeup(study, active)] + profile_labels.makeup(active),
        add_form=add_form or ExpertForm(groups=groups.choices_of(study)), list_form=list_form or ExpertListForm(),
        group_form=group_form or GroupForm(), study_groups=groups.groups_of(study), group_usage=groups.usage(study),
    ), status


def _to_links(study, invitations, message: str):
    """After adding experts: their links, on the page that can show them again."""
    flash(message, "success")
    return redirect(url_for("coordinator.panel_links", study_id=study.id,
                            experts=",".join(str(inv.expert.id) for inv in invitations)))


@bp.route("/<int:study_id>/panel")
def panel_page(study_id: int):
    return render_panel(get_study_or_404(study_id))


@bp.route("/<int:study_id>/panel/add", methods=["POST"])
@keeps_data_on_csrf_failure
def panel_add(study_id: int):
    study = get_study_or_404(study_id)
    form = ExpertForm(request.form, groups=groups.choices_of(study))
    if form.validate():
        invitation, refusal = attempt(lambda: panel.add_one(
            study, name=form.name.data, email=form.email.data, organisation=form.organisation.data or "",
            stakeholder_group=form.stakeholder_group.data or None), PanelError)
        if refusal:
            form.email.errors = [refusal]
        else:
            return _to_links(study, [invitation], _("%(pseudonym)s added to the panel",
                                                    pseudonym=invitation.expert.pseudonym))
    return render_panel(study, add_form=form, status=400)


@bp.route("/<int:study_id>/panel/import", methods=["POST"])
@keeps_data_on_csrf_failure
def panel_import(study_id: int):
    study = get_study_or_404(study_id)
    form = ExpertListForm(_posted())
    if form.validate():
        invitations, refusal = attempt(lambda: panel.add_experts(study, panel_lists.parse_expert_list(
            panel_lists.decode_list(form.file.data.read(), form.file.data.filename) if form.has_file()
            else form.text.data, study)), PanelError)
        if refusal:
            (form.file if form.has_file() else form.text).errors = [refusal]
        else:
            return _to_links(study, invitations, _("%(n)s experts added to the panel", n=len(invitations)))
    return render_panel(study, list_form=form, status=400)


def _update_expert(expert, form) -> None:
    panel.update_contact(expert, **form.contact_data())
    panel.update_profile(expert, form.profile_data())


@bp.route("/<int:study_id>/panel/<int:expert_id>", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def expert_edit(study_id: int, expert_id: int):
    study = get_study_or_404(study_id)
    expert = _expert_or_404(study, expert_id)
    if request.method == "POST":
        form = ExpertEditForm(request.form, groups=groups.choices_of(study))
        saved = save_form(form, lambda: _update_expert(expert, form), refusals=(PanelError,),
                          done=_("%(pseudonym)s saved.", pseudonym=expert.pseudonym),
                          to=url_for("coordinator.panel_page", study_id=study.id, _anchor=f"expert-{expert.id}"))
        if saved is not None:
            return saved
    else:
        form = ExpertEditForm(data={"name": expert.name, "email": expert.email or "",
                                    "organisation": expert.organisation,
                                    **ExpertEditForm.data_for(panel.profile_of(expert))},
                              groups=groups.choices_of(study))
    return render_template("coordinator/setup/expert.html", study=study, expert=expert, form=form,
                           authority=panel.authority_of(expert, study),
                           completeness=panel.profile_completeness(expert),
                           ), 400 if request.method == "POST" else 200


@bp.route("/<int:study_id>/panel/<int:expert_id>/reissue", methods=["POST"])
def expert_reissue(study_id: int, expert_id: int):
    study = get_study_or_404(study_id)
    expert = _expert_or_404(study, expert_id)
    panel.reissue(expert)
    db.session.commit()
    flash(_("New link for %(pseudonym)s: the previous link no longer works.", pseudonym=expert.pseudonym),
          "success")
    return redirect(url_for("coordinator.panel_links", study_id=study.id, experts=str(expert.id)))


@bp.route("/<int:study_id>/panel/<int:expert_id>/revoke", methods=["POST"])
def expert_revoke(study_id: int, expert_id: int):
    study = get_study_or_404(study_id)
    expert = _expert_or_404(study, expert_id)
    return act(lambda: panel.revoke(expert), refusals=(PanelError,),
               to=url_for("coordinator.panel_page", study_id=study.id, _anchor=f"expert-{expert.id}"),
               done=_("The link of %(pseudonym)s no longer works.", pseudonym=expert.pseudonym))
