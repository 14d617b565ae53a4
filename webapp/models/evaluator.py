"""Evaluators: people invited by link (no password) to score their assigned objects on a phone form."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.study import hash_token


class Evaluator(db.Model):
    __tablename__ = "evaluator"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    evaluation = relationship("Evaluation")
    assignments = relationship("EvaluatorAssignment", back_populates="evaluator", cascade="all, delete-orphan")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def session_marker(self) -> str:
        """Changes when the link is reissued, so an old session ends."""
        return self.token_hash[:16]

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        self.token_hash = hash_token(token)
        return token

    @classmethod
    def by_token(cls, token: str) -> "Evaluator | None":
        return db.session.scalar(select(cls).where(cls.token_hash == hash_token(token)))

    @property
    def objects(self) -> list:
        return sorted((a.object for a in self.assignments), key=lambda o: o.position)


class EvaluatorAssignment(db.Model):
    __tablename__ = "evaluator_assignment"
    __table_args__ = (UniqueConstraint("evaluator_id", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluator.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("evaluated_object.id", ondelete="CASCADE"), index=True)

    evaluator = relationship("Evaluator", back_populates="assignments")
    object = relationship("EvaluatedObject")


class EvaluatorScore(db.Model):
    """One evaluator's score (and evidence note) of one leaf for one object; the object's score is the mean."""
    __tablename__ = "evaluator_score"
    __table_args__ = (
        UniqueConstraint("evaluator_id", "object_id", "code"),
        CheckConstraint("value IS NULL OR value >= 0", name="value_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluator.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("evaluated_object.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
