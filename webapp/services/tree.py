"""The study's indicator tree in the orders the pages and questionnaires use, and which
indicators are still in the study (:func:`dropped_ids`).

One query per call for the whole tree (no lazy ``Node.children`` walk).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from webapp.extensions import db
from webapp.models import ItemDecision, Node, NodeStatus, Round, RoundItem, RoundKind, RoundStatus, Study


def _load(study: Study) -> dict[int | None, list[Node]]:
    """All nodes of the study in one query, each node's ``children`` and ``parent`` filled in
    as loaded values, so walking the tree afterwards (templates too) runs no further query."""
    nodes = db.session.scalars(select(Node).where(Node.study_id == study.id)).all()
    by_id = {node.id: node for node in nodes}
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n.position, n.code))
    for node in nodes:
        set_committed_value(node, "children", list(children.get(node.id, [])))
        set_committed_value(node, "parent", by_id.get(node.parent_id))
    return children


def load_tree(study: Study) -> Node | None:
    """The study's goal with the whole tree below it loaded (one query)."""
    roots = _load(study).get(None, [])
    return roots[0] if roots else None


def children_by_id(study: Study) -> dict[int | None, list[Node]]:
    """Each node's children by parent id (``None``: the goal), siblings in order; one query.
    Pages walk this map rather than ``Node.children``, which loads lazily node by node."""
    return _load(study)


def tree_order(study: Study) -> list[Node]:
    """Every node of the study, depth first, siblings by position (the root first)."""
    children = _load(study)
    ordered: list[Node] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return ordered


def node_depths(study: Study) -> dict[int, int]:
    """Depth of every node by id: 0 for the goal, 1 for the first-level indicators, …"""
    return depths_of(tree_order(study))


def depths_of(ordered: list[Node]) -> dict[int, int]:
    """:func:`node_depths` of nodes already in :func:`tree_order` (no query)."""
    depths: dict[int, int] = {}
    for node in ordered:  # parents come before children
        depths[node.id] = 0 if node.parent_id is None else depths[node.parent_id] + 1
    return depths


def questionnaire_order(study: Study) -> list[Node]:
    """Level by level, as Chinese Delphi questionnaires are laid out: the first-level
    indicators, then the second-level ones grouped under their parents, and so on."""
    depths = node_depths(study)
    ordered = tree_order(study)
    rank = {node.id: i for i, node in enumerate(ordered)}
    return sorted(ordered, key=lambda n: (depths[n.id], rank[n.id]))


def rateable_nodes(study: Study, rated_level: int | None = None) -> list[Node]:
    """Active indicators below the goal, optionally of one level only (1 = first-level)."""
    depths = node_depths(study)
    dropped = dropped_ids(study)
    return [n for n in questionnaire_order(study)
            if n.parent_id is not None and n.id not in dropped
            and (rated_level is None or depths[n.id] == rated_level)]


def delphi_dropped_ids(study: Study, *, upto: int | None = None) -> set[int]:
    """Indicators the coordinator dropped between Delphi rounds: those whose last closed
    Delphi round that asked about them (numbered ``upto`` or less, when given) decided "drop".
    A later round that asks about one again (and does not drop it) brings it back."""
    query = (select(RoundItem.node_id, RoundItem.decision).join(Round, RoundItem.round_id == Round.id)
             .where(Round.study_id == study.id, Round.kind == RoundKind.delphi,
                    Round.status == RoundStatus.closed)
             .order_by(Round.number))
    if upto is not None:
        query = query.where(Round.number <= upto)
    last: dict[int, ItemDecision | None] = {}
    for node_id, decision in db.session.execute(query):
        last[node_id] = decision
    return {node_id for node_id, decision in last.items() if decision is ItemDecision.drop}


def dropped_ids(study: Study, *, upto: int | None = None) -> set[int]:
    """The indicators no longer in the study, and everything below them: dropped in the
    indicator system, or by the decisions of the closed Delphi rounds (see
    :func:`delphi_dropped_ids`; ``upto``: as they stood after round ``upto``). The nodes
    themselves stay, so earlier rounds still show what they asked. Every consumer (Delphi
    scopes, AHP/G1/BWM blocks, published weights) asks here."""
    dropped = delphi_dropped_ids(study, upto=upto)
    for node in tree_order(study):
        if node.status is NodeStatus.dropped or node.parent_id in dropped:
            dropped.add(node.id)
    return dropped
