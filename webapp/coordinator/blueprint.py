"""The coordinator blueprint and its guard: a logged-in coordinator, who is the acting user
of the request, on the address the links they are shown should use."""
from flask import Blueprint, g, request
from flask_login import current_user, login_required

from webapp.services import audit, invitations

bp = Blueprint("coordinator", __name__)


@bp.before_request
@login_required
def _coordinators_only():
    """One place for the rule: every coordinator page needs a logged-in coordinator. The
    services are given who acts (audit log) and the base URL of links for this request."""
    g.bound_for_services = (audit.bind_actor(audit.actor_for(current_user)),
                            invitations.bind_base_url(request.url_root))


@bp.teardown_request
def _unbind(_exc=None):
    bound = g.pop("bound_for_services", None)
    if bound is not None:
        invitations.unbind_base_url(bound[1])
        audit.unbind_actor(bound[0])
