"""Autosave: the expert's questionnaire saves each change as it is made.

``POST /api/v1/rounds/<id>/answers`` with ``{"answers": [{"node_id", "value",
"no_opinion", "comment", "reason"}, …]}`` (absent keys keep what is stored)
and the page's CSRF token in ``X-CSRF-Token``. Answers:

- 200 ``{"ok": true, "saved_at", "answered", "total"}``;
- 400 ``{"error": "refused", "message", "closed"}`` with the translated reason
  (``closed``: the round no longer takes answers, or the expert submitted) —
  the whole batch is refused and nothing is stored;
- 400 ``{"error": "bad_request", "message"}`` for a body that is not such a list,
  ``NaN`` / ``Infinity`` / ``1e400``, or nesting deeper than the shape needs;
  a wrong JSON type (``"no_opinion": "no"``, a fractional ``node_id`` or rating) is
  refused like a bad answer;
- 400 ``{"error": "csrf"}`` (from the global check; fetch ``/api/v1/csrf-token``);
- 403 without an expert session; 404 for a round of another study.
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _

from webapp.api.blueprint import bp
from webapp.extensions import db
from webapp.models import RoundStatus, utcnow
from webapp.security import accept_expert_row, expert_session_claim
from webapp.services import answer_pg, answer_sql
from webapp.services import answers as answer_service
from webapp.services.answers import AnswerError
from webapp.services.inputs import JsonInputError, loads_json

ANSWER_KEYS = ("node_id", "value", "no_opinion", "comment", "reason")
MAX_BATCH = 1000


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Strict JSON types per key (no "no" for false, no 194.9 for an id); the message is
# translated only when a check fails (a good save asks for no translation at all).
_TYPE_CHECKS = {
    "node_id": (_is_int, lambda: _("An answer names no indicator.")),
    "value": (lambda v: v is None or _is_int(v), lambda: _("A rating must be a whole number.")),
    "no_opinion": (lambda v: v is None or isinstance(v, bool), lambda: _("“No opinion” must be true or false.")),
    "comment": (lambda v: v is None or isinstance(v, str), lambda: _("A comment must be text.")),
    "reason": (lambda v: v is None or isinstance(v, str), lambda: _("A comment must be text.")),
}


def _parse_answers(body) -> list[dict] | None:
    """The answers of a request body; None when the shape is wrong, AnswerError for a wrong type."""
    if not isinstance(body, dict) or not isinstance(body.get("answers"), list):
        return None
    answers = body["answers"]
    if len(answers) > MAX_BATCH or not all(isinstance(a, dict) for a in answers):
        return None
    for answer in answers:
        for key in ANSWER_KEYS:
            check, message = _TYPE_CHECKS[key]
            if (key in answer or key == "node_id") and not check(answer.get(key)):
                raise AnswerError(message())
    return [{key: a[key] for key in ANSWER_KEYS if key in a} for a in answers]


@bp.route("/rounds/<int:round_id>/answers", methods=["POST"])
def save_answers(round_id: int):
    claim = expert_session_claim()
    if claim is None:
        abort(403)
    # PostgreSQL: autocommit statements on a connection of their own (services.answer_pg):
    # first one that checks and writes; if it wrote nothing, the ordinary path's read and
    # write, which say why (or save, if things changed in between).
    with answer_pg.own_connection() as conn:
        if conn is not None:
            saved = _save_in_one(claim, round_id, conn)
            if saved is not None:
                return saved
        return _save(claim, round_id, conn)


def _save_in_one(claim: dict, round_id: int, conn):
    """The reply to a save the one checked statement wrote, or None."""
    try:
        answers = _parse_answers(loads_json(request.get_data(), max_depth=4))
    except (JsonInputError, AnswerError):
        return None
    if not answers or not isinstance(claim.get("marker"), str):
        return None
    now = utcnow()
    saved = answer_service.store_checked_answers(claim["id"], claim["marker"], round_id, answers, now=now, conn=conn)
    if saved is None:
        return None
    return jsonify(ok=True, saved_at=now.isoformat(), answered=saved.answered, total=saved.total)


def _save(claim: dict, round_id: int, conn):
    # One statement reads the expert (revoked? reissued?) and the round with its item ids.
    row, facts = answer_sql.expert_and_round(claim["id"], round_id, conn=conn)
    expert = accept_expert_row(row, claim)
    if expert is None:
        db.session.rollback()
        abort(403)
    rnd = answer_service.autosave_facts(facts)  # plain values, no ORM object; the lazy close
    if rnd is None:
        db.session.rollback()
        abort(404)
    if rnd.status is not RoundStatus.open:
        db.session.commit()  # keep a lazy close, whatever happens to the answers below
    try:
        body = loads_json(request.get_data(), max_depth=4)
    except JsonInputError as exc:
        db.session.rollback()
        return jsonify(error="bad_request", message=str(exc)), 400
    now = utcnow()
    try:
        answers = _parse_answers(body)
        if answers is None:
            db.session.rollback()
            return jsonify(error="bad_request", message=_("The answers could not be read.")), 400
        saved = answer_service.store_answers(expert, rnd, answers, now=now, conn=conn)
    except AnswerError as exc:
        db.session.rollback()
        # The round as it is now: a close that committed while this save ran must say closed.
        current = answer_service.autosave_round_facts(expert, round_id)
        own = answer_service.response_of(expert, rnd)
        closed = current is None or not current.accepts_answers(now) or bool(own is not None and own.is_submitted)
        return jsonify(error="refused", message=str(exc), closed=closed), 400
    db.session.commit()  # one transaction (on PostgreSQL the one writing statement committed as it ran)
    return jsonify(ok=True, saved_at=now.isoformat(), answered=saved.answered, total=saved.total)
