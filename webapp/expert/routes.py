"""Expert pages: the welcome page, the questionnaire (a plain form post that also
works without JavaScript; ``static/js/questionnaire.js`` autosaves through
``webapp/api/answers.py``), the thank-you page and past answers read-only.

An expert reaches only their own study's rounds: any other round id is a 404.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _

from webapp.expert.blueprint import bp
from webapp.extensions import db
from webapp.forms.expert import (
    initial_data,
    questionnaire_form,
    questionnaire_page_form,
    scale_values,
    target_choices,
)
from webapp.forms.setup import ExpertProfileForm
from webapp.models import RoundKind, RoundStatus, utcnow
from webapp import presentation
from webapp.security import current_expert, keeps_data_on_csrf_failure, safe_next_url
from webapp.services import answers, frozen_reports, groups, panel, questionnaire, questionnaire_page, wording
from webapp.services.feedback import feedback_with_group
from webapp.services.answers import AnswerError
from webapp.services.panel import PanelError
from webapp.templating import current_locale


@bp.context_processor
def _expert_helpers():
    return {"relative": lambda delta: format_timedelta(delta, add_direction=True)}


@bp.route("/")
def home():
    expert = current_expert()
    state = questionnaire.welcome(expert)
    if state.closed_now:  # the lazy deadline check closed a round: keep it. Only then: a commit
        db.session.commit()  # expires the expert, the study and the rounds, read again for the page
    return render_template("expert/home.html", expert=expert, study=expert.study, state=state,
                           now=utcnow(), profile_needed=_profile_needed(expert))


def _round_or_404(round_id: int):
    rnd = questionnaire.questionnaire_round(current_expert(), round_id)
    if rnd is None:
        other = answers.expert_round(current_expert(), round_id)
        if other is not None and other.kind is RoundKind.ahp:  # one link for every round kind
            abort(redirect(url_for("expert.ahp_round_page", round_id=round_id)))
        if other is not None and other.kind is RoundKind.proposals:
            abort(redirect(url_for("expert.round_zero_page", round_id=round_id)))
        abort(404)
    if rnd.status is not RoundStatus.open:
        # Keep a lazy close (the only write so far). An open round wrote nothing: not
        # committing keeps the expert and the round loaded for the rest of the request.
        db.session.commit()
    return rnd


def _tree(rnd):
    """The study's indicators in tree order as plain rows, read once per request (headings, targets)."""
    if "questionnaire_tree" not in g:
        g.questionnaire_tree = questionnaire_page.tree_rows(rnd.study_id)
    return g.questionnaire_tree


def _node_ids(rnd) -> list[int]:
    """The round's items' indicators in order, read once per request."""
    if "questionnaire_items" not in g:
        g.questionnaire_items = questionnaire_page.item_node_ids(rnd)
    return g.questionnaire_items


def _answers(response):
    """The expert's stored answers as plain rows, read once per request (after any write)."""
    if "questionnaire_answers" not in g:
        g.questionnaire_answers = questionnaire_page.own_answers(response)
    return g.questionnaire_answers


def _kind_labels() -> dict[str, str]:
    if "proposal_kinds" not in g:
        g.proposal_kinds = presentation.proposal_kind_labels()
    return g.proposal_kinds


def _form_for(rnd, *, formdata=None, response=None):
    targets = target_choices(questionnaire_page.page_targets(_tree(rnd)), current_locale())
    if formdata is None:  # the page: its items rendered from the stored answers
        own = _answers(response)
        prefill = _prefill(rnd, response)[0] if response is None or not response.is_submitted else {}
        return questionnaire_page_form(rnd, data=initial_data({**prefill, **own}), node_ids=_node_ids(rnd),
                                       kind_labels=_kind_labels(), targets=targets)
    return questionnaire_form(rnd, formdata=formdata, kind_labels=_kind_labels(), targets=targets,
                              node_ids=_node_ids(rnd))


def _earlier(rnd) -> questionnaire.EarlierRounds:
    """The earlier rounds the page looks back to (prefill, feedback, wording), read once per request."""
    if "earlier_rounds" not in g:
        g.earlier_rounds = questionnaire.earlier_rounds(rnd)
    return g.earlier_rounds


def _prefill(rnd, response):
    """This expert's previous answers preselected (not yet answered in this round)."""
    if "prefill" not in g:
        ratings, previous = questionnaire.prefill_ratings(current_expert(), rnd, previous=_earlier(rnd).closed)
        own = set(_answers(response))
        g.prefill = ({nid: r for nid, r in ratings.items() if nid not in own}, previous)
    return g.prefill


