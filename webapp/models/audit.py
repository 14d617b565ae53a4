"""Append-only audit log of every state change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow
from webapp.models.weight_set import ImmutableRow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("study.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "coordinator:3", "expert:E07", "system"
    action: Mapped[str] = mapped_column(String(80))  # "round.open", "response.submit", ...
    target: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict | None] = mapped_column(JSONText)


@event.listens_for(AuditEvent, "before_update")
def _audit_is_append_only(mapper, connection, target):
    # Deleting a study sets study_id to NULL in the database (ON DELETE SET NULL);
    # that happens in SQL, not through this mapper, so the log itself stays intact.
    raise ImmutableRow("the audit log is append-only")


@event.listens_for(AuditEvent, "before_delete")
def _audit_is_never_deleted(mapper, connection, target):
    raise ImmutableRow("the audit log is append-only")
