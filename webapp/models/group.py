"""Stakeholder groups (专家类别), defined per study by its coordinator."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db


class StudyGroup(db.Model):
    """One stakeholder group of one study: a code (used in imports and exports), a name in
    both languages and its position in lists. An expert belongs to at most one."""

    __tablename__ = "study_group"
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        CheckConstraint("length(code) > 0", name="code_not_empty"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(default=0)

    study = relationship("Study", back_populates="groups")

    def name(self, locale: str) -> str:
        primary, fallback = (self.name_zh, self.name_en) if locale == "zh" else (self.name_en, self.name_zh)
        return primary or fallback or self.code
