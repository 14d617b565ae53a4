"""The expert's AHP questionnaire: every block on one page, a plain form post that also
works without JavaScript (``static/js/ahp_questionnaire.js`` previews and autosaves
through ``webapp/api/ahp.py``). Read-only once submitted or closed.
"""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.expert.blueprint import bp
from webapp.extensions import db
from webapp.models import RoundKind, utcnow
from webapp.security import current_expert
from webapp.services import ahp_answers, ahp_rounds, round_lifecycle
from webapp.services.answers import AnswerError, expert_round, response_of

FIELD = re.compile(r"^j-(\d+)-(\d+)-(\d+)$")
REASON = re.compile(r"^reason-(\d+)$")


def ahp_round_or_404(round_id: int):
    rnd = expert_round(current_expert(), round_id)
    if rnd is None or rnd.kind is not RoundKind.ahp:
        abort(404)
    round_lifecycle.close_if_expired(rnd)
    db.session.commit()  # keep a lazy close
    return rnd


def _render(rnd, response, *, error=None, status=200):
    expert = current_expert()
    views = ahp_answers.block_views(rnd, response)
    editable = rnd.accepts_answers(utcnow()) and not (response is not None and response.is_submitted)
    return render_template(
        "expert/ahp_round.html", expert=expert, study=expert.study, rnd=rnd, response=response,
        views=views, options=ahp_rounds.options_of(rnd), done_count=sum(v.done for v in views),
        problems=ahp_answers.submission_problems(rnd, views) if editable else [],
        own_last=ahp_answers.own_last_weights(expert, rnd), started=bool(response and response.judgments),
        readonly=not editable, submitted=bool(response and response.is_submitted), error=error, now=utcnow()), status


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        raise AnswerError(_("A comparison must be on the 1–9 scale (1, 2 … 9 for either indicator).")) from None


def form_answers(form) -> tuple[list[dict], list[dict]]:
    """The posted radios (``j-<block>-<row>-<col>``), reasons and an applied hint."""
    judgments, notes = {}, []
    for key in form:
        m = FIELD.match(key)
        if m:
            block, row, col = (int(x) for x in m.groups())
            judgments[(block, row, col)] = _int(form.get(key))
            continue
        m = REASON.match(key)
        if m:
            notes.append({"block": int(m.group(1)), "reason": form.get(key, "")})
    applied = form.get("apply")
    if applied:
        parts = applied.split(":")
        if len(parts) != 4:
            raise AnswerError(_("A comparison names no block or indicators."))
        block, row, col, value = (_int(p) for p in parts)
        judgments[(block, row, col)] = value
    return [{"block": b, "row": r, "col": c, "value": v} for (b, r, c), v in judgments.items()], notes


@bp.route("/rounds/<int:round_id>/pairwise", methods=["GET", "POST"])
def ahp_round_page(round_id: int):
    expert = current_expert()
    rnd = ahp_round_or_404(round_id)
    response = response_of(expert, rnd)
    editable = rnd.accepts_answers(utcnow()) and not (response is not None and response.is_submitted)
    if request.method == "GET" or not editable:
        if request.method == "POST":
            flash(_("This questionnaire can no longer be changed: the round is closed or you have "
                    "already submitted it."), "warning")
            return redirect(url_for("expert.ahp_round_page", round_id=rnd.id))
        return _render(rnd, response)
    try:
        judgments, notes = form_answers(request.form)
        response = ahp_answers.save_judgments(expert, rnd, judgments, notes)
    except AnswerError as exc:
        db.session.rollback()
        return _render(rnd, response_of(expert, rnd), error=str(exc), status=400)
    db.session.commit()
    if request.form.get("action") == "submit" and not request.form.get("apply"):
        try:
            ahp_answers.submit_judgments(expert, rnd)
        except AnswerError as exc:
            db.session.rollback()
            return _render(rnd, response_of(expert, rnd), error=str(exc), status=400)
        db.session.commit()
        flash(_("Thank you: your questionnaire is submitted."), "success")
        return redirect(url_for("expert.ahp_round_page", round_id=rnd.id))
    if request.form.get("apply"):
        block = request.form["apply"].split(":")[0]
        return redirect(url_for("expert.ahp_round_page", round_id=rnd.id, _anchor=f"block-{block}"))
    flash(_("Your answers are saved. You can come back and change them until you submit."), "success")
    return redirect(url_for("expert.ahp_round_page", round_id=rnd.id))
