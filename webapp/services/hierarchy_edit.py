"""Editing a study's indicator tree in the browser: add, rename, move, reorder, delete.

Every change is refused once any round of the study has answers (the tree is
then what the experts rated), and the goal (root) can be neither moved nor
deleted. Codes are unique per study: checked here for a friendly message, and
by the database (``UniqueConstraint(study_id, code)``) for the rest.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Judgment, Node, Response, Round, RoundItem, RoundStatus, Study
from webapp.services import audit, hierarchy_io, studies
from webapp.services.hierarchy_io import MAX_CODE, MAX_DEPTH, MAX_NODES, HierarchyError


# --- reading ---------------------------------------------------------------------------

def node_of(study: Study, node_id: int) -> Node | None:
    """The node if it belongs to ``study``; None otherwise (the view answers 404)."""
    return db.session.scalar(select(Node).where(Node.id == node_id, Node.study_id == study.id))


def children_of(node: Node) -> list[Node]:
    return sorted(node.children, key=lambda child: (child.position, child.id or 0))


def walk(node: Node, depth: int = 0):
    """(node, depth) for the subtree, in display order."""
    yield node, depth
    for child in children_of(node):
        yield from walk(child, depth + 1)


def subtree_ids(node: Node) -> set[int]:
    return {n.id for n, _depth in walk(node)}


def level_counts(study: Study) -> list[int]:
    """Number of indicators per level: [1 goal, first-level, second-level, ...]."""
    counts: list[int] = []
    root = study.root
    if root is None:
        return counts
    for _node, depth in walk(root):
        while len(counts) <= depth:
            counts.append(0)
        counts[depth] += 1
    return counts


def level_label(depth: int) -> str:
    labels = {0: _("Goal"), 1: _("First-level indicator"), 2: _("Second-level indicator"),
              3: _("Third-level indicator")}
    return labels.get(depth, _("Level %(n)s indicator", n=depth))


def is_locked(study: Study) -> bool:
    """True once any round has answers (ratings or pairwise judgments)."""
    if studies.has_answers(study):
        return True
    return bool(db.session.scalar(select(exists().where(
        Judgment.response_id == Response.id, Response.round_id == Round.id, Round.study_id == study.id))))


def check_editable(study: Study) -> None:
    if is_locked(study):
        raise HierarchyError(_("The indicator system can no longer change: a round of this study "
                               "already has answers."))


def suggest_code(parent: Node) -> str:
    """A likely code for a new child: A1.3 → A1.4, A4 → A5, C → D; else parent.1."""
    taken = {code for code in db.session.scalars(select(Node.code).where(Node.study_id == parent.study_id))}
    children = children_of(parent)
    candidates = []
    if children:
        last = children[-1].code
        match = re.match(r"^(.*?)(\d+)$", last)
        if match:
            prefix, number = match.groups()
            candidates.append(f"{prefix}{int(number) + 1:0{len(number)}d}")
        elif re.match(r"^[A-Y]$", last):
            candidates.append(chr(ord(last) + 1))
    separator = "." if re.search(r"\d$", parent.code) else ""
    candidates.append(f"{parent.code}{separator}{len(children) + 1}")
    if parent.parent_id is None:
        candidates.append(chr(ord("A") + len(children)) if len(children) < 26 else "")
    for code in candidates:
        if code and code not in taken and len(code) <= MAX_CODE:
            return code
    return ""


def parent_choices(node: Node | None, study: Study) -> list[tuple[Node, int]]:
    """Nodes that may become ``node``'s parent: all but its own subtree."""
    root = study.root
    if root is None:
        return []
    excluded = subtree_ids(node) if node is not None else set()
    return [(n, depth) for n, depth in walk(root) if n.id not in excluded]


# --- changing ----------------------------------------------------------------------------

def _clean(value: str | None) -> str:
    return (value or "").strip()


def _check_code(study: Study, code: str, node: Node | None = None) -> str:
    code = hierarchy_io.check_code(code)  # the importer's rules too
    other = db.session.scalar(select(Node).where(Node.study_id == study.id, Node.code == code))
    if other is not None and other is not node:
        raise HierarchyError(_("The code %(code)s is already used by the indicator “%(name)s”; "
                               "codes are unique within a study.", code=code, name=other.name_zh or other.name_en))
    return code


def _check_names(code: str, name_zh: str, name_en: str) -> None:
    hierarchy_io.check_names(code, name_zh, name_en)


