"""E-mails to experts (invitations and reminders) and their delivery status.

The body is never stored: it carries the expert's personal link. What is kept
is what the coordinator's delivery table shows (Welphi-style): which message,
to whom, its status (queued → sent, failed with the mail server's answer, or
not sent because no SMTP server is configured) and when.
"""
from __future__ import annotations

import enum
from datetime import datetime

from typing import ClassVar

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

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


class Delivery:
    """The delivery columns every e-mail table shares (experts' ``message``, ``evaluator_message``):
    status, recipient, subject, locale, the mail server's error and when it was created and sent.

    A class names its status enum's check constraint in ``status_constraint`` (each table keeps its
    own name) and may add table arguments in ``more_table_args``; the recipient-length check is added
    here. ``webapp.services.mail.deliver`` sends rows of any such table.
    """

    status_constraint: ClassVar[str]
    more_table_args: ClassVar[tuple] = ()

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (CheckConstraint("length(recipient) <= 254", name="recipient_length"), *cls.more_table_args)

    @declared_attr
    def status(cls) -> Mapped[DeliveryStatus]:
        return mapped_column(Enum(DeliveryStatus, name=cls.status_constraint, native_enum=False,
                                  create_constraint=True, length=16, validate_strings=True),
                             default=DeliveryStatus.queued)

    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(400), default="")
    locale: Mapped[str] = mapped_column(String(5), default="en")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Message(Delivery, db.Model):
    __tablename__ = "message"
    status_constraint = "delivery_status"
    more_table_args = (Index("ix_message_study_id_created_at", "study_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"), index=True)
    kind: Mapped[MessageKind] = mapped_column(
        Enum(MessageKind, name="message_kind", native_enum=False, create_constraint=True,
             length=16, validate_strings=True))

    expert = relationship("Expert")
    round = relationship("Round")
