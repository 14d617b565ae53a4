"""Study, its indicator hierarchy, and the expert panel."""
from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONText, UTCDateTime, utcnow


class InvalidTransition(Exception):
    """A lifecycle change that the current state does not allow."""


class StudyStatus(str, enum.Enum):
    draft = "draft"
    running = "running"
    finished = "finished"


class Study(db.Model):
    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    status: Mapped[StudyStatus] = mapped_column(
        Enum(StudyStatus, name="study_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=StudyStatus.draft,
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    # Chosen per study and stored with it, so reports can print what was used.
    consensus_rule: Mapped[dict | None] = mapped_column(JSONText)
    authority_tables: Mapped[dict | None] = mapped_column(JSONText)
    default_locale: Mapped[str] = mapped_column(String(5), default="zh")
    # Stopping rule: the round limit (delphi.stopping) and the stability test level.
    max_rounds: Mapped[int] = mapped_column(default=3, server_default="3")
    # Every time entered or shown for this study is in this IANA zone (named beside it).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The welcome text of the invitation e-mail (plain text; the link and deadline are added).
    welcome_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    stability_alpha: Mapped[float] = mapped_column(default=0.05, server_default="0.05")
    # Analysis options frozen onto each round at open (round_settings.STUDY_KEYS): experts who
    # answered both rounds needed before an item may be called stable, and the answers an item
    # needs before experts see the group's result (anonymity on small panels).
    min_paired: Mapped[int] = mapped_column(default=6, server_default="6")
    min_feedback_respondents: Mapped[int] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Published weight sets: public, or served only with the study's API key (SHA-256 kept).
    api_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_key_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The coordinator's conclusions for the study report (Markdown source).
    conclusions: Mapped[str] = mapped_column(Text, default="", server_default="")

    owner = relationship("User")
    nodes = relationship("Node", back_populates="study", cascade="all, delete-orphan",
                         order_by="Node.position")
    experts = relationship("Expert", back_populates="study", cascade="all, delete-orphan",
                           order_by="Expert.pseudonym")
    rounds = relationship("Round", back_populates="study", cascade="all, delete-orphan",
                          order_by="Round.number")
    groups = relationship("StudyGroup", back_populates="study", cascade="all, delete-orphan",
                          order_by="StudyGroup.position")

    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("default_locale IN ('en', 'zh')", name="default_locale"),
        CheckConstraint("max_rounds >= 1 AND max_rounds <= 20", name="max_rounds"),
        CheckConstraint("stability_alpha > 0 AND stability_alpha < 1", name="stability_alpha"),
        CheckConstraint("min_paired >= 2 AND min_paired <= 100", name="min_paired"),
        CheckConstraint("min_feedback_respondents >= 2 AND min_feedback_respondents <= 100",
                        name="min_feedback_respondents"),
    )

    def start(self) -> None:
        if self.status is not StudyStatus.draft:
            raise InvalidTransition("only a draft study can start")
        self.status = StudyStatus.running

    def finish(self) -> None:
        if self.status is not StudyStatus.running:
            raise InvalidTransition("only a running study can finish")
        self.status = StudyStatus.finished
        self.finished_at = utcnow()

    @property
    def root(self) -> "Node | None":
        return next((n for n in self.nodes if n.parent_id is None), None)


class NodeStatus(str, enum.Enum):
    active = "active"
    dropped = "dropped"


class Node(db.Model):
    """One indicator; the root is the goal (目标层)."""

    __tablename__ = "node"
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        CheckConstraint("length(code) > 0", name="code_not_empty"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("node.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(300), default="")
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[NodeStatus] = mapped_column(
        Enum(NodeStatus, name="node_status", native_enum=False, create_constraint=True,
             length=16, validate_strings=True),
        default=NodeStatus.active,
    )

    study = relationship("Study", back_populates="nodes")
    parent = relationship("Node", remote_side=[id], back_populates="children")
    children = relationship("Node", back_populates="parent", order_by="Node.position",
                            cascade="all, delete-orphan")

    def name(self, locale: str) -> str:
        primary, fallback = (self.name_zh, self.name_en) if locale == "zh" else (self.name_en, self.name_zh)
        return primary or fallback

    def description(self, locale: str) -> str:
        primary, fallback = ((self.description_zh, self.description_en) if locale == "zh"
                             else (self.description_en, self.description_zh))
        return primary or fallback

    @property
    def depth(self) -> int:
        depth, node = 0, self
        while node.parent is not None:
            depth, node = depth + 1, node.parent
        return depth


FAMILIARITY_LEVELS = ("very", "familiar", "moderate", "little", "unfamiliar")
BASIS_SOURCES = ("practice", "theory", "literature", "intuition")
BASIS_LEVELS = ("high", "medium", "low")
# What Chinese Delphi papers report about their panels (codes; labels in services/profile_labels.py).
TITLES = ("senior", "associate", "intermediate", "junior", "other")            # 职称
EDUCATION_LEVELS = ("doctorate", "master", "bachelor", "other")              # 学历
AGE_BANDS = ("under30", "30-39", "40-49", "50-59", "60plus")
ORGANISATION_TYPES = ("government", "university", "research", "testing", "enterprise", "other")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_token(expert_id: int, generation: int) -> str:
    """The invitation token of one expert's link of one generation.

    token = base64url(HMAC-SHA256(K, "concordia-invitation/1:<expert id>:<generation>")),
    K = SHA-256("concordia-invitation-links:" + SECRET_KEY). Unguessable without the
    secret key (256-bit MAC), so only its SHA-256 is stored and the coordinator's page
    can compute the current link again at any time. Reissuing moves to the next
    generation: the earlier link's hash no longer matches. Rotating SECRET_KEY changes
    every link (reissue them all then).
    """
    from flask import current_app

    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    key = hashlib.sha256(b"concordia-invitation-links:" + secret).digest()
    mac = hmac.new(key, f"concordia-invitation/1:{expert_id}:{generation}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


class Expert(db.Model):
    """Membership of one study. Shown everywhere by pseudonym only."""

    __tablename__ = "expert"
    __table_args__ = (
        UniqueConstraint("study_id", "pseudonym"),
        CheckConstraint(
            "familiarity IS NULL OR familiarity IN "
            "('very', 'familiar', 'moderate', 'little', 'unfamiliar')",
            name="familiarity",
        ),
        CheckConstraint("years_experience IS NULL OR (years_experience >= 0 AND years_experience <= 80)",
                        name="years_experience"),
        CheckConstraint("locale IS NULL OR locale IN ('en', 'zh')", name="locale"),
        CheckConstraint("length(pseudonym) > 0", name="pseudonym_not_empty"),
        CheckConstraint("token_generation >= 0", name="token_generation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(16))
    # Contact details: visible to the study's coordinators only.
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    # Only the SHA-256 of the invitation token is stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: hash_token(
        "unissued:" + secrets.token_urlsafe(32)))  # until issue_token(), a hash no token matches
    token_issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The generation of the current link (see invitation_token); reissue = next generation.
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Profile, for the authority coefficient and the stakeholder split.
    field: Mapped[str] = mapped_column(String(200), default="")
    years_experience: Mapped[int | None]
    # The study's stakeholder group (services/groups.py refuses another study's group).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_group.id"), index=True)
    familiarity: Mapped[str | None] = mapped_column(String(16))
    # Descriptive profile (reported as counts, never with names): 职称, 学历, age band, organisation type.
    title: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    organisation_type: Mapped[str | None] = mapped_column(String(16))
    basis: Mapped[dict | None] = mapped_column(JSONText)  # {practice: high, ...}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study = relationship("Study", back_populates="experts")
    group = relationship("StudyGroup", lazy="joined")

    @property
    def group_code(self) -> str | None:
        return self.group.code if self.group is not None else None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def issue_token(self) -> str:
        """Move to the next link generation; the previous link stops working.

        The expert needs an id (flush first): the token is derived from it.
        """
        if self.id is None:
            raise InvalidTransition("flush the expert before issuing its link")
        self.token_generation = (self.token_generation or 0) + 1
        token = invitation_token(self.id, self.token_generation)
        self.token_hash = hash_token(token)
        self.token_issued_at = utcnow()
        self.revoked_at = None
        return token

    def current_token(self) -> str | None:
        """The token of the active link, computed again; None when revoked (or a link
        issued before links could be shown again, which a reissue replaces)."""
        if self.is_revoked or self.id is None:
            return None
        token = invitation_token(self.id, self.token_generation or 0)
        return token if hmac.compare_digest(hash_token(token), self.token_hash) else None

    def revoke(self) -> None:
        self.revoked_at = utcnow()

    @property
    def session_marker(self) -> str:
        """Changes when the link is reissued, ending sessions of the old link."""
        return self.marker_of(self.token_hash)

    @staticmethod
    def marker_of(token_hash: str) -> str:
        return token_hash[:16]

    @classmethod
    def marker_column(cls):
        """:meth:`marker_of` in SQL (the same first 16 characters), for a statement that
        checks a session's claim without reading the expert first."""
        return func.substr(cls.token_hash, 1, 16)

    @classmethod
    def by_token(cls, token: str) -> "Expert | None":
        return db.session.scalar(select(cls).where(cls.token_hash == hash_token(token)))


Index("ix_expert_study_id_email", Expert.study_id, Expert.email)
