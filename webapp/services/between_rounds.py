"""Between rounds: decisions per indicator, experts' proposals, the stopping rule, the next round.

Services flush; the caller commits.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    ItemDecision,
    Node,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Round,
    RoundItem,
    RoundStatus,
    Study,
)
from webapp.services import audit, round_settings
from webapp.services.round_lifecycle import RoundError, create_round, open_round_of
from webapp.services.round_scope import consensus_node_ids, next_round_nodes
from webapp.services.tree import dropped_ids, node_depths, tree_order


def set_item_decision(item: RoundItem, decision: str | None, note: str = "") -> None:
    if item.round.status is not RoundStatus.closed:
        raise RoundError(_("Decide about indicators once the round is closed."))
    item.decision = ItemDecision(decision) if decision else None
    item.decision_note = (note or "").strip()
    audit.record("round.item_decision", study=item.round.study, target=f"round:{item.round.number}",
                 details={"node": item.node.code, "decision": decision})


def accept_proposal(proposal: Proposal, *, code: str, name_zh: str, name_en: str, parent: Node,
                    description_zh: str = "", description_en: str = "") -> Node:
    """Add a proposed indicator to the hierarchy; the next round asks about it."""
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    if parent.study_id != proposal.round.study_id:
        raise RoundError(_("An indicator of another study was given."))
    code = code.strip()
    if not code or db.session.scalar(select(Node.id).where(Node.study_id == parent.study_id, Node.code == code)):
        raise RoundError(_("The code %(code)s is empty or already used.", code=code))
    position = (db.session.scalar(select(func.max(Node.position)).where(Node.parent_id == parent.id)) or 0) + 1
    node = Node(study_id=parent.study_id, parent=parent, code=code, name_zh=name_zh.strip(),
                name_en=name_en.strip(), description_zh=description_zh, description_en=description_en,
                position=position)
    db.session.add(node)
    db.session.flush()
    proposal.status = ProposalStatus.accepted
    proposal.created_node_id = node.id
    audit.record("proposal.accept", study=parent.study, target=f"node:{code}")
    return node


def reject_proposal(proposal: Proposal) -> None:
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    proposal.status = ProposalStatus.rejected
    audit.record("proposal.reject", study=proposal.round.study, target=f"proposal:{proposal.id}")


def set_item_decisions(rnd: Round, decisions: dict[int, tuple[str | None, str]]) -> int:
    """Keep / drop / reword for several items of a closed round at once; returns how many changed."""
    if rnd.status is not RoundStatus.closed:
        raise RoundError(_("Decide about indicators once the round is closed."))
    items = {item.id: item for item in rnd.items}
    if set(decisions) - set(items):
        raise RoundError(_("An indicator of another round was given."))
    changed = 0
    for item_id, (decision, note) in decisions.items():
        item = items[item_id]
        if decision and decision not in {d.value for d in ItemDecision}:
            raise RoundError(_("Unknown decision."))
        current = item.decision.value if item.decision else None
        if current == (decision or None) and (item.decision_note or "") == (note or "").strip():
            continue
        set_item_decision(item, decision, note)
        changed += 1
    db.session.flush()
    return changed


def proposal_of(rnd: Round, proposal_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id, Proposal.round_id == rnd.id))


def accept_change_proposal(proposal: Proposal) -> None:
    """Accept a proposal to drop, reword or merge an indicator.

    Drop and reword become the decision on that indicator in this round (the
    note keeps the expert's text); a merge is recorded as accepted, and the
    coordinator merges the indicators in the indicator system.
    """
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    if proposal.kind is ProposalKind.add:
        raise RoundError(_("A new indicator needs a code, a name and a place in the hierarchy."))
    rnd = proposal.round
    if proposal.kind in (ProposalKind.drop, ProposalKind.reword) and proposal.node_id is not None:
        item = next((i for i in rnd.items if i.node_id == proposal.node_id), None)
        if item is not None:
            set_item_decision(item, proposal.kind.value, proposal.text)
    proposal.status = ProposalStatus.accepted
    db.session.flush()
    audit.record("proposal.accept", study=rnd.study, target=f"proposal:{proposal.id}",
                 details={"kind": proposal.kind.value})


def suggest_code(parent: Node) -> str:
    """A free code for a new child of ``parent``: A1.5 after A1.1–A1.4, E after A–D."""
    taken = set(db.session.scalars(select(Node.code).where(Node.study_id == parent.study_id)))
    children = [c.code for c in parent.children]
    numbered = [re.fullmatch(re.escape(parent.code) + r"([.\-_]?)(\d+)", c) for c in children]
    candidate = None
    if children and all(numbered):
        sep = numbered[-1].group(1)
        n = max(int(m.group(2)) for m in numbered) + 1
        while f"{parent.code}{sep}{n}" in taken:
            n += 1
        candidate = f"{parent.code}{sep}{n}"
    elif children and all(len(c) == 1 and c.isalpha() and c.isupper() for c in children):
        letter = max(children)
        while letter < "Z":
            letter = chr(ord(letter) + 1)
            if letter not in taken:
                candidate = letter
                break
    if candidate is None:
        base = parent.code if parent.parent_id is not None else "N"
        n = len(children) + 1
        while f"{base}.{n}" in taken:
            n += 1
        candidate = f"{base}.{n}"
    return candidate


def set_stopping_rule(study: Study, *, max_rounds: int, stability_alpha: float) -> None:
    """The round limit and the level of the between-round stability test (refused while a
    round is open: the open round has frozen them)."""
    busy = open_round_of(study)
    if busy is not None:
        raise RoundError(_("Round %(n)s is open and uses the current settings: close it first. "
                           "A change applies to the rounds opened after it.", n=busy.number))
    if not (1 <= max_rounds <= 20):
        raise RoundError(_("The round limit must be between 1 and 20."))
    if not (0 < stability_alpha < 1):
        raise RoundError(_("The stability level α must lie between 0 and 1 (e.g. 0.05)."))
    study.max_rounds = int(max_rounds)
    study.stability_alpha = float(stability_alpha)
    db.session.flush()
    audit.record("study.stopping_rule", study=study,
                 details={"max_rounds": study.max_rounds, "stability_alpha": study.stability_alpha})


NEXT_ROUND_SETTINGS = ("instructions", "scale_min", "scale_max", "rated_level", "allow_comments",
                       "allow_proposals", "allow_no_opinion", "drop_consensus_items", "reminder_hours")


def create_next_round(previous: Round, *, now: datetime | None = None) -> Round:
    """A draft of the next round with the previous round's settings, asking what it leaves."""
    if previous.status is not RoundStatus.closed:
        raise RoundError(_("Close the round before preparing the next one."))
    later = db.session.scalar(select(Round.number).where(Round.study_id == previous.study_id,
                                                         Round.number > previous.number).limit(1))
    if later is not None:
        raise RoundError(_("Round %(n)s already follows this round.", n=later))
    settings = {key: getattr(previous, key) for key in NEXT_ROUND_SETTINGS}
    settings["prefill_answers"] = round_settings.settings_of(previous).prefill_answers
    drop = bool(settings.pop("drop_consensus_items"))
    level = settings.pop("rated_level")
    if drop:
        consensus_node_ids(previous)  # refuse with a clear message if it cannot be computed
    nodes = next_round_nodes(previous.study, previous, drop_consensus=drop, rated_level=level)
    return create_round(previous.study, nodes=nodes, now=now, rated_level=level,
                        drop_consensus_items=drop, **settings)


def parent_options(rnd: Round) -> list[tuple[Node, int]]:
    """Where an accepted new indicator may go: (node, depth) in tree order.

    For a round of one level only, the parents one level up, so that the next
    round (same level) asks about the new indicator.
    """
    depths = node_depths(rnd.study)
    dropped = dropped_ids(rnd.study)
    options = [(n, depths[n.id]) for n in tree_order(rnd.study) if n.id not in dropped]
    if rnd.rated_level is not None:
        options = [(n, d) for n, d in options if d == rnd.rated_level - 1]
    return options
