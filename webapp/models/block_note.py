"""An expert's reason for submitting an AHP block over the consistency threshold."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow


class BlockNote(db.Model):
    """Why the expert keeps a pairwise block whose CR (or GCI) is over the round's limit."""

    __tablename__ = "block_note"
    __table_args__ = (UniqueConstraint("response_id", "parent_node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    parent_node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response = relationship("Response")
