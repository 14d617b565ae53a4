"""Evaluators: people invited by link (no password) to score their assigned objects on a phone form."""
from __future__ import annotations

import secrets
from datetime import datetime

import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow
from webapp.models.message import Delivery
from webapp.models.study import InvalidTransition, hash_token


def evaluator_token(evaluator_id: int, generation: int) -> str:
    """An evaluator's link token: base64url(HMAC-SHA256(K, "concordia-evaluator/1:<id>:<generation>")),
    K = SHA-256("concordia-evaluator-links:" + SECRET_KEY) — as the experts' links, so the link can be
    computed again (reminders carry it) while only its SHA-256 is stored."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    key = hashlib.sha256(b"concordia-evaluator-links:" + secret).digest()
    mac = hmac.new(key, f"concordia-evaluator/1:{evaluator_id}:{generation}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


class Evaluator(db.Model):
    __tablename__ = "evaluator"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),
                      CheckConstraint("token_generation >= 0", name="token_generation"),
                      CheckConstraint("locale IS NULL OR locale IN ('en', 'zh')", name="locale"))

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The evaluator's language (as an expert's): set by the coordinator, then the one the evaluator last
    # chose on their pages; None = the study's default. Reminders and the pages after the link use it.
    locale: Mapped[str | None] = mapped_column(String(5))

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
        """Move to the next link generation: the previous link (and its sessions) stop working, a revoked
        evaluator has a link again (as an expert's reissue). The evaluator needs an id: flush first."""
        if self.id is None:
            raise InvalidTransition("flush the evaluator before issuing its link")
        self.token_generation = (self.token_generation or 0) + 1
        token = evaluator_token(self.id, self.token_generation)
        self.token_hash = hash_token(token)
        self.revoked_at = None
        return token

    def current_token(self) -> str | None:
        """The active link's token computed again; None when revoked or issued before links were derived."""
        if self.is_revoked or self.id is None or not self.token_generation:
            return None
        token = evaluator_token(self.id, self.token_generation)
        return token if hash_token(token) == self.token_hash else None

    @staticmethod
    def placeholder_hash() -> str:
        """A random, unusable hash for the moment before the evaluator has an id."""
        return hash_token("unissued:" + secrets.token_urlsafe(24))

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
        CheckConstraint("grade IS NULL OR grade >= 0", name="grade_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluator.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("evaluated_object.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[int | None] = mapped_column()   # index into the evaluation's FCE grades (best first)
    evidence: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EvaluatorMessage(Delivery, db.Model):
    """A reminder e-mailed to an evaluator, with its delivery status (the body, holding the link, is not kept)."""
    __tablename__ = "evaluator_message"
    status_constraint = "evaluator_delivery_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluator.id", ondelete="CASCADE"), index=True)

    evaluator = relationship("Evaluator")
