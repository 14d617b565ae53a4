"""Study set-up pages: the indicator system, the study settings and the expert panel.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Invitation links can be shown again at any time (``coordinator/invitations.py``).
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.coordinator import StudyForm
from webapp.forms.groups import GroupForm
from webapp.forms.setup import (
    AuthorityTablesForm,
    ConsensusRuleForm,
    ExpertEditForm,
    ExpertForm,
    ExpertListForm,
    HierarchyUploadForm,
    NodeEditForm,
    NodeForm,
)
import delphi
from webapp import presentation
from webapp.actions import act, attempt
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import (groups, hierarchy_edit, hierarchy_io, messaging, panel, panel_lists, profile_labels,
                             studies)
from webapp.services.hierarchy_io import seed_hierarchy_bytes
from webapp.services.hierarchy_io import HierarchyError
from webapp.services.panel import PanelError
from webapp.services.studies import StudyError
from webapp.templating import current_locale


@bp.context_processor
def _setup_helpers():
    return {
        "group_label": groups.group_label,
        "level_label": hierarchy_edit.level_label,
        "consensus_rule_text": lambda study: presentation.rule_in_words(studies.consensus_rule_of(study)),
    }


def _node_or_404(study, node_id: int):
    node = hierarchy_edit.node_of(study, node_id)
    if node is None:
        abort(404)
    return node


def _expert_or_404(study, expert_id: int):
    expert = panel.expert_of(study, expert_id)
    if expert is None:
        abort(404)
    return expert


def _posted():
    return CombinedMultiDict([request.files, request.form])


# --- indicator system ----------------------------------------------------------------------

def _render_indicators(study, upload_form=None, status=200):
    root = study.root
    return render_template(
        "coordinator/setup/indicators.html", study=study, root=root,
        rows=list(hierarchy_edit.walk(root)) if root else [],
        levels=hierarchy_edit.level_counts(study), locked=hierarchy_edit.is_locked(study),
        upload_form=upload_form or HierarchyUploadForm(),
    ), status


@bp.route("/<int:study_id>/indicators")
def indicators(study_id: int):
    return _render_indicators(get_study_or_404(study_id))


@bp.route("/<int:study_id>/indicators/import", methods=["POST"])
def indicators_import(study_id: int):
    study = get_study_or_404(study_id)
    form = HierarchyUploadForm(_posted())
    if not form.validate():
        return _render_indicators(study, form, 400)
    upload = form.file.data
    count, refusal = attempt(lambda: studies.import_hierarchy(
        study, hierarchy_io.parse_upload(upload.filename, upload.read())), HierarchyError)
    if refusal:
        form.file.errors = [refusal]
        return _render_indicators(study, form, 400)
    flash(_("Imported %(n)s indicators from %(file)s.", n=count, file=upload.filename), "success")
    return redirect(url_for("coordinator.indicators", study_id=study.id))


@bp.route("/<int:study_id>/indicators/seed", methods=["POST"])
def indicators_seed(study_id: int):
    study = get_study_or_404(study_id)
    return act(lambda: studies.import_hierarchy(
        study, hierarchy_io.validate_tree(hierarchy_io.parse_json(seed_hierarchy_bytes()))),
        to=url_for("coordinator.indicators", study_id=study.id), refusals=(HierarchyError,),
        done=lambda count: _("The example indicator system is in place: %(n)s indicators.", n=count))


@bp.route("/<int:study_id>/indicators/export.<fmt>")
def indicators_export(study_id: int, fmt: str):
    study = get_study_or_404(study_id)
    root = study.root
    if root is None or fmt not in ("json", "csv"):
        abort(404)
    filename = f"study-{study.id}-indicators"
    if fmt == "json":
        body, mimetype = hierarchy_io.export_json(root).encode("utf-8"), "application/json"
    else:
        body, mimetype = ("\ufeff" + hierarchy_io.export_csv(root)).encode("utf-8"), "text/csv"
    return Response(body, mimetype=mimetype + "; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


@bp.route("/<int:study_id>/indicators/<int:node_id>/add", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def node_add(study_id: int, node_id: int):
    study = get_study_or_404(study_id)
    parent = _node_or_404(study, node_id)
    if request.method == "POST":
        form = NodeForm(request.form)
        if form.validate():
            node, refusal = attempt(lambda: hierarchy_edit.add_child(parent, **form.node_data()), HierarchyError)
            if refusal:
                form.form_errors.append(refusal)
            else:
                flash(_("Indicator %(code)s added.", code=node.code), "success")
                return redirect(url_for("coordinator.indicators", study_id=study.id, _anchor=f"node-{node.id}"))
    else:
        form = NodeForm(code=hierarchy_edit.suggest_code(parent))
    return render_template("coordinator/setup/node_form.html", study=study, parent=parent, node=None,
                           form=form, locked=hierarchy_edit.is_locked(study),
                           ), 400 if request.method == "POST" else 200


@bp.route("/<int:study_id>/indicators/<int:node_id>/edit", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def node_edit(study_id: int, node_id: int):
    study = get_study_or_404(study_id)
    node = _node_or_404(study, node_id)
    if request.method == "POST":
        form = NodeEditForm(request.form)
    else:
        form = NodeEditForm(code=node.code, name_zh=node.name_zh, name_en=node.name_en,
                            description_zh=node.description_zh, description_en=node.description_en,
                            parent=node.parent_id or 0)
    options = hierarchy_edit.parent_choices(node, study)
    form.parent.choices = [(0, "—")] if node.parent_id is None else [
        (n.id, "\u00a0\u00a0" * depth + f"{n.code} · {n.name(_locale())}") for n, depth in options]
    if request.method == "POST" and form.validate():
        new_parent = (_node_or_404(study, form.parent.data)
                      if node.parent_id is not None and form.parent.data != node.parent_id else None)
        _done, refusal = attempt(lambda: _update_and_move(node, form.node_data(), new_parent), HierarchyError)
        if refusal:
            form.form_errors.append(refusal)
        else:
            flash(_("Indicator %(code)s saved.", code=node.code), "success")
            return redirect(url_for("coordinator.indicators", study_id=study.id, _anchor=f"node-{node.id}"))
    return render_template("coordinator/setup/node_form.html", study=study, parent=node.parent, node=node,
                           form=form, locked=hierarchy_edit.is_locked(study),
                           subtree=len(hierarchy_edit.subtree_ids(node)),
                           ), 400 if request.method == "POST" else 200


@bp.route("/<int:study_id>/indicators/<int:node_id>/move/<direction>", methods=["POST"])
def node_move(study_id: int, node_id: int, direction: str):
    study = get_study_or_404(study_id)
    node = _node_or_404(study, node_id)
    if direction not in ("up", "down"):
        abort(404)
    _done, refusal = attempt(lambda: hierarchy_edit.shift_node(node, -1 if direction == "up" else 1), HierarchyError)
    if refusal:
        flash(refusal, "error")
    return redirect(url_for("coordinator.indicators", study_id=study.id, _anchor=f"node-{node.id}"))


@bp.route("/<int:study_id>/indicators/<int:node_id>/delete", methods=["POST"])
def node_delete(study_id: int, node_id: int):
    study = get_study_or_404(study_id)
    node = _node_or_404(study, node_id)
    code = node.code
    return act(lambda: hierarchy_edit.delete_node(node), to=url_for("coordinator.indicators", study_id=study.id),
               refused_to=url_for("coordinator.node_edit", study_id=study.id, node_id=node_id),
               refusals=(HierarchyError,),
               done=lambda count: _("Indicator %(code)s deleted (%(n)s indicators in all).", code=code, n=count))


def _update_and_move(node, data: dict, new_parent) -> None:
    hierarchy_edit.update_node(node, **data)
    if new_parent is not None:
        hierarchy_edit.move_node(node, new_parent)


def _locale() -> str:
    return current_locale()


# --- settings ---------------------------------------------------------------------------------

def _preset_choices():
    titles = {"cn-standard": _("Chinese screening rule (fixed thresholds)"),
              "iqr-agreement": _("IQR and agreement"), "agreement-75": _("Agreement 75%"),
              "comet": _("COMET (agreement on 7–9)")}
    names = sorted(delphi.ConsensusRule.presets(), key=lambda n: (n != studies.DEFAULT_CONSENSUS_PRESET, n))
    return [(name, _("%(title)s: %(rule)s", title=titles.get(name, name),
                     rule=presentation.rule_in_words(delphi.ConsensusRule.preset(name))))
            for name in names]


def _render_settings(study, *, general=None, consensus=None, authority=None, status=200):
    rule = studies.consensus_rule_of(study)
    basis, familiarity = studies.authority_tables_of(study)
    if general is None:
        general = StudyForm(title=study.title, description=study.description,
                            default_locale=study.default_locale, time_zone=study.time_zone)
    if consensus is None:
        consensus = ConsensusRuleForm(data=ConsensusRuleForm.data_for(rule), presets=_preset_choices())
    if authority is None:
        authority = AuthorityTablesForm(data=AuthorityTablesForm.data_for(basis, familiarity))
    return render_template(
        "coordinator/setup/settings.html", study=study, general=general, consensus=consensus,
        authority=authority, rule=rule, rule_text=presentation.rule_in_words(rule),
        rule_is_default=not study.consensus_rule, preset_sources=delphi.PRESET_SOURCES,
        tables_default=studies.authority_tables_are_default(study),
        basis_source=delphi.BASIS_TABLE_SOURCE, familiarity_source=delphi.FAMILIARITY_SCALE_SOURCE,
        source_labels=presentation.basis_source_labels(), level_labels=presentation.basis_level_labels(),
        familiarity_labels=presentation.familiarity_labels(),
    ), status


@bp.route("/<int:study_id>/settings", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def settings(study_id: int):
    study = get_study_or_404(study_id)
    if request.method == "GET":
        return _render_settings(study)
    form = StudyForm(request.form)
    if form.validate():
        _done, refusal = attempt(lambda: studies.update_study(
            study, title=form.title.data, description=form.description.data or "",
            default_locale=form.default_locale.data, time_zone=form.time_zone.data or None), StudyError)
        if refusal:
            form.title.errors = [refusal]
        else:
            flash(_("Study settings saved."), "success")
            return redirect(url_for("coordinator.settings", study_id=study.id))
    return _render_settings(study, general=form, status=400)


@bp.route("/<int:study_id>/settings/consensus", methods=["POST"])
@keeps_data_on_csrf_failure
def settings_consensus(study_id: int):
    study = get_study_or_404(study_id)
    form = ConsensusRuleForm(request.form, presets=_preset_choices())
    if form.validate():
        rule, refusal = attempt(lambda: studies.set_consensus_rule(study, **form.rule_data()), StudyError)
        if refusal:
            form.mode.errors = [refusal]
        else:
            flash(_("Consensus rule saved: %(rule)s.", rule=presentation.rule_in_words(rule)), "success")
            return redirect(url_for("coordinator.settings", study_id=study.id, _anchor="consensus"))
    return _render_settings(study, consensus=form, status=400)


@bp.route("/<int:study_id>/settings/authority", methods=["POST"])
@keeps_data_on_csrf_failure
def settings_authority(study_id: int):
    study = get_study_or_404(study_id)
    form = AuthorityTablesForm(request.form)
    if form.validate():
        basis, familiarity = form.tables()
        _done, refusal = attempt(lambda: studies.set_authority_tables(study, basis=basis, familiarity=familiarity),
                                 StudyError)
        if refusal:
            form.form_errors.append(refusal)
        else:
            flash(_("Authority tables saved."), "success")
            return redirect(url_for("coordinator.settings", study_id=study.id, _anchor="authority"))
    return _render_settings(study, authority=form, status=400)


@bp.route("/<int:study_id>/settings/authority/reset", methods=["POST"])
def settings_authority_reset(study_id: int):
    study = get_study_or_404(study_id)
    return act(lambda: studies.set_authority_tables(study, basis=None, familiarity=None), refusals=(StudyError,),
               to=url_for("coordinator.settings", study_id=study.id, _anchor="authority"),
               done=_("The default authority tables are in use again."))


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
        if form.validate():
            _done, refusal = attempt(lambda: _update_expert(expert, form), PanelError)
            if refusal:
                form.form_errors.append(refusal)
            else:
                flash(_("%(pseudonym)s saved.", pseudonym=expert.pseudonym), "success")
                return redirect(url_for("coordinator.panel_page", study_id=study.id, _anchor=f"expert-{expert.id}"))
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
