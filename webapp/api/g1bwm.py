"""Saving and submitting G1 and BWM answers.

``POST /api/v1/rounds/<id>/weight-answers`` with ``{"blocks": [...]}`` (see
``services.g1bwm_answers``) and the page's CSRF token in ``X-CSRF-Token``: 200 ``{"ok",
"saved_at", "blocks_done", "blocks", "weights": {block id: [...]}, "cr": {block id: ...}}``;
400 ``{"error": "refused", "message", "closed"}`` with nothing stored; 400
``{"error": "bad_request"}``; 403 without an expert session; 404 for a round of another study
or kind. ``POST /api/v1/rounds/<id>/weight-answers/submit`` submits the questionnaire.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _

from webapp.api.blueprint import bp
from webapp.extensions import db
from webapp.models import RoundKind, utcnow
from webapp.security import current_expert
from webapp.services import g1bwm_answers, round_lifecycle
from webapp.services.answers import AnswerError, expert_round, response_of

MAX_BLOCKS = 200


def _round_or_404(round_id: int):
    expert = current_expert()
    if expert is None:
        abort(403)
    rnd = expert_round(expert, round_id)
    if rnd is None or rnd.kind is not RoundKind.ahp:
        db.session.rollback()
        abort(404)
    round_lifecycle.close_if_expired(rnd)
    db.session.commit()
    return expert, rnd


def _refused(expert, rnd, exc, now):
    db.session.rollback()
    own = response_of(expert, rnd)
    closed = not rnd.accepts_answers(now) or bool(own is not None and own.is_submitted)
    return jsonify(error="refused", message=str(exc), closed=closed), 400


@bp.route("/rounds/<int:round_id>/weight-answers", methods=["POST"])
def save_weight_answers(round_id: int):
    expert, rnd = _round_or_404(round_id)
    body = request.get_json(silent=True)
    blocks = body.get("blocks") if isinstance(body, dict) else None
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return jsonify(error="bad_request", message=_("The answers could not be read.")), 400
    now = utcnow()
    try:
        response = g1bwm_answers.save_blocks(expert, rnd, blocks, now=now)
    except AnswerError as exc:
        return _refused(expert, rnd, exc, now)
    views = g1bwm_answers.block_views(rnd, response)
    db.session.commit()
    return jsonify(ok=True, saved_at=now.isoformat(), blocks_done=sum(v.done for v in views), blocks=len(views),
                   weights={str(v.parent.id): v.weights for v in views if v.done},
                   cr={str(v.parent.id): v.cr for v in views if v.cr is not None})


@bp.route("/rounds/<int:round_id>/weight-answers/submit", methods=["POST"])
def submit_weight_answers(round_id: int):
    expert, rnd = _round_or_404(round_id)
    now = utcnow()
    try:
        g1bwm_answers.submit_blocks(expert, rnd, now=now)
    except AnswerError as exc:
        return _refused(expert, rnd, exc, now)
    db.session.commit()
    return jsonify(ok=True, submitted_at=now.isoformat())
