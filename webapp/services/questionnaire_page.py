"""The open questionnaire page's reads as plain rows (issue 16: the page under 20 ms).

The page shows 63 items, their 64 indicators and up to 63 of the expert's answers; loaded as
ORM objects (``Round.items``, ``tree.tree_order``, ``Response.ratings``) they cost more than
all the page's other statements together. Here each is one statement of plain columns, in
the same orders and with the same rules as the ORM readers they stand in for
(``tree.tree_order``, ``questionnaire.sections``, ``questionnaire.progress``,
``questionnaire.proposal_targets``); nothing is cached between requests.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Node, NodeStatus, Rating, Response, Round, RoundItem
from webapp.services import tree
from webapp.services.questionnaire import Progress, Section, level_label


class NodeRow(NamedTuple):
    """An indicator's columns the page shows (duck-types ``Node`` for names and codes)."""

    id: int
    parent_id: int | None
    code: str
    name_zh: str | None
    name_en: str | None
    description_zh: str | None
    description_en: str | None
    position: int
    status: NodeStatus

    def name(self, locale: str) -> str:
        primary, fallback = (self.name_zh, self.name_en) if locale == "zh" else (self.name_en, self.name_zh)
        return primary or fallback

    def description(self, locale: str) -> str:
        primary, fallback = ((self.description_zh, self.description_en) if locale == "zh"
                             else (self.description_en, self.description_zh))
        return primary or fallback


class AnswerRow(NamedTuple):
    """One stored answer of the expert (duck-types ``Rating`` for ``forms.expert.initial_data``)."""

    node_id: int
    value: int | None
    no_opinion: bool
    comment: str | None
    reason: str | None


class AskedItem(NamedTuple):
    """One item as the round asked it (duck-types ``RoundItem`` for the read-only answers page)."""

    node_id: int
    node: NodeRow
    asked_name_zh: str | None
    asked_name_en: str | None

    def asked_name(self, locale: str) -> str:
        """``RoundItem.asked_name``: the wording kept at open, else the indicator's."""
        keep = self.asked_name_zh is not None or self.asked_name_en is not None
        zh, en = (self.asked_name_zh, self.asked_name_en) if keep else (self.node.name_zh, self.node.name_en)
        return (zh or en) if locale == "zh" else (en or zh)


def tree_rows(study_id: int) -> list[NodeRow]:
    """The study's indicators in ``tree.tree_order``'s order (depth first, siblings by position
    then code, the goal first), one statement."""
    rows = [NodeRow(*r) for r in db.session.execute(select(
        Node.id, Node.parent_id, Node.code, Node.name_zh, Node.name_en, Node.description_zh,
        Node.description_en, Node.position, Node.status).where(Node.study_id == study_id))]
    children: dict[int | None, list[NodeRow]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n.position, n.code))
    ordered: list[NodeRow] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.get(row.id, [])))
    return ordered


def item_node_ids(rnd: Round) -> list[int]:
    """The indicators the round asks about, in ``Round.items``' order (by position)."""
    return list(db.session.scalars(select(RoundItem.node_id).where(RoundItem.round_id == rnd.id)
                                   .order_by(RoundItem.position)))


def own_answers(response: Response | None) -> dict[int, AnswerRow]:
    """The expert's stored answers in this response by node id (``questionnaire.own_ratings``)."""
    if response is None:
        return {}
    return {row[0]: AnswerRow(*row) for row in db.session.execute(select(
        Rating.node_id, Rating.value, Rating.no_opinion, Rating.comment, Rating.reason)
        .where(Rating.response_id == response.id))}


def page_sections(node_ids: list[int], ordered: list[NodeRow]) -> list[Section]:
    """``questionnaire.sections`` from plain rows: the items in runs that share a parent."""
    by_id = {row.id: row for row in ordered}
    depths = tree.depths_of(ordered)
    levels: dict[int, str] = {}   # each level's heading translated once
    result: list[Section] = []
    for node_id in node_ids:
        node = by_id[node_id]
        parent = by_id.get(node.parent_id)
        if result and result[-1].parent is parent:
            result[-1].nodes.append(node)
            continue
        depth = depths.get(node_id, 1)
        if depth not in levels:
            levels[depth] = level_label(depth)
        result.append(Section(parent=parent, level=levels[depth],
                              is_goal=parent is None or parent.parent_id is None, items=[], nodes=[node]))
    return result


def answer_sections(rnd: Round, ordered: list[NodeRow]) -> list[Section]:
    """``questionnaire.sections`` from plain rows for the read-only answers page: each section's
    ``items`` are :class:`AskedItem` (the round's wording), read in one statement."""
    asked = db.session.execute(select(RoundItem.node_id, RoundItem.asked_name_zh, RoundItem.asked_name_en)
                               .where(RoundItem.round_id == rnd.id).order_by(RoundItem.position)).all()
    by_id = {row.id: row for row in ordered}
    sections = page_sections([node_id for node_id, _zh, _en in asked], ordered)
    items = iter(AskedItem(node_id, by_id[node_id], zh, en) for node_id, zh, en in asked)
    for section in sections:
        section.items = [next(items) for _node in section.nodes]
    return sections


def page_targets(ordered: list[NodeRow]) -> list[tuple[NodeRow, int]]:
    """``questionnaire.proposal_targets`` from plain rows: active indicators with their depth."""
    depths = tree.depths_of(ordered)
    return [(row, depths[row.id]) for row in ordered if row.status is NodeStatus.active]


def page_progress(response: Response | None, node_ids: list[int], answers: dict[int, AnswerRow]) -> Progress:
    """``questionnaire.progress`` of a Delphi round from plain rows."""
    answered = {node_id for node_id, a in answers.items() if a.value is not None or a.no_opinion}
    missing = sum(1 for node_id in node_ids if node_id not in answered)
    return Progress(answered=len(node_ids) - missing, total=len(node_ids),
                    submitted=bool(response is not None and response.is_submitted),
                    started=bool(response is not None and answers))