def _flush_unique(code: str) -> None:
    """Flush; a duplicate code that slipped past the check (a parallel edit) gets the same message."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise HierarchyError(_("The code %(code)s is already used by another indicator; codes are "
                               "unique within a study.", code=code)) from exc


def _renumber(siblings: list[Node]) -> None:
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position


def add_child(parent: Node, *, code: str, name_zh: str = "", name_en: str = "",
              description_zh: str = "", description_en: str = "") -> Node:
    study = parent.study
    check_editable(study)
    if studies.node_count(study) >= MAX_NODES:
        raise HierarchyError(_("The hierarchy has more than %(n)s indicators.", n=MAX_NODES))
    if parent.depth + 1 > MAX_DEPTH:
        raise HierarchyError(_("%(where)s: the hierarchy is deeper than 10 levels.", where=parent.code))
    code = _check_code(study, code)
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    _check_names(code, name_zh, name_en)
    hierarchy_io.check_descriptions(code, _clean(description_zh), _clean(description_en))
    siblings = children_of(parent)
    _renumber(siblings)
    node = Node(study=study, parent=parent, code=code, name_zh=name_zh, name_en=name_en,
                description_zh=_clean(description_zh), description_en=_clean(description_en),
                position=len(siblings))
    db.session.add(node)
    _flush_unique(code)
    audit.record("hierarchy.add", study=study, target=f"node:{code}", details={"parent": parent.code})
    return node


def update_node(node: Node, *, code: str, name_zh: str = "", name_en: str = "",
                description_zh: str = "", description_en: str = "") -> None:
    """Rename: code, names and descriptions in both languages."""
    study = node.study
    check_editable(study)
    old_code = node.code
    code = _check_code(study, code, node)
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    _check_names(code, name_zh, name_en)
    hierarchy_io.check_descriptions(code, _clean(description_zh), _clean(description_en))
    node.code, node.name_zh, node.name_en = code, name_zh, name_en
    node.description_zh, node.description_en = _clean(description_zh), _clean(description_en)
    _flush_unique(code)
    audit.record("hierarchy.update", study=study, target=f"node:{code}",
                 details={"code": [old_code, code]} if old_code != code else None)


def move_node(node: Node, new_parent: Node) -> bool:
    """Give ``node`` (with its subtree) a new parent; it goes last among its new siblings."""
    study = node.study
    check_editable(study)
    if node.parent_id is None:
        raise HierarchyError(_("The goal (root) %(code)s cannot be moved.", code=node.code))
    if new_parent.study_id != study.id:
        raise HierarchyError(_("Unknown indicator."))
    if new_parent.id in subtree_ids(node):
        raise HierarchyError(_("Indicator %(code)s cannot move below itself or one of its own "
                               "sub-indicators (%(parent)s).", code=node.code, parent=new_parent.code))
    if new_parent.id == node.parent_id:
        return False
    depth_below = max(depth for _n, depth in walk(node))
    if new_parent.depth + 1 + depth_below > MAX_DEPTH:
        raise HierarchyError(_("%(where)s: the hierarchy is deeper than 10 levels.", where=node.code))
    old_parent = node.parent
    old_siblings = [s for s in children_of(old_parent) if s is not node]
    new_siblings = children_of(new_parent)
    node.parent = new_parent
    node.position = len(new_siblings)
    _renumber(old_siblings)
    _renumber(new_siblings + [node])
    db.session.flush()
    audit.record("hierarchy.move", study=study, target=f"node:{node.code}",
                 details={"from": old_parent.code, "to": new_parent.code})
    return True


def shift_node(node: Node, offset: int) -> bool:
    """Move ``node`` up (-1) or down (+1) among its siblings; False at either end."""
    study = node.study
    check_editable(study)
    if node.parent_id is None:
        raise HierarchyError(_("The goal (root) %(code)s cannot be moved.", code=node.code))
    siblings = children_of(node.parent)
    index = siblings.index(node)
    target = index + offset
    if not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    _renumber(siblings)
    db.session.flush()
    audit.record("hierarchy.reorder", study=study, target=f"node:{node.code}",
                 details={"position": target + 1})
    return True


def delete_node(node: Node) -> int:
    """Delete ``node`` and its sub-indicators; returns how many indicators went.

    Refused for the goal, and while an open or closed round asks about one of
    them; a draft round simply loses those items.
    """
    study = node.study
    check_editable(study)
    if node.parent_id is None:
        raise HierarchyError(_("The goal (root) %(code)s cannot be deleted; import another "
                               "hierarchy to replace the whole tree.", code=node.code))
    ids = subtree_ids(node)
    items = db.session.scalars(select(RoundItem).join(Round).where(
        RoundItem.node_id.in_(ids), Round.study_id == study.id)).all()
    used = sorted({item.round.number for item in items if item.round.status is not RoundStatus.draft})
    if used:
        raise HierarchyError(_("Indicator %(code)s cannot be deleted: round %(round)s asks about it.",
                               code=node.code, round=used[0]))
    for item in items:
        db.session.delete(item)
    parent = node.parent
    code = node.code
    siblings = [s for s in children_of(parent) if s is not node]
    parent.children.remove(node)  # delete-orphan: the node and its subtree go
    db.session.delete(node)
    _renumber(siblings)
    db.session.flush()
    audit.record("hierarchy.delete", study=study, target=f"node:{code}", details={"nodes": len(ids)})
    return len(ids)
