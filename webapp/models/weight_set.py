"""Published weight sets: frozen, versioned, checksummed."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow


class ImmutableRow(Exception):
    """A published weight set or an audit event was about to change."""


def payload_checksum(payload_text: str) -> str:
    return hashlib.sha256(payload_text.encode("utf-8")).hexdigest()


class WeightSet(db.Model):
    """A weight set has no mutating method: publishing a change is a new version."""

    __tablename__ = "weight_set"
    __table_args__ = (
        UniqueConstraint("study_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(checksum) = 64", name="checksum_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int]
    label: Mapped[str] = mapped_column(String(200), default="")
    payload_text: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as published
    checksum: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    study = relationship("Study")

    @classmethod
    def freeze(cls, *, study, version: int, payload: dict, label: str = "", published_by=None):
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return cls(study=study, version=version, label=label, payload_text=text,
                   checksum=payload_checksum(text), published_by_id=getattr(published_by, "id", None))

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_text)


@event.listens_for(WeightSet, "before_update")
def _weight_sets_never_change(mapper, connection, target):
    raise ImmutableRow("a published weight set never changes; publish a new version")
