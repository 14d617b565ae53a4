"""Study set-up pages: the indicator system (view, import, export, edit).

The study settings are in ``study_settings.py``, the expert panel in ``panel_pages.py``.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Invitation links can be shown again at any time (``coordinator/invitations.py``).
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from webapp import presentation
from webapp.actions import act, attempt
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.forms.setup import HierarchyUploadForm, NodeEditForm, NodeForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import groups, hierarchy_edit, hierarchy_io, studies, tree
from webapp.services.hierarchy_io import HierarchyError, seed_hierarchy_bytes
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


def _posted():
    return CombinedMultiDict([request.files, request.form])


# --- indicator system ----------------------------------------------------------------------

def _render_indicators(study, upload_form=None, status=200):
    root = study.root
    return render_template(
        "coordinator/setup/indicators.html", study=study, root=root,
        rows=list(hierarchy_edit.walk(root)) if root else [],
        levels=hierarchy_edit.level_counts(study), locked=hierarchy_edit.is_locked(study),
        dropped=tree.dropped_ids(study) if root else set(), upload_form=upload_form or HierarchyUploadForm(),
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
