"""Studies, their indicator trees and their panels."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    Rating,
    Response,
    Round,
    Study,
    StudyStatus,
    User,
)
from webapp.services import audit
from webapp.services.hierarchy_io import HierarchyError, ParsedNode


class StudyError(ValueError):
    """A refused change to a study; the message is shown to the coordinator."""


def studies_of(user: User) -> list[Study]:
    return list(db.session.scalars(
        select(Study).where(Study.owner_id == user.id).order_by(Study.created_at.desc())))


def owned_study(user: User, study_id: int) -> Study | None:
    """The study if ``user`` owns it; None otherwise (the view answers 404)."""
    return db.session.scalar(select(Study).where(Study.id == study_id, Study.owner_id == user.id))


def create_study(owner: User, *, title: str, description: str = "", default_locale: str = "zh") -> Study:
    study = Study(owner=owner, title=title.strip(), description=description, default_locale=default_locale,
                  status=StudyStatus.draft)
    db.session.add(study)
    db.session.flush()
    audit.record("study.create", study=study, target=f"study:{study.id}")
    return study


def has_answers(study: Study) -> bool:
    return db.session.scalar(select(exists().where(
        Rating.response_id == Response.id, Response.round_id == Round.id, Round.study_id == study.id)))


def import_hierarchy(study: Study, root: ParsedNode) -> int:
    """Replace the study's indicator tree. Refused once any round has answers."""
    if has_answers(study):
        raise HierarchyError(_("The hierarchy cannot be replaced: a round already has answers."))
    if any(r.items for r in study.rounds):
        raise HierarchyError(_("The hierarchy cannot be replaced while rounds refer to it; "
                               "delete the draft rounds first."))
    for node in list(study.nodes):
        if node.parent_id is None:
            db.session.delete(node)  # children cascade
    db.session.flush()
    study.nodes.clear()
    count = 0

    def add(parsed: ParsedNode, parent: Node | None, position: int) -> None:
        nonlocal count
        node = Node(study=study, parent=parent, code=parsed.code, name_zh=parsed.name_zh,
                    name_en=parsed.name_en, description_zh=parsed.description_zh,
                    description_en=parsed.description_en, position=position)
        db.session.add(node)
        count += 1
        for i, child in enumerate(parsed.children):
            add(child, node, i)

    add(root, None, 0)
    db.session.flush()
    audit.record("hierarchy.import", study=study, details={"nodes": count, "root": root.code})
    return count


def next_pseudonym(study: Study) -> str:
    """E01, E02 … (E100 after E99); never reuses a pseudonym within a study."""
    existing = db.session.scalars(select(Expert.pseudonym).where(Expert.study_id == study.id)).all()
    numbers = [int(p[1:]) for p in existing if p.startswith("E") and p[1:].isdigit()]
    n = max(numbers, default=0) + 1
    return f"E{n:02d}"


@dataclass
class Invitation:
    expert: Expert
    token: str


def add_expert(study: Study, *, name: str = "", email: str | None = None, organisation: str = "",
               pseudonym: str | None = None, **profile) -> Invitation:
    expert = Expert(study=study, pseudonym=pseudonym or next_pseudonym(study), name=name.strip(),
                    email=(email or "").strip() or None, organisation=organisation.strip(), **profile)
    token = expert.issue_token()
    db.session.add(expert)
    db.session.flush()
    audit.record("expert.invite", study=study, target=f"expert:{expert.pseudonym}")
    return Invitation(expert, token)


def reissue_link(expert: Expert) -> str:
    token = expert.issue_token()
    audit.record("expert.reissue_link", study=expert.study, target=f"expert:{expert.pseudonym}")
    return token


def revoke_link(expert: Expert) -> None:
    expert.revoke()
    audit.record("expert.revoke_link", study=expert.study, target=f"expert:{expert.pseudonym}")


def node_count(study: Study) -> int:
    return db.session.scalar(select(func.count(Node.id)).where(Node.study_id == study.id))
