"""Autosave of pairwise judgments.

``POST /api/v1/rounds/<id>/judgments`` with ``{"judgments": [{"block", "row", "col",
"value"}], "notes": [{"block", "reason"}]}`` (``value`` signed on the 1–9 scale,
``null`` clears it) and the page's CSRF token in ``X-CSRF-Token``. Answers as the
Delphi autosave: 200 ``{"ok", "saved_at", "blocks_done", "blocks"}``; 400
``{"error": "refused", "message", "closed"}`` with nothing stored; 400
``{"error": "bad_request"}``; 403 without an expert session; 404 for a round of
another study or of another kind.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _

from webapp.api.blueprint import bp
from webapp.extensions import db
from webapp.models import RoundKind, utcnow
from webapp.security import current_expert
from webapp.services import ahp_answers, round_lifecycle
from webapp.services.answers import AnswerError, expert_round, response_of
from webapp.services.inputs import JsonInputError, loads_json

MAX_BATCH = 1000


def _parse(body):
    if not isinstance(body, dict):
        return None
    judgments, notes = body.get("judgments", []), body.get("notes", [])
    if not isinstance(judgments, list) or not isinstance(notes, list) or len(judgments) + len(notes) > MAX_BATCH:
        return None
    if not all(isinstance(x, dict) for x in judgments + notes):
        return None
    return judgments, notes


@bp.route("/rounds/<int:round_id>/judgments", methods=["POST"])
def save_judgments(round_id: int):
    expert = current_expert()
    if expert is None:
        abort(403)
    rnd = expert_round(expert, round_id)
    if rnd is None or rnd.kind is not RoundKind.ahp:
        db.session.rollback()
        abort(404)
    round_lifecycle.close_if_expired(rnd)
    db.session.commit()
    try:
        parsed = _parse(loads_json(request.get_data(), max_depth=4))
    except JsonInputError as exc:
        return jsonify(error="bad_request", message=str(exc)), 400
    if parsed is None:
        return jsonify(error="bad_request", message=_("The answers could not be read.")), 400
    now = utcnow()
    try:
        response = ahp_answers.save_judgments(expert, rnd, parsed[0], parsed[1], now=now)
    except AnswerError as exc:
        db.session.rollback()
        own = response_of(expert, rnd)
        closed = not rnd.accepts_answers(now) or bool(own is not None and own.is_submitted)
        return jsonify(error="refused", message=str(exc), closed=closed), 400
    views = ahp_answers.block_views(rnd, response)
    db.session.commit()
    return jsonify(ok=True, saved_at=now.isoformat(), blocks_done=sum(v.done for v in views), blocks=len(views))
