"""Which indicators a Delphi round asks about.

Round 1 asks about every rateable indicator (or one level); from round 2, what
the last closed round leaves: its items not dropped (and, when asked, not in
consensus) plus indicators added since. In the coordinator's pages this choice
is a "scope": what the previous round leaves ("carry", round 2 on), every
indicator below the goal ("all"), or one level ("1", "2", "3"). The scope itself
is not stored: it is read back from the round's level and items
(:func:`round_scope`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ItemDecision, Node, Proposal, ProposalStatus, Round, RoundItem, Study, StudyStatus, utcnow
from webapp.services.delphi_items import round_report
from webapp.services.round_lifecycle import (
    RoundError,
    busy_round,
    check_settings,
    create_round,
    latest_closed_round,
    set_round_items,
    update_round,
)
from webapp.services.tree import dropped_ids, questionnaire_order, rateable_nodes


def create_delphi_round(study: Study, *, nodes: list[Node] | None = None, now: datetime | None = None,
                        **settings) -> Round:
    """A new draft Delphi round. Without ``nodes`` it asks about every rateable
    indicator in round 1, and from round 2 about what the last closed round
    leaves (see :func:`next_round_nodes`)."""
    if nodes is None:
        previous = latest_closed_round(study)
        level = settings.get("rated_level")
        nodes = (next_round_nodes(study, previous, drop_consensus=settings.get("drop_consensus_items", False),
                                  rated_level=level)
                 if previous is not None else rateable_nodes(study, level))
    return create_round(study, nodes=nodes, now=now, **settings)


def next_round_nodes(study: Study, previous: Round, *, drop_consensus: bool = False,
                     rated_level: int | None = None) -> list[Node]:
    """What round k+1 asks: round k's items that were not dropped (and, when
    ``drop_consensus``, that did not reach consensus), plus the indicators created
    from accepted proposals and never asked yet, in questionnaire order. Indicators
    no round has asked (e.g. the levels below a first-level round) are not new: the
    coordinator adds them to the draft if wanted."""
    dropped = dropped_ids(study)
    reached: set[int] = set()
    if drop_consensus:
        reached = consensus_node_ids(previous)
    carried = {item.node_id for item in previous.items
               if item.decision is not ItemDecision.drop and item.node_id not in dropped
               and item.node_id not in reached}
    ever_asked = set(db.session.scalars(
        select(RoundItem.node_id).join(Round).where(Round.study_id == study.id)))
    proposed = set(db.session.scalars(
        select(Proposal.created_node_id).join(Round, Proposal.round_id == Round.id)
        .where(Round.study_id == study.id, Proposal.status == ProposalStatus.accepted,
               Proposal.created_node_id.is_not(None))))
    new = {n.id for n in rateable_nodes(study, rated_level) if n.id in proposed and n.id not in ever_asked}
    wanted = carried | new
    return [n for n in questionnaire_order(study) if n.id in wanted]


ROUND_SCOPES = ("carry", "all", "1", "2", "3")


def consensus_node_ids(previous: Round) -> set[int]:
    """The indicators that reached consensus in ``previous`` (by its own frozen rule)."""
    try:
        report = round_report(previous)
    except ValueError as exc:  # e.g. a consensus rule written for another scale
        raise RoundError(_("The consensus results of round %(n)s cannot be computed: %(why)s",
                           n=previous.number, why=str(exc))) from exc
    return {item.node.id for item in report.items if item.consensus}


def scope_nodes(study: Study, scope: str, *, drop_consensus: bool = False) -> tuple[list[Node], int | None]:
    """The indicators a scope asks about, in questionnaire order, and the level it stores."""
    if scope not in ROUND_SCOPES:
        raise RoundError(_("Choose which indicators the round asks about."))
    previous = latest_closed_round(study)
    if scope == "carry":
        if previous is None:
            return rateable_nodes(study), None
        try:
            return (next_round_nodes(study, previous, drop_consensus=drop_consensus,
                                     rated_level=previous.rated_level), previous.rated_level)
        except ValueError as exc:
            if isinstance(exc, RoundError):
                raise
            raise RoundError(_("The consensus results of round %(n)s cannot be computed: %(why)s",
                               n=previous.number, why=str(exc))) from exc
    level = None if scope == "all" else int(scope)
    nodes = rateable_nodes(study, level)
    if drop_consensus and previous is not None:
        reached = consensus_node_ids(previous)
        nodes = [n for n in nodes if n.id not in reached]
    return nodes, level


def round_scope(rnd: Round) -> str:
    """The scope a draft round was made with, read back from its level and items."""
    previous = latest_closed_round(rnd.study, before=rnd)
    if previous is not None:
        items = {item.node_id for item in rnd.items}
        try:
            carried = {n.id for n in next_round_nodes(rnd.study, previous, drop_consensus=rnd.drop_consensus_items,
                                                      rated_level=previous.rated_level)}
        except ValueError:
            carried = set()
        if items and items <= carried and rnd.rated_level == previous.rated_level:
            return "carry"
    return "all" if rnd.rated_level is None else str(rnd.rated_level)


def create_round_in_scope(study: Study, scope: str, *, now: datetime | None = None, **settings) -> Round:
    """A new draft Delphi round asking about the indicators of ``scope``."""
    settings.pop("rated_level", None)
    if study.status is StudyStatus.finished:
        raise RoundError(_("The study is finished; it takes no new rounds."))
    busy = busy_round(study)
    if busy is not None:
        raise RoundError(_("Round %(n)s is not closed yet: close it (or delete the draft) first.", n=busy.number))
    check_settings(settings, now or utcnow())
    nodes, level = scope_nodes(study, scope, drop_consensus=bool(settings.get("drop_consensus_items")))
    return create_round(study, nodes=nodes, now=now, rated_level=level, **settings)


def update_round_in_scope(rnd: Round, scope: str, *, now: datetime | None = None, **settings) -> Round:
    """Change a draft's settings; a changed scope (or consensus setting) picks its items anew."""
    settings.pop("rated_level", None)
    old_scope, old_drop = round_scope(rnd), rnd.drop_consensus_items
    update_round(rnd, now=now, **settings)
    if scope != old_scope or rnd.drop_consensus_items != old_drop:
        nodes, level = scope_nodes(rnd.study, scope, drop_consensus=rnd.drop_consensus_items)
        if not nodes:
            raise RoundError(_("There are no indicators left to ask about."))
        update_round(rnd, now=now, rated_level=level)
        set_round_items(rnd, nodes)
    return rnd


def candidate_nodes(rnd: Round) -> list[Node]:
    """What the coordinator may tick for a draft: every active indicator of the round's level."""
    candidates = rateable_nodes(rnd.study, rnd.rated_level)
    known = {n.id for n in candidates}
    extra = {item.node_id for item in rnd.items if item.node_id not in known}
    if extra:
        candidates = [n for n in questionnaire_order(rnd.study) if n.id in known | extra]
    return candidates


def set_round_items_by_ids(rnd: Round, node_ids: Iterable[int]) -> list[Node]:
    """Keep exactly the ticked indicators (ids from :func:`candidate_nodes`), in questionnaire order."""
    wanted = set(node_ids)
    candidates = candidate_nodes(rnd)
    if wanted - {n.id for n in candidates}:
        raise RoundError(_("An indicator of another study was given."))
    nodes = [n for n in candidates if n.id in wanted]
    set_round_items(rnd, nodes)
    return nodes
