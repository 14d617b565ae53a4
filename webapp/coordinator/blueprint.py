from flask import Blueprint
from flask_login import login_required

bp = Blueprint("coordinator", __name__)


@bp.before_request
@login_required
def _coordinators_only():
    """One place for the rule: every coordinator page needs a logged-in coordinator."""

