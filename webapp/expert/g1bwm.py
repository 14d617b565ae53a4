"""The expert's G1 or BWM questionnaire: every block on one page, a plain form post that also
works without JavaScript (``static/js/g1bwm_questionnaire.js`` adds tap-in-order, live
weights and autosave through ``webapp/api/g1bwm.py``). Read-only once submitted or closed.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.expert.ahp import ahp_round_or_404
from webapp.expert.blueprint import bp
from webapp.extensions import db
from webapp.models import utcnow
from webapp.security import current_expert
from webapp.services import ahp_rounds, g1bwm_answers
from webapp.services.answers import AnswerError, response_of

FIELD = re.compile(r"^(order|ratio|best|worst|bo|ow)-(\d+)(?:-(\d+))?$")


def g1_label(ratio) -> str:
    return {1.0: _("equally important"), 1.2: _("slightly more important"), 1.4: _("clearly more important"),
            1.6: _("strongly more important"), 1.8: _("extremely more important")}[round(float(ratio), 1)]


def _render(rnd, response, *, error=None, status=200):
    expert = current_expert()
    views = g1bwm_answers.block_views(rnd, response)
    editable = rnd.accepts_answers(utcnow()) and not (response is not None and response.is_submitted)
    return render_template(
        "expert/g1bwm_round.html", expert=expert, study=expert.study, rnd=rnd, response=response, views=views,
        method=g1bwm_answers.method_of(rnd), options=ahp_rounds.options_of(rnd),
        done_count=sum(v.done for v in views), g1_ratios=g1bwm_answers.G1_RATIOS, g1_label=g1_label,
        readonly=not editable, submitted=bool(response and response.is_submitted), error=error,
        now=utcnow()), status


def form_blocks(form, method: str, blocks) -> list[dict]:
    """The posted selects as API block answers; blocks left wholly blank are skipped."""
    fields: dict[tuple, str] = {}
    for key in form:
        m = FIELD.match(key)
        if m and form.get(key, "").strip():
            fields[(m.group(1), int(m.group(2)), m.group(3) and int(m.group(3)))] = form.get(key).strip()
    out = []
    for parent, kids in blocks:
        b, n = parent.id, len(kids)

        def num(kind, k, cast=int):
            try:
                return cast(fields[(kind, b, k)])
            except (KeyError, ValueError):
                raise AnswerError(_("Please complete block %(code)s.", code=parent.code)) from None
        if not any(key[1] == b for key in fields):
            continue
        if method == "g1":
            out.append({"block": b, "order": [num("order", k) for k in range(n)],
                        "ratios": [num("ratio", k, float) for k in range(n - 1)]})
        else:
            best, worst = num("best", None), num("worst", None)
            bo = {c.id: num("bo", c.id) for c in kids if c.id != best}
            ow = {c.id: num("ow", c.id) for c in kids if c.id not in (best, worst)}
            out.append({"block": b, "best": best, "worst": worst, "best_to_others": bo, "others_to_worst": ow})
    return out


@bp.route("/rounds/<int:round_id>/weights", methods=["GET", "POST"])
def g1bwm_round_page(round_id: int):
    expert = current_expert()
    rnd = ahp_round_or_404(round_id)
    method = g1bwm_answers.method_of(rnd)
    if method not in ("g1", "bwm"):
        return redirect(url_for("expert.ahp_round_page", round_id=rnd.id))
    response = response_of(expert, rnd)
    editable = rnd.accepts_answers(utcnow()) and not (response is not None and response.is_submitted)
    if request.method == "GET":
        return _render(rnd, response)
    if not editable:
        flash(_("This questionnaire can no longer be changed: the round is closed or you have "
                "already submitted it."), "warning")
        return redirect(url_for("expert.g1bwm_round_page", round_id=rnd.id))
    try:
        blocks = form_blocks(request.form, method, ahp_rounds.round_blocks(rnd))
        if blocks:
            g1bwm_answers.save_blocks(expert, rnd, blocks)
        if request.form.get("action") == "submit":
            g1bwm_answers.submit_blocks(expert, rnd)
    except AnswerError as exc:
        db.session.rollback()
        return _render(rnd, response_of(expert, rnd), error=str(exc), status=400)
    db.session.commit()
    if request.form.get("action") == "submit":
        flash(_("Thank you: your questionnaire is submitted."), "success")
    else:
        flash(_("Your answers are saved. You can come back and change them until you submit."), "success")
    return redirect(url_for("expert.g1bwm_round_page", round_id=rnd.id))
