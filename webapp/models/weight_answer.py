"""An expert's G1 or BWM answer about one indicator of a block (G1 and BWM rounds).

One row per (response, block, indicator):

- G1 (序关系分析法): ``rank`` is the indicator's place in the expert's order (0 = most
  important) and ``ratio`` = w(this)/w(next in the order) on 1.0/1.2/1.4/1.6/1.8
  (``None`` for the last one).
- BWM: ``role`` is "best", "worst" or ``None``; ``best_to`` = a_Bj and ``to_worst`` = a_jW
  on the 1–9 scale (a_BB = a_WW = 1).

A block's rows are replaced whole when the expert saves it, so a stored block is always one
complete answer.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow


class WeightAnswer(db.Model):
    __tablename__ = "weight_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "parent_node_id", "node_id"),
        CheckConstraint("method IN ('g1', 'bwm')", name="method"),
        CheckConstraint("ratio IS NULL OR (ratio >= 1 AND ratio <= 1.8)", name="g1_scale"),
        CheckConstraint("best_to IS NULL OR (best_to >= 1 AND best_to <= 9)", name="best_to_scale"),
        CheckConstraint("to_worst IS NULL OR (to_worst >= 1 AND to_worst <= 9)", name="to_worst_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    parent_node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    node_id: Mapped[int] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    role: Mapped[str | None] = mapped_column(String(8), nullable=True)
    best_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_worst: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response = relationship("Response")
