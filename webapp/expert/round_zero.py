"""Expert pages of round 0 (the open proposals round): the study's aim, the draft
indicator system (read-only), the expert's proposals (add, withdraw) and general
comment, submit. Works as plain form posts; ``static/js/round_zero.js`` autosaves
the general comment (the same route answers JSON) and shows only the fields the
chosen kind of proposal needs."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp import presentation
from webapp.expert.blueprint import bp
from webapp.extensions import db
from webapp.forms.expert import target_choices
from webapp.forms.round_zero import CommentForm, ExpertProposalForm
from webapp.models import utcnow
from webapp.security import current_expert, keeps_data_on_csrf_failure
from webapp.services import answers, questionnaire, round_lifecycle, round_zero
from webapp.services.answers import AnswerError
from webapp.services.inputs import JsonInputError, loads_json
from webapp.templating import current_locale


def _round_zero_or_404(round_id: int):
    rnd = round_zero.expert_round_zero(current_expert(), round_id)
    if rnd is None:
        abort(404)
    if round_lifecycle.close_if_expired(rnd):
        db.session.commit()
    return rnd


def _editable(rnd, response) -> bool:
    return rnd.accepts_answers() and not (response is not None and response.is_submitted)


def _targets(rnd):
    return target_choices(questionnaire.proposal_targets(rnd), current_locale())


def _render(rnd, *, form=None, comment_form=None, error=None, status=200):
    expert = current_expert()
    response = answers.response_of(expert, rnd)
    comment = round_zero.own_comment(expert, rnd)
    if comment_form is None:
        comment_form = CommentForm(data={"comment": comment.text if comment else ""})
    return render_template(
        "expert/round_zero.html", expert=expert, study=expert.study, rnd=rnd, response=response,
        editable=_editable(rnd, response), form=form or ExpertProposalForm(targets=_targets(rnd)),
        comment_form=comment_form, comment=comment, proposals=round_zero.own_proposals(expert, rnd),
        tree_rows=questionnaire.proposal_targets(rnd), level_label=questionnaire.level_label,
        kind_labels=presentation.proposal_kind_labels(), proposal_status=presentation.proposal_status_labels(),
        error=error, now=utcnow()), status


@bp.route("/rounds/<int:round_id>/round-zero")
def round_zero_page(round_id: int):
    return _render(_round_zero_or_404(round_id))


def _refused(rnd, exc, *, form=None, comment_form=None):
    db.session.rollback()
    response = answers.response_of(current_expert(), rnd)
    if not _editable(rnd, response):
        flash(str(exc), "error")
        return redirect(url_for("expert.round_zero_page", round_id=rnd.id))
    return _render(rnd, form=form, comment_form=comment_form, error=str(exc), status=400)


@bp.route("/rounds/<int:round_id>/round-zero/propose", methods=["POST"])
@keeps_data_on_csrf_failure
def round_zero_propose(round_id: int):
    rnd = _round_zero_or_404(round_id)
    form = ExpertProposalForm(request.form, targets=_targets(rnd))
    if not form.validate():
        return _render(rnd, form=form, status=400)
    try:
        round_zero.propose(current_expert(), rnd, **form.proposal())
    except AnswerError as exc:
        return _refused(rnd, exc, form=form)
    db.session.commit()
    flash(_("Thank you: your proposal was added. You can add more, then submit."), "success")
    return redirect(url_for("expert.round_zero_page", round_id=rnd.id, _anchor="mine"))


@bp.route("/rounds/<int:round_id>/round-zero/proposals/<int:proposal_id>/withdraw", methods=["POST"])
def round_zero_withdraw(round_id: int, proposal_id: int):
    rnd = _round_zero_or_404(round_id)
    try:
        round_zero.withdraw(current_expert(), rnd, proposal_id)
    except AnswerError as exc:
        return _refused(rnd, exc)
    db.session.commit()
    flash(_("The proposal was withdrawn."), "success")
    return redirect(url_for("expert.round_zero_page", round_id=rnd.id, _anchor="mine"))


@bp.route("/rounds/<int:round_id>/round-zero/comment", methods=["POST"])
@keeps_data_on_csrf_failure
def round_zero_comment(round_id: int):
    """The general comment: a form post, or the autosave's JSON ``{"comment": "…"}``."""
    rnd = _round_zero_or_404(round_id)
    if request.is_json:
        try:
            body = loads_json(request.get_data(), max_depth=2)
        except JsonInputError as exc:
            return jsonify(error="bad_request", message=str(exc)), 400
        text = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return jsonify(error="bad_request", message=_("A comment must be text.")), 400
        try:
            round_zero.save_comment(current_expert(), rnd, text)
        except AnswerError as exc:
            db.session.rollback()
            return jsonify(error="refused", message=str(exc)), 400
        db.session.commit()
        return jsonify(ok=True, saved_at=utcnow().isoformat())
    form = CommentForm(request.form)
    if not form.validate():
        return _render(rnd, comment_form=form, status=400)
    try:
        round_zero.save_comment(current_expert(), rnd, form.comment.data or "")
    except AnswerError as exc:
        return _refused(rnd, exc, comment_form=form)
    db.session.commit()
    flash(_("Your comment is saved."), "success")
    return redirect(url_for("expert.round_zero_page", round_id=rnd.id, _anchor="general"))


@bp.route("/rounds/<int:round_id>/round-zero/submit", methods=["POST"])
def round_zero_submit(round_id: int):
    rnd = _round_zero_or_404(round_id)
    try:
        round_zero.submit(current_expert(), rnd)
    except AnswerError as exc:
        return _refused(rnd, exc)
    db.session.commit()
    flash(_("Thank you: your proposals are submitted. The coordinator builds the indicator system from "
            "the panel's proposals; you will be invited to round 1."), "success")
    return redirect(url_for("expert.round_zero_page", round_id=rnd.id))
