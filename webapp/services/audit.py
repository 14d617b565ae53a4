"""Write the append-only audit log."""
from __future__ import annotations

from flask_login import current_user

from webapp.extensions import db
from webapp.models import AuditEvent


def actor_of(expert=None) -> str:
    if expert is not None:
        return f"expert:{expert.pseudonym}"
    try:
        if current_user and current_user.is_authenticated:
            return f"coordinator:{current_user.id}"
    except Exception:  # noqa: BLE001 - outside a request (CLI, scheduler)
        pass
    return "system"


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