def _render_questionnaire(rnd, form, *, response, status=200, error=None, missing_ids=()):
    expert = current_expert()
    feedback, group_feedback = feedback_with_group(expert, rnd, previous=_earlier(rnd).closed)
    prefilled, previous = _prefill(rnd, response) if status == 200 else ({}, None)
    node_ids = _node_ids(rnd)
    html = render_template(
        "expert/questionnaire.html", expert=expert, study=expert.study, rnd=rnd, form=form,
        prefilled=set(prefilled), prefill_round=previous,
        changes=wording.changes(rnd, previous=_earlier(rnd).latest),
        response=response, sections=questionnaire_page.page_sections(node_ids, _tree(rnd)), feedback=feedback,
        group_feedback=group_feedback,
        group_name=groups.group_label(expert.group) if expert.group is not None else None,
        progress=questionnaire_page.page_progress(response, node_ids, _answers(response)), scale=scale_values(rnd),
        proposals=questionnaire.proposals_of(expert, rnd) if rnd.allow_proposals else [],
        kind_labels=_kind_labels(), proposal_status=presentation.proposal_status_labels(),
        error=error, missing_ids=set(missing_ids), now=utcnow())
    if frozen_reports.written_now():  # the previous round's report was frozen or completed by this view
        db.session.commit()
    return html, status


def _render_answers(rnd, response, *, thanks=False):
    expert = current_expert()
    return render_template(
        "expert/answers.html", expert=expert, study=expert.study, rnd=rnd, response=response,
        sections=questionnaire_page.answer_sections(rnd, _tree(rnd)), ratings=questionnaire_page.own_answers(response),
        progress=questionnaire.progress(response, rnd), scale=scale_values(rnd),
        proposals=questionnaire.proposals_of(expert, rnd), kind_labels=presentation.proposal_kind_labels(),
        proposal_status=presentation.proposal_status_labels(), thanks=thanks)


def _editable(rnd, response) -> bool:
    return rnd.accepts_answers() and not (response is not None and response.is_submitted)


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def round_page(round_id: int):
    expert = current_expert()
    rnd = _round_or_404(round_id)
    response = answers.response_of(expert, rnd)
    if not _editable(rnd, response):
        if request.method == "POST":
            flash(_("This questionnaire can no longer be changed: the round is closed or you have "
                    "already submitted it."), "warning")
            return redirect(url_for("expert.round_page", round_id=rnd.id))
        return _render_answers(rnd, response)
    if request.method == "GET" and _profile_needed(expert):
        return redirect(url_for("expert.profile", next=url_for("expert.round_page", round_id=rnd.id)))
    if request.method == "GET":
        return _render_questionnaire(rnd, _form_for(rnd, response=response), response=response)

    form = _form_for(rnd, formdata=request.form)
    if not form.validate():
        return _render_questionnaire(rnd, form, response=response, status=400)
    action = form.chosen_action
    stored = questionnaire_page.own_answers(response)   # plain rows, not kept: the post changes them
    try:
        outcome = questionnaire.save_form(expert, rnd, form.answers(set(stored)), proposal=form.proposal(),
                                          submit=action == "submit", stored=stored)
    except AnswerError as exc:
        db.session.rollback()
        response = answers.response_of(expert, rnd)
        if not _editable(rnd, response):
            flash(str(exc), "error")
            return redirect(url_for("expert.round_page", round_id=rnd.id))
        return _render_questionnaire(rnd, form, response=response, status=400, error=str(exc))
    db.session.commit()
    if outcome.submitted:
        return redirect(url_for("expert.thanks", round_id=rnd.id))
    if outcome.submit_error:
        missing = [item.node_id for item in answers.missing_items(outcome.response, rnd)]
        if not _editable(rnd, outcome.response):
            flash(outcome.submit_error, "error")
            return redirect(url_for("expert.round_page", round_id=rnd.id))
        return _render_questionnaire(rnd, form, response=outcome.response, status=400,
                                     error=outcome.submit_error, missing_ids=missing)
    if outcome.proposal is not None:
        flash(_("Thank you: your proposal was added. The coordinator will consider it between rounds."),
              "success")
        return redirect(url_for("expert.round_page", round_id=rnd.id, _anchor="proposals"))
    flash(_("Your answers are saved. You can come back and change them until you submit."), "success")
    return redirect(url_for("expert.round_page", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/thanks")
def thanks(round_id: int):
    expert = current_expert()
    rnd = _round_or_404(round_id)
    response = answers.response_of(expert, rnd)
    if response is None or not response.is_submitted:
        return redirect(url_for("expert.round_page", round_id=rnd.id))
    return _render_answers(rnd, response, thanks=True)


# --- the self-assessment (feeds the authority coefficient) -----------------------------

def _profile_needed(expert) -> bool:
    """Familiarity or judgment basis missing: asked before the questionnaire."""
    return not panel.authority_ready(expert)


@bp.route("/profile", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def profile():
    expert = current_expert()
    next_url = safe_next_url(request.args.get("next")) or url_for("expert.home")
    if request.method == "POST":
        form = ExpertProfileForm(request.form, require_authority=True, groups=groups.choices_of(expert.study))
        if form.validate():
            try:
                panel.update_profile(expert, form.profile_data(), by_expert=True)
            except PanelError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("Thank you: your self-assessment is saved."), "success")
                return redirect(next_url)
    else:
        form = ExpertProfileForm(data=ExpertProfileForm.data_for(panel.profile_of(expert)), require_authority=True,
                                groups=groups.choices_of(expert.study))
    return render_template("expert/profile.html", expert=expert, study=expert.study, form=form,
                           first_time=_profile_needed(expert), next_url=next_url), \
        400 if request.method == "POST" else 200
