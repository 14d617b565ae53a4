"""E-mails to experts (invitations and reminders) and their delivery status.

The body is never stored: it carries the expert's personal link. What is kept
is what the coordinator's delivery table shows (Welphi-style): which message,
to whom, its status (queued → sent, failed with the mail server's answer, or
not sent because no SMTP server is configured) and when.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow


class MessageKind(str, enum.Enum):
    invitation = "invitation"
    reminder = "reminder"
    round_open = "round_open"  # a new round is open


class DeliveryStatus(str, enum.Enum):
    queued = "queued"
    sent = "sent"
    failed = "failed"
    not_sent = "not_sent"  # no SMTP server configured: the coordinator copies the message


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("length(recipient) <= 254", name="recipient_length"),
        Index("ix_message_study_id_created_at", "study_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"), index=True)
    kind: Mapped[MessageKind] = mapped_column(
        Enum(MessageKind, name="message_kind", native_enum=False, create_constraint=True,
             length=16, validate_strings=True))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, name="delivery_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True), default=DeliveryStatus.queued)
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(400), default="")
    locale: Mapped[str] = mapped_column(String(5), default="en")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    expert = relationship("Expert")
    round = relationship("Round")
