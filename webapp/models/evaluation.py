"""Evaluations: objects (platforms, labs, projects) scored with a pinned published weight set.

The evaluation pins one ``WeightSet`` row (a published, frozen version): a later version of the
study's weights never changes it. Its settings (bands, missing-data policy, score scale) are
frozen when it is finished; a finished evaluation refuses new data.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow
from webapp.models.study import InvalidTransition


class EvaluationKind(str, enum.Enum):
    """Seed 5.2.7: who evaluates."""
    self_assessment = "self_assessment"
    second_party = "second_party"
    third_party = "third_party"


class EvaluationStatus(str, enum.Enum):
    collecting = "collecting"
    finished = "finished"


class Evaluation(db.Model):
    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
                        name="period_order"),
        CheckConstraint("reminder_hours IS NULL OR (reminder_hours >= 1 AND reminder_hours <= 720)",
                        name="reminder_hours_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    weight_set_id: Mapped[int] = mapped_column(ForeignKey("weight_set.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[EvaluationKind] = mapped_column(
        Enum(EvaluationKind, name="evaluation_kind", native_enum=False, create_constraint=True,
             length=24, validate_strings=True))
    purpose: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # bands, missing-data policy, scale: what the results depend on (frozen at finish)
    settings: Mapped[dict] = mapped_column(JSONText, default=dict)
    # the report's contents (seed 5.2.9), Markdown written by the coordinator
    evaluating_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    participants: Mapped[str] = mapped_column(Text, default="", server_default="")
    guidance: Mapped[str] = mapped_column(Text, default="", server_default="")
    conclusions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EvaluationStatus] = mapped_column(
        Enum(EvaluationStatus, name="evaluation_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=EvaluationStatus.collecting)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # evaluators' deadline (entered in the study's time zone, stored in UTC) and their reminder
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_hours: Mapped[int | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    study = relationship("Study")
    weight_set = relationship("WeightSet")
    objects = relationship("EvaluatedObject", back_populates="evaluation", cascade="all, delete-orphan",
                           order_by="EvaluatedObject.position")

    @property
    def is_finished(self) -> bool:
        return self.status is EvaluationStatus.finished

    def is_past_deadline(self, now: datetime) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at

    def accepts_evaluator_input(self, now: datetime) -> bool:
        """Evaluators may save while the evaluation collects data and its deadline has not passed."""
        return self.status is EvaluationStatus.collecting and not self.is_past_deadline(now)

    def finish(self, now: datetime | None = None) -> None:
        if self.status is not EvaluationStatus.collecting:
            raise InvalidTransition("only an evaluation collecting data can finish")
        self.status = EvaluationStatus.finished
        self.finished_at = now or utcnow()

    def reopen(self) -> None:
        if self.status is not EvaluationStatus.finished:
            raise InvalidTransition("only a finished evaluation can reopen")
        self.status = EvaluationStatus.collecting
        self.finished_at = None


class EvaluatedObject(db.Model):
    """A platform, lab or project being evaluated."""
    __tablename__ = "evaluated_object"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "name"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")  # the evaluated party (Markdown)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evaluation = relationship("Evaluation", back_populates="objects")
    scores = relationship("EvaluationScore", back_populates="object", cascade="all, delete-orphan")


class EvaluationScore(db.Model):
    """The score of one leaf indicator for one object (on the evaluation's scale)."""
    __tablename__ = "evaluation_score"
    __table_args__ = (
        UniqueConstraint("object_id", "code"),
        CheckConstraint("value >= 0", name="value_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("evaluated_object.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="upload")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    object = relationship("EvaluatedObject", back_populates="scores")
