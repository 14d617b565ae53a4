"""What an expert sees of the previous round: the group's anonymous result beside their own answer.

No identities, and no order of comments that hints at who wrote them. Builds only
what the questionnaire shows (median, quartiles, counts per scale point,
comments) from the previous round's submitted answers, not the whole report.

Small panels: with one or two answers, the counts plus the expert's own answer
give away another expert's ratings. An indicator's group result is shown only
when at least ``min_feedback_respondents`` experts rated it (a setting of the
round, default 3); below that the expert sees "not enough answers to show the
group result". The same rule holds for a result restricted to one stakeholder
group (``group=``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import delphi
from webapp.extensions import db
from webapp.models import Expert, Response, Round, RoundItem
from webapp.services import groups as groups_svc
from webapp.services.round_data import previous_delphi_round, round_matrix, round_nodes
from webapp.services.round_settings import settings_of


@dataclass
class ItemFeedback:
    """What an expert sees of the previous round for one indicator: no identities."""

    median: float | None
    q1: float | None
    q3: float | None
    n: int
    counts: list[int]
    scale_min: int
    scale_max: int
    own_value: int | None
    own_no_opinion: bool
    comments: list[str] = field(default_factory=list)
    withheld: bool = False      # too few answers: no group figures, counts or comments

    def outside_iqr(self, value: int | None) -> bool:
        if self.withheld or value is None or self.q1 is None or self.q3 is None:
            return False
        return value < self.q1 or value > self.q3


def enough_respondents(n: int, rnd: Round) -> bool:
    """The one rule: may a group result over ``n`` answers be shown to experts in ``rnd``?"""
    return n >= settings_of(rnd).min_feedback_respondents


def _plain(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def own_group_feedback(expert: Expert, rnd: Round) -> dict[int, ItemFeedback]:
    """Per node id, the previous round's result among the experts of ``expert``'s own stakeholder
    group, when ``rnd`` gives feedback by group (setting ``feedback_by_group``, frozen at open);
    empty otherwise or for an expert without a group. Withheld below ``min_feedback_respondents``."""
    if not settings_of(rnd).feedback_by_group or expert.group is None:
        return {}
    return feedback_for(expert, rnd, group=groups_svc.key_of(expert))


def feedback_for(expert: Expert, rnd: Round, *, group: str | None = None) -> dict[int, ItemFeedback]:
    """Per node id, the previous round's anonymous group result and the expert's own answer.

    ``group``: restrict the group result to the experts of one stakeholder group.
    """
    previous = previous_delphi_round(rnd)
    if previous is None:
        return {}
    nodes = round_nodes(rnd)
    matrix = round_matrix(previous, nodes=nodes)
    rows = [i for i, e in enumerate(matrix.experts)
            if group is None or groups_svc.key_of(e) == group]
    ratings = matrix.ratings[rows]
    lo, hi = previous.scale_min, previous.scale_max
    counts = delphi.category_counts(ratings, scale_max=hi, scale_min=lo) if rows else np.zeros(
        (len(nodes), hi - lo + 1), dtype=int)
    with np.errstate(all="ignore"):
        n = (~np.isnan(ratings)).sum(axis=0) if rows else np.zeros(len(nodes), dtype=int)
        q1, median, q3 = (np.nanquantile(ratings, [0.25, 0.5, 0.75], axis=0, method="linear") if rows
                          else np.full((3, len(nodes)), np.nan))
    own = db.session.scalar(select(Response).where(Response.round_id == previous.id,
                                                   Response.expert_id == expert.id)
                            .options(selectinload(Response.ratings)))
    own_ratings = {r.node_id: r for r in own.ratings} if own is not None and own.is_submitted else {}
    asked_before = set(db.session.scalars(select(RoundItem.node_id).where(RoundItem.round_id == previous.id)))
    feedback = {}
    for j, node in enumerate(nodes):
        if node.id not in asked_before:
            continue
        mine = own_ratings.get(node.id)
        item = ItemFeedback(median=None, q1=None, q3=None, n=int(n[j]), counts=[], scale_min=lo,
                            scale_max=hi, own_value=mine.value if mine else None,
                            own_no_opinion=bool(mine and mine.no_opinion), withheld=True)
        if enough_respondents(int(n[j]), rnd):
            comments = [r.comment for i in rows
                        if (r := matrix.ratings_by_pair.get((matrix.experts[i].id, node.id))) is not None
                        and r.comment]
            item.median, item.q1, item.q3 = _plain(median[j]), _plain(q1[j]), _plain(q3[j])
            item.counts = [int(c) for c in counts[j]]
            item.comments = sorted(comments, key=lambda c: (len(c), c))  # no order that hints at who
            item.withheld = False
        feedback[node.id] = item
    return feedback
