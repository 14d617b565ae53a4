"""Published weight sets: frozen, versioned, checksummed."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow


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
    # Which experts' answers were used (pseudonyms), for the coordinator only: never published.
    experts_used: Mapped[list | None] = mapped_column(JSONText)

    study = relationship("Study")
    withdrawal = relationship("WeightSetWithdrawal", uselist=False, back_populates="weight_set",
                              lazy="joined")

    @classmethod
    def freeze(cls, *, study, version: int, payload: dict, label: str = "", published_by=None,
               experts_used: list | None = None):
        """``payload`` without its ``checksum`` key; the checksum is that of its canonical text."""
        text = canonical_json(payload)
        return cls(study=study, version=version, label=label, payload_text=text,
                   checksum=payload_checksum(text), published_by_id=getattr(published_by, "id", None),
                   experts_used=experts_used)

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_text)

    @property
    def document(self) -> dict:
        """The published weight-set/1 document: the frozen payload with its checksum."""
        return {**self.payload, "checksum": self.checksum}

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawal is not None

    @property
    def withdrawn_at(self) -> datetime | None:
        return self.withdrawal.withdrawn_at if self.withdrawal else None


def canonical_json(payload: dict) -> str:
    """Sorted keys, no spaces, UTF-8 kept; floats as Python's shortest round-trip repr."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)


class WeightSetWithdrawal(db.Model):
    """Withdrawing marks a version (dated, with a reason); the version itself never changes."""

    __tablename__ = "weight_set_withdrawal"

    id: Mapped[int] = mapped_column(primary_key=True)
    weight_set_id: Mapped[int] = mapped_column(ForeignKey("weight_set.id", ondelete="RESTRICT"),
                                               unique=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")

    weight_set = relationship("WeightSet", back_populates="withdrawal")


@event.listens_for(WeightSet, "before_update")
def _weight_sets_never_change(mapper, connection, target):
    # A new withdrawal touches the relationship only; that is no change of the row.
    state = inspect(target)
    if not any(state.attrs[attr.key].history.has_changes() for attr in mapper.column_attrs):
        return
    raise ImmutableRow("a published weight set never changes; publish a new version")


@event.listens_for(WeightSet, "before_delete")
def _weight_sets_are_never_deleted(mapper, connection, target):
    raise ImmutableRow("a published weight set is never deleted; withdraw it")


@event.listens_for(WeightSetWithdrawal, "before_update")
@event.listens_for(WeightSetWithdrawal, "before_delete")
def _withdrawals_are_final(mapper, connection, target):
    raise ImmutableRow("a withdrawal is final")
