"""The stakeholder-group editor on the panel page: add, rename, reorder, delete if unused."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask import request
from flask_babel import gettext as _

from webapp.actions import act, save_form
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.coordinator.panel_pages import render_panel
from webapp.forms.groups import GroupForm, GroupNamesForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import groups
from webapp.services.groups import GroupError


def _group_or_404(study, group_id: int):
    group = groups.group_of(study, group_id)
    if group is None:
        abort(404)
    return group


def _editor_url(study) -> str:
    return url_for("coordinator.panel_page", study_id=study.id, _anchor="groups")


@bp.route("/<int:study_id>/panel/groups", methods=["POST"])
@keeps_data_on_csrf_failure
def group_add(study_id: int):
    study = get_study_or_404(study_id)
    form = GroupForm(request.form)
    return save_form(form, lambda: groups.add_group(study, code=form.code.data, **form.names()),
                     refusals=(GroupError,), error_field=form.code, to=_editor_url(study),
                     done=lambda group: _("Group %(name)s added.", name=groups.group_label(group))
                     ) or render_panel(study, group_form=form, status=400)


@bp.route("/<int:study_id>/panel/groups/<int:group_id>", methods=["POST"])
def group_rename(study_id: int, group_id: int):
    study = get_study_or_404(study_id)
    group = _group_or_404(study, group_id)
    form = GroupNamesForm(request.form)
    if not form.validate():
        flash(_("Nothing was changed: a group name is at most 100 characters."), "error")
        return redirect(_editor_url(study))
    return act(lambda: groups.rename_group(group, **form.names()), refusals=(GroupError,), to=_editor_url(study),
               done=lambda _r: _("Group %(code)s renamed.", code=group.code))


@bp.route("/<int:study_id>/panel/groups/<int:group_id>/up", methods=["POST"])
def group_up(study_id: int, group_id: int):
    study = get_study_or_404(study_id)
    group = _group_or_404(study, group_id)
    return act(lambda: groups.move_group(group, -1), refusals=(GroupError,), to=_editor_url(study),
               done=_("Group moved up."))


@bp.route("/<int:study_id>/panel/groups/<int:group_id>/down", methods=["POST"])
def group_down(study_id: int, group_id: int):
    study = get_study_or_404(study_id)
    group = _group_or_404(study, group_id)
    return act(lambda: groups.move_group(group, 1), refusals=(GroupError,), to=_editor_url(study),
               done=_("Group moved down."))


@bp.route("/<int:study_id>/panel/groups/<int:group_id>/delete", methods=["POST"])
def group_delete(study_id: int, group_id: int):
    study = get_study_or_404(study_id)
    group = _group_or_404(study, group_id)
    name = groups.group_label(group)
    return act(lambda: groups.delete_group(group), refusals=(GroupError,), to=_editor_url(study),
               done=_("Group %(name)s deleted.", name=name))
