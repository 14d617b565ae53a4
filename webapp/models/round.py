"""Rounds and the items each round asks about."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint, and_, exists, or_, select, update
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow
from webapp.models.study import InvalidTransition


class RoundKind(str, enum.Enum):
    delphi = "delphi"
    ahp = "ahp"
    # Round 0: experts propose indicators and comments before anything is rated.
    proposals = "proposals"


class RoundStatus(str, enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Round(db.Model):
    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        # Round 0 is the open proposals round (one per study, by the unique number);
        # every other round kind is numbered from 1.
        CheckConstraint("(kind = 'proposals' AND number = 0) OR (kind <> 'proposals' AND number >= 1)",
                        name="number_by_kind"),
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
    # Reminders to experts who have not submitted, this many hours before closing.
    reminder_hours: Mapped[int | None]
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Everything the round's analysis depends on (consensus rule, authority tables, α, …):
    # filled at creation, completed and frozen when the round opens. A plain dict so that
    # every round kind adds its own keys (AHP rounds under "ahp"); read it through
    # webapp.services.round_settings, never by hand.
    settings: Mapped[dict] = mapped_column(JSONText, default=lambda: {}, server_default="{}")

    study = relationship("Study", back_populates="rounds")
    items = relationship("RoundItem", back_populates="round", cascade="all, delete-orphan",
                         order_by="RoundItem.position")
    responses = relationship("Response", back_populates="round", cascade="all, delete-orphan")

    @validates("settings")
    def _settings_frozen(self, _key, value):
        """A round's settings change only while it is a draft (frozen at open)."""
        if self.status not in (None, RoundStatus.draft):
            raise InvalidTransition("the settings of an opened round are frozen")
        return dict(value or {})

    # --- the deadline, in Python and in SQL -----------------------------------------

    @hybrid_method
    def is_past_deadline(self, now: datetime | None = None) -> bool:
        return self.closes_at is not None and (now or utcnow()) >= self.closes_at

    @is_past_deadline.expression
    def is_past_deadline(cls, now: datetime):
        return and_(cls.closes_at.is_not(None), cls.closes_at <= now)

    @hybrid_method
    def accepts_answers(self, now: datetime | None = None) -> bool:
        """Open and before the deadline: the deadline holds without a scheduler.

        The same expression is usable in queries and conditional UPDATEs:
        ``select(Round).where(Round.accepts_answers(now))``.
        """
        return self.status is RoundStatus.open and not self.is_past_deadline(now)

    @accepts_answers.expression
    def accepts_answers(cls, now: datetime):
        return and_(cls.status == RoundStatus.open, or_(cls.closes_at.is_(None), cls.closes_at > now))

    # --- transitions: one conditional statement each, safe against races --------------

    def open_if_draft(self, session: Session, now: datetime, *, settings: dict) -> bool:
        """Open this draft round (with its frozen ``settings``) in one conditional UPDATE.

        Opens only a draft that has items (round 0, which rates nothing, needs none)
        and whose closing time is still ahead; True if this call opened it. Of
        several processes, exactly one wins.
        """
        has_items = or_(Round.kind == RoundKind.proposals, exists().where(RoundItem.round_id == Round.id))
        result = session.execute(
            update(Round).where(Round.id == self.id, Round.status == RoundStatus.draft, has_items,
                                or_(Round.closes_at.is_(None), Round.closes_at > now))
            .values(status=RoundStatus.open, opened_at=now, settings=dict(settings))
            .execution_options(synchronize_session=False))
        session.refresh(self)
        return result.rowcount == 1

    @classmethod
    def accepting(cls, session: Session, round_id, now, *, dialect: str | None = None):
        """EXISTS (round ``round_id`` accepts answers at ``now``) for the statement that
        writes an answer. On PostgreSQL it reads the round row ``FOR SHARE``: a close
        (which takes the row ``FOR UPDATE``) waits for the answers in flight, and an
        answer that comes after the close sees it closed (READ COMMITTED re-checks
        the locked row). On SQLite the database's write lock orders them.
        ``round_id`` and ``now`` may be bound parameters (a statement built once);
        ``dialect`` then names the database the statement is built for."""
        query = select(cls.id).where(cls.id == round_id, cls.accepts_answers(now))
        if (dialect or session.get_bind().dialect.name) == "postgresql":
            query = query.with_for_update(read=True)
        return exists(query)

    def hold_for_close(self, session: Session) -> None:
        """Wait for the answers in flight and keep new ones out until this transaction
        ends: PostgreSQL locks the round row ``FOR UPDATE``; SQLite takes the write lock."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(Round.id).where(Round.id == self.id).with_for_update())
        else:
            session.execute(update(Round).where(Round.id == self.id).values(status=Round.status)
                            .execution_options(synchronize_session=False))

    def close_if_open(self, session: Session, now: datetime, *, only_if_expired: bool = False,
                      stamp_at_lock: bool = False) -> bool:
        """Close this open round in one conditional UPDATE; True if this call closed it.

        ``only_if_expired``: only when its closing time has passed (the lazy
        deadline check and the scheduler). Drafts of answers stay drafts. The
        round is held first (:meth:`hold_for_close`); with ``stamp_at_lock``
        ``closed_at`` is the time once it is held, so no answer stored before the
        close carries a later time.
        """
        condition = and_(Round.id == self.id, Round.status == RoundStatus.open)
        if only_if_expired:
            condition = and_(condition, Round.is_past_deadline(now))
        self.hold_for_close(session)
        closed_at = utcnow() if stamp_at_lock else now
        result = session.execute(
            update(Round).where(condition).values(status=RoundStatus.closed, closed_at=closed_at)
            .execution_options(synchronize_session=False))
        session.refresh(self)
        return result.rowcount == 1


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
    node = relationship("Node", lazy="joined")  # every use of an item shows its indicator

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
