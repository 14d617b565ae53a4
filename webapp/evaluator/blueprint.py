from flask import Blueprint, abort, g, request, session

bp = Blueprint("evaluator", __name__)

SESSION_KEY = "evaluator"


def current_evaluator():
    """The evaluator of this session, or None if absent, revoked or reissued."""
    if "current_evaluator" in g:
        return g.current_evaluator
    from webapp.extensions import db
    from webapp.models import Evaluator

    found = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        candidate = db.session.get(Evaluator, data["id"])
        if candidate is not None and not candidate.is_revoked and candidate.session_marker == data.get("marker"):
            found = candidate
        else:
            session.pop(SESSION_KEY, None)
    g.current_evaluator = found
    return found


@bp.before_request
def _evaluators_only():
    """One place for the rule: every evaluator page but the link itself needs a valid evaluator session."""
    if request.endpoint == "evaluator.invitation":
        return None
    if current_evaluator() is None:
        abort(403)
    return None
