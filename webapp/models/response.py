"""An expert's answers to a round: ratings, pairwise judgments, proposals."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.round import Round


class ResponseStatus(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"


class Response(db.Model):
    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("expert_id", "round_id"),
        CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL", name="submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    status: Mapped[ResponseStatus] = mapped_column(
        Enum(ResponseStatus, name="response_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=ResponseStatus.draft,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    expert = relationship("Expert")
    round = relationship("Round", back_populates="responses")
    ratings = relationship("Rating", back_populates="response", cascade="all, delete-orphan")
    judgments = relationship("Judgment", back_populates="response", cascade="all, delete-orphan")

    @property
    def is_submitted(self) -> bool:
        return self.status is ResponseStatus.submitted

    def touch_if_writable(self, session: Session, now: datetime, **values) -> bool:
        """Mark this draft as changed at ``now`` (with ``values``), only if it is still a
        draft and its round still accepts answers, in one statement: the deadline holds
        even against a concurrent close (see :meth:`Round.accepting`). True if it was written."""
        round_accepts = Round.accepting(session, self.round_id, now)
        result = session.execute(
            update(Response).where(Response.id == self.id, Response.status == ResponseStatus.draft,
                                   round_accepts)
            .values(updated_at=now, **values).execution_options(synchronize_session=False))
        return result.rowcount == 1

    def submit_if_writable(self, session: Session, now: datetime) -> bool:
        """Submit this draft at ``now`` if its round still accepts answers (one statement)."""
        written = self.touch_if_writable(session, now, status=ResponseStatus.submitted, submitted_at=now)
        session.refresh(self)
        return written


class Rating(db.Model):
    """Importance of one indicator; ``value`` NULL with ``no_opinion`` = 不熟悉，不评价."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("response_id", "node_id"),
        CheckConstraint("value IS NULL OR (value >= 0 AND value <= 10)", name="value_range"),
        CheckConstraint("NOT (no_opinion AND value IS NOT NULL)", name="no_opinion_has_no_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    value: Mapped[int | None]
    no_opinion: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Why the expert stays outside the group's interquartile range (asked, not forced).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response = relationship("Response", back_populates="ratings")
    node = relationship("Node")


class Judgment(db.Model):
    """One pairwise comparison in a sibling group, on the Saaty 1–9 scale.

    ``value`` is signed: k > 1 means the row indicator is k times as important
    as the column indicator, -k means the column indicator is; 1 is equal.
    So a_rc = k or 1/k, and every stored value is on the scale by construction.
    """

    __tablename__ = "judgment"
    __table_args__ = (
        UniqueConstraint("response_id", "row_node_id", "col_node_id"),
        CheckConstraint("value >= -9 AND value <= 9 AND value NOT IN (0, -1)", name="saaty_scale"),
        CheckConstraint("row_node_id <> col_node_id", name="distinct_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    parent_node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    row_node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    col_node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response = relationship("Response", back_populates="judgments")

    @property
    def ratio(self) -> float:
        return float(self.value) if self.value > 0 else 1.0 / -self.value


class ProposalKind(str, enum.Enum):
    add = "add"
    merge = "merge"
    drop = "drop"
    reword = "reword"
    comment = "comment"  # a general comment (round 0), about no indicator in particular


class ProposalStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    merged = "merged"  # a duplicate, decided with the proposal it was merged into


class Proposal(db.Model):
    """An expert's proposal to add, merge, drop or reword an indicator."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProposalKind] = mapped_column(
        Enum(ProposalKind, name="proposal_kind", native_enum=False, create_constraint=True,
             length=16, validate_strings=True)
    )
    node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="SET NULL"))
    parent_node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")  # of a new indicator
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(ProposalStatus, name="proposal_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=ProposalStatus.pending,
    )
    created_node_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="SET NULL"))
    # The coordinator's note (why it was rejected) and, for a duplicate, the proposal it joined.
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round = relationship("Round")
    expert = relationship("Expert")
    node = relationship("Node", foreign_keys=[node_id])
    parent_node = relationship("Node", foreign_keys=[parent_node_id])
    merged_into = relationship("Proposal", remote_side=[id])
