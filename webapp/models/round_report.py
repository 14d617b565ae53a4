"""A closed Delphi round's submitted answers and expert feedback, frozen once.

Safe because a round's settings freeze when it opens and its answers cannot change after it
closes; reopening the round deletes the row (``services.frozen_reports.thaw``), and a row is used
only while its ``closed_at`` is the round's (so a snapshot written by a request that raced a
reopen is never read). ``digest`` is the SHA-256 of the canonical ``answers`` JSON.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow


class FrozenReport(db.Model):
    """One row per closed Delphi round: its answers (compact) and what experts see of it."""

    __tablename__ = "round_report"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)       # the close this snapshot belongs to
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    digest: Mapped[str] = mapped_column(String(64))                 # SHA-256 of the canonical answers
    answers: Mapped[dict] = mapped_column(JSONText)                 # experts, nodes, cells, texts
    feedback: Mapped[dict] = mapped_column(JSONText)                # per node: n, quartiles, counts, comments
