"""Write the append-only audit log.

Who acted is given to the services, never looked up by them:

- an expert's action passes ``expert=`` (recorded as ``expert:E03``);
- an evaluator's, an account's or the system's passes ``actor=`` (see :func:`actor_for`);
- a coordinator's page binds the logged-in coordinator for the length of the request
  with :func:`acting_as` (``webapp.coordinator.blueprint`` does it for every coordinator
  page), so every event the services record meanwhile names them;
- anything else (the scheduler, the CLI) is ``system``.

This module does not import Flask-Login: the web layer decides who acts.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from webapp.extensions import db
from webapp.models import AuditEvent

SYSTEM = "system"

#: The acting user of the current request, bound by the web layer (None: nobody bound).
_acting: ContextVar[str | None] = ContextVar("concordia_acting", default=None)


def actor_for(user) -> str:
    """THE way an acting user is written in the log: ``coordinator:<id>`` (``system`` for None)."""
    if user is None or getattr(user, "id", None) is None:
        return SYSTEM
    return f"coordinator:{user.id}"


def bind_actor(actor: str):
    """Make ``actor`` the acting user until :func:`unbind_actor` with the returned token
    (for request hooks; code blocks use :func:`acting_as`)."""
    return _acting.set(actor)


def unbind_actor(token) -> None:
    try:
        _acting.reset(token)
    except ValueError:  # bound in another context (cannot happen in a plain request): unbind all the same
        _acting.set(None)


@contextmanager
def acting_as(actor: str):
    """Events recorded inside the block name ``actor`` unless they name someone themselves."""
    token = bind_actor(actor)
    try:
        yield
    finally:
        unbind_actor(token)


def actor_of(expert=None) -> str:
    """The actor of an event: the expert when given, else the bound acting user, else system."""
    if expert is not None:
        return f"expert:{expert.pseudonym}"
    return _acting.get() or SYSTEM


def record(action: str, *, study=None, target: str = "", details: dict | None = None,
           expert=None, actor: str | None = None) -> AuditEvent:
    event = AuditEvent(
        action=action,
        study_id=getattr(study, "id", None),
        target=target,
        details=details,
        actor=actor or actor_of(expert),
    )
    db.session.add(event)
    return event
