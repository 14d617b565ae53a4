"""Steering a round: the questionnaire previewed exactly as an expert sees it (either
language, any width), before and after opening — nothing in the preview is saved: its
form reloads the preview, and no autosave script runs; the deadline of an open round
extended, a closed round reopened for a set time (both audited).
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.expert import questionnaire_form, scale_values, target_choices
from webapp.forms.steering import DeadlineForm
from webapp.models import Round, RoundKind, utcnow
from webapp import presentation
from webapp.services import questionnaire, steering, timezones, wording
from webapp.services.feedback import feedback_for
from webapp.services.round_lifecycle import RoundError
from webapp.templating import current_locale


def _delphi_round_or_404(study, round_id: int, kinds=(RoundKind.delphi,)) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None or rnd.study_id != study.id or rnd.kind not in kinds:
        abort(404)
    return rnd


@bp.route("/<int:study_id>/rounds/<int:round_id>/preview")
def round_preview(study_id: int, round_id: int):
    study = get_study_or_404(study_id)
    rnd = _delphi_round_or_404(study, round_id)
    # A stand-in expert with no answers: the group's feedback of the previous round shows,
    # without any expert's own answer.
    expert = SimpleNamespace(id=-1, pseudonym="E00", name="", study=study, locale=None)
    targets = target_choices(questionnaire.proposal_targets(rnd), current_locale())
    form = questionnaire_form(rnd, data={}, kind_labels=presentation.proposal_kind_labels(), targets=targets)
    return render_template(
        "expert/questionnaire.html", expert=expert, study=study, rnd=rnd, form=form, response=None,
        sections=questionnaire.sections(rnd), feedback=feedback_for(expert, rnd),
        progress=questionnaire.progress(None, rnd), scale=scale_values(rnd), proposals=[],
        kind_labels=presentation.proposal_kind_labels(), proposal_status=presentation.proposal_status_labels(),
        error=None, missing_ids=set(), now=utcnow(), preview=True, changes=wording.changes(rnd),
        relative=lambda delta: format_timedelta(delta, add_direction=True),
        preview_url=url_for("coordinator.round_preview", study_id=study.id, round_id=rnd.id),
        back_url=url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id))


# --- deadlines: extend an open round, reopen a closed one ---------------------------------------

def _steer(study_id: int, round_id: int, action):
    study = get_study_or_404(study_id)
    rnd = _delphi_round_or_404(study, round_id, kinds=(RoundKind.delphi, RoundKind.proposals))
    back = url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id, _anchor="steering")
    form = DeadlineForm(request.form, zone=study.time_zone)
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    try:
        message = action(rnd, form.until_utc())
    except RoundError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.route("/<int:study_id>/rounds/<int:round_id>/extend", methods=["POST"])
def round_extend(study_id: int, round_id: int):
    def extend(rnd, until):
        steering.extend_deadline(rnd, until)
        return _("The deadline of round %(n)s is now %(when)s.", n=rnd.number,
                 when=timezones.format_in(until, rnd.study.time_zone))

    return _steer(study_id, round_id, extend)


@bp.route("/<int:study_id>/rounds/<int:round_id>/reopen", methods=["POST"])
def round_reopen(study_id: int, round_id: int):
    def reopen(rnd, until):
        steering.reopen_round(rnd, until)
        return _("Round %(n)s is open again until %(when)s. Experts who had not submitted can finish; "
                 "submitted answers stay final.", n=rnd.number, when=timezones.format_in(until, rnd.study.time_zone))

    return _steer(study_id, round_id, reopen)


# --- rewording between rounds ----------------------------------------------------------------------

@bp.route("/<int:study_id>/rounds/<int:round_id>/reword/<int:node_id>", methods=["GET", "POST"])
def round_reword(study_id: int, round_id: int, node_id: int):
    """New wording for an indicator between rounds (typically one a closed round decided to
    reword); every round keeps the wording it asked."""
    from webapp.forms.steering import RewordForm
    from webapp.models import Node

    study = get_study_or_404(study_id)
    rnd = _delphi_round_or_404(study, round_id)
    node = db.session.get(Node, node_id)
    if node is None or node.study_id != study.id or node.parent_id is None:
        abort(404)
    item = next((i for i in rnd.items if i.node_id == node_id), None)  # None: not asked by this round
    if request.method == "POST":
        form = RewordForm(request.form)
        if form.validate():
            try:
                wording.reword(node, name_zh=form.name_zh.data, name_en=form.name_en.data,
                               description_zh=form.description_zh.data or "",
                               description_en=form.description_en.data or "")
            except wording.WordingError as exc:
                db.session.rollback()
                form.name_zh.errors = [str(exc)]
            else:
                db.session.commit()
                flash(_("%(code)s reworded. Round %(n)s keeps the wording it asked; the next round asks the new one.",
                        code=node.code, n=rnd.number), "success")
                return redirect(url_for("coordinator.round_detail", study_id=study.id, round_id=rnd.id,
                                        _anchor="decisions"))
        status = 400
    else:
        form = RewordForm(data={"name_zh": node.name_zh, "name_en": node.name_en,
                                "description_zh": node.description_zh, "description_en": node.description_en})
        status = 200
    return render_template("coordinator/rounds/reword.html", study=study, rnd=rnd, item=item, node=node,
                           form=form), status
