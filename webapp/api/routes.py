"""JSON endpoints: health, a fresh CSRF token for long-open pages."""
from __future__ import annotations

from flask import jsonify

from webapp.api.blueprint import bp
from webapp.security import csrf_token


@bp.route("/health")
def health():
    return jsonify(status="ok")


@bp.route("/csrf-token")
def fresh_csrf_token():
    """Autosave asks for a new token when a page stayed open past the time limit."""
    return jsonify(csrf_token=csrf_token())
