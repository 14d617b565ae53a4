from flask import Blueprint

from webapp.security import current_expert

bp = Blueprint("expert", __name__)


@bp.before_request
def _experts_only():
    """One place for the rule: an expert page needs a valid invitation session."""
    from flask import abort

    if current_expert() is None:
        abort(403)

