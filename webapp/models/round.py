"""Rounds and the items each round asks about."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.study import InvalidTransition


class RoundKind(str, enum.Enum):
    delphi = "delphi"
    ahp = "ahp"


class RoundStatus(str, enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Round(db.Model):
    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("scale_min >= 0 AND scale_max <= 10 AND scale_min < scale_max", name="scale"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR opens_at < closes_at",
                        name="opens_before_closes"),
        CheckConstraint("rated_level IS NULL OR rated_level >= 1", name="rated_level"),
        CheckConstraint("reminder_hours IS NULL OR (reminder_hours >= 1 AND reminder_hours <= 720)",
                        name="reminder_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[RoundKind] = mapped_column(
        Enum(RoundKind, name="round_kind", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=RoundKind.delphi,
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    status: Mapped[RoundStatus] = mapped_column(
        Enum(RoundStatus, name="round_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=RoundStatus.draft,
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Questionnaire settings (Delphi).
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    rated_level: Mapped[int | None]  # None: every indicator below the goal
    allow_comments: Mapped[bool] = mapped_column(default=True)
    allow_proposals: Mapped[bool] = mapped_column(default=True)
    allow_no_opinion: Mapped[bool] = mapped_column(default=True)
    drop_consensus_items: Mapped[bool] = mapped_column(default=False)
    # From round 2: each expert's previous answer preselected (marked, changeable).
    prefill_answers: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Reminders to experts who have not submitted, this many hours before closing.
    reminder_hours: Mapped[int | None]
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study = relationship("Study", back_populates="rounds")
    items = relationship("RoundItem", back_populates="round", cascade="all, delete-orphan",
                         order_by="RoundItem.position")
    responses = relationship("Response", back_populates="round", cascade="all, delete-orphan")

    def open(self, now: datetime | None = None) -> None:
        if self.status is not RoundStatus.draft:
            raise InvalidTransition("only a draft round can open")
        if not self.items:
            raise InvalidTransition("a round needs at least one item to open")
        now = now or utcnow()
        if self.closes_at is not None and self.closes_at <= now:
            raise InvalidTransition("the closing time has already passed")
        self.status = RoundStatus.open
        self.opened_at = now

    def close(self, now: datetime | None = None) -> None:
        if self.status is not RoundStatus.open:
            raise InvalidTransition("only an open round can close")
        self.status = RoundStatus.closed
        self.closed_at = now or utcnow()

    def is_past_deadline(self, now: datetime | None = None) -> bool:
        return self.closes_at is not None and (now or utcnow()) >= self.closes_at

    def accepts_answers(self, now: datetime | None = None) -> bool:
        """Open and before the deadline: the deadline holds without a scheduler."""
        return self.status is RoundStatus.open and not self.is_past_deadline(now)


class ItemDecision(str, enum.Enum):
    keep = "keep"
    drop = "drop"
    reword = "reword"


class RoundItem(db.Model):
    """An indicator asked about in a round (for AHP rounds: a sibling group's parent)."""

    __tablename__ = "round_item"
    __table_args__ = (
        UniqueConstraint("round_id", "node_id"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # The coordinator's decision once the round is closed.
    decision: Mapped[ItemDecision | None] = mapped_column(
        Enum(ItemDecision, name="item_decision", native_enum=False, create_constraint=True,
             length=16, validate_strings=True)
    )
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # The wording the round asked, kept when it opens (None while a draft: the
    # indicator's current wording). Rewording later never changes what was asked.
    asked_name_zh: Mapped[str | None] = mapped_column(String(300))
    asked_name_en: Mapped[str | None] = mapped_column(String(300))
    asked_description_zh: Mapped[str | None] = mapped_column(Text)
    asked_description_en: Mapped[str | None] = mapped_column(Text)

    round = relationship("Round", back_populates="items")
    node = relationship("Node")

    def asked(self) -> dict[str, str]:
        """The wording this item asked (its indicator's current wording until the round opened)."""
        node = self.node
        keep = self.asked_name_zh is not None or self.asked_name_en is not None
        return {"name_zh": self.asked_name_zh if keep else node.name_zh,
                "name_en": self.asked_name_en if keep else node.name_en,
                "description_zh": (self.asked_description_zh or "") if keep else node.description_zh,
                "description_en": (self.asked_description_en or "") if keep else node.description_en}

    def asked_name(self, locale: str) -> str:
        w = self.asked()
        return (w["name_zh"] or w["name_en"]) if locale == "zh" else (w["name_en"] or w["name_zh"])
