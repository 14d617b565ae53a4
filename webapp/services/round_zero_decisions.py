"""Round 0, the coordinator's side: the experts' proposals grouped (by the indicator they
concern, new indicators by where they belong, general comments), anonymised by
pseudonym, and the decisions that turn them into the indicator system — accept
(a new indicator is added; a reword renames; a drop or a merge drops the indicator),
merge duplicates (decided with the proposal they join), or reject with a note.

Decisions are taken once round 0 is closed and before round 1 opens; round 1, created as
usual, then asks about the indicators as they stand. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    Node,
    NodeStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Round,
    RoundKind,
    RoundStatus,
)
from webapp.services import audit, between_rounds
from webapp.services.round_lifecycle import RoundError
from webapp.services.tree import dropped_ids, node_depths, tree_order


@dataclass
class ProposalGroup:
    key: str                      # "node" (changes to one indicator), "new" (under one parent), "comments"
    node: Node | None             # the indicator concerned, or the parent of new indicators
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(p.status is ProposalStatus.pending for p in self.proposals)


def proposals_of(rnd: Round) -> list[Proposal]:
    return list(db.session.scalars(
        select(Proposal).where(Proposal.round_id == rnd.id)
        .options(selectinload(Proposal.expert), selectinload(Proposal.node), selectinload(Proposal.parent_node))
        .order_by(Proposal.id)))


def grouped_proposals(rnd: Round) -> list[ProposalGroup]:
    """Changes to existing indicators (one group per indicator, in tree order), then new
    indicators (one group per parent, in tree order), then general comments."""
    proposals = proposals_of(rnd)
    rank = {node.id: i for i, node in enumerate(tree_order(rnd.study))}
    changes: dict[int | None, ProposalGroup] = {}
    new: dict[int | None, ProposalGroup] = {}
    comments = ProposalGroup("comments", None)
    for p in proposals:
        if p.kind is ProposalKind.comment:
            comments.proposals.append(p)
        elif p.kind is ProposalKind.add:
            new.setdefault(p.parent_node_id, ProposalGroup("new", p.parent_node)).proposals.append(p)
        else:
            changes.setdefault(p.node_id, ProposalGroup("node", p.node)).proposals.append(p)

    def order(group: ProposalGroup):
        return rank.get(group.node.id, len(rank)) if group.node is not None else len(rank) + 1

    groups = sorted(changes.values(), key=order) + sorted(new.values(), key=order)
    return groups + ([comments] if comments.proposals else [])


def parent_options(study) -> list[tuple[Node, int]]:
    """Where an accepted new indicator may go: every active node (the goal included), in tree order."""
    depths = node_depths(study)
    dropped = dropped_ids(study)
    return [(n, depths[n.id]) for n in tree_order(study) if n.id not in dropped]


def _decidable(proposal: Proposal) -> Round:
    rnd = proposal.round
    if rnd.kind is not RoundKind.proposals:
        raise RoundError(_("This is not a proposal of round 0."))
    if rnd.status is not RoundStatus.closed:
        raise RoundError(_("Decide about the proposals once round 0 is closed."))
    later = db.session.scalar(select(Round.number).where(
        Round.study_id == rnd.study_id, Round.number > 0, Round.status != RoundStatus.draft).limit(1))
    if later is not None:
        raise RoundError(_("Round %(n)s has opened: the proposals of round 0 can no longer change the "
                           "indicator system.", n=later))
    if proposal.status is not ProposalStatus.pending:
        raise RoundError(_("This proposal was already decided."))
    if proposal.kind is ProposalKind.comment:
        raise RoundError(_("A general comment is read, not decided."))
    return rnd


def duplicates_of(proposal: Proposal) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(Proposal.merged_into_id == proposal.id)
                                   .order_by(Proposal.id)))


def _settle_duplicates(proposal: Proposal, created_node_id: int | None = None) -> None:
    for dup in duplicates_of(proposal):
        dup.created_node_id = created_node_id


def accept_new(proposal: Proposal, *, code: str, name_zh: str, name_en: str, parent: Node,
               description_zh: str = "", description_en: str = "") -> Node:
    """Add the proposed indicator under ``parent`` (the names as the coordinator settled them)."""
    _decidable(proposal)
    if proposal.kind is not ProposalKind.add:
        raise RoundError(_("Only a proposed new indicator is added this way."))
    if parent.status is NodeStatus.dropped:
        raise RoundError(_("A new indicator cannot go under a dropped one."))
    if not (name_zh or "").strip() and not (name_en or "").strip():
        raise RoundError(_("Give the new indicator a name (Chinese or English)."))
    node = between_rounds.accept_proposal(proposal, code=code, name_zh=name_zh, name_en=name_en, parent=parent,
                                          description_zh=description_zh, description_en=description_en)
    _settle_duplicates(proposal, node.id)
    db.session.flush()
    return node


def accept_change(proposal: Proposal, *, name_zh: str = "", name_en: str = "") -> Node:
    """Apply a proposed change to its indicator: a reword renames it (``name_zh`` /
    ``name_en``), a drop or a merge (it joins the indicator named in the proposal) drops it."""
    rnd = _decidable(proposal)
    node = proposal.node
    if proposal.kind is ProposalKind.add or node is None:
        raise RoundError(_("This proposal names no indicator of the study."))
    if proposal.kind is ProposalKind.reword:
        name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
        if not name_zh and not name_en:
            raise RoundError(_("Give the new wording (Chinese or English)."))
        if len(name_zh) > 300 or len(name_en) > 300:
            raise RoundError(_("A name can have at most %(n)s characters.", n=300))
        old = {"name_zh": node.name_zh, "name_en": node.name_en}
        node.name_zh = name_zh or node.name_zh
        node.name_en = name_en or node.name_en
        details = {"node": node.code, "old": old, "new": {"name_zh": node.name_zh, "name_en": node.name_en}}
    else:
        node.status = NodeStatus.dropped
        details = {"node": node.code, "dropped": True}
    proposal.status = ProposalStatus.accepted
    _settle_duplicates(proposal)
    db.session.flush()
    audit.record("proposal.accept", study=rnd.study, target=f"proposal:{proposal.id}",
                 details={"kind": proposal.kind.value} | details)
    return node


def merge_duplicate(proposal: Proposal, into: Proposal) -> None:
    """``proposal`` says the same as ``into``: it is decided with it (and its text helps
    the coordinator word the accepted indicator, e.g. in the other language)."""
    rnd = _decidable(proposal)
    if into.round_id != rnd.id or into.id == proposal.id:
        raise RoundError(_("Merge a proposal with another proposal of the same round."))
    _decidable(into)
    if (into.kind is ProposalKind.add) != (proposal.kind is ProposalKind.add):
        raise RoundError(_("A new indicator merges only with another new indicator, a change only with a change."))
    for dup in duplicates_of(proposal):  # its own duplicates follow it
        dup.merged_into_id = into.id
    proposal.status = ProposalStatus.merged
    proposal.merged_into_id = into.id
    db.session.flush()
    audit.record("proposal.merge", study=rnd.study, target=f"proposal:{proposal.id}",
                 details={"into": into.id})


def reject(proposal: Proposal, note: str = "") -> None:
    rnd = _decidable(proposal)
    note = (note or "").strip()
    if len(note) > 4000:
        raise RoundError(_("A note can have at most %(n)s characters.", n=4000))
    proposal.status = ProposalStatus.rejected
    proposal.decision_note = note
    db.session.flush()
    audit.record("proposal.reject", study=rnd.study, target=f"proposal:{proposal.id}")


def proposal_in(rnd: Round, proposal_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id, Proposal.round_id == rnd.id))
