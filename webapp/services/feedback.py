"""What an expert sees of the previous round: the group's anonymous result beside their own answer.

No identities, and no order of comments that hints at who wrote them. Builds only
what the questionnaire shows (median, quartiles, counts per scale point,
comments), read from the closed previous round's frozen feedback (``frozen_reports``:
computed once, so a page view costs the same at 8 or 1,000 experts), not the whole report.

Small panels: with one or two answers, the counts plus the expert's own answer
give away another expert's ratings. An indicator's group result is shown only
when at least ``min_feedback_respondents`` experts rated it (a setting of the
round, default 3); below that the expert sees "not enough answers to show the
group result". The same rule holds for a result restricted to one stakeholder
group (``group=``), which is frozen with the report too (per group, with its members among the
submitters; computed afresh only for a group whose members changed since the close).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Expert, Rating, Response, ResponseStatus, Round, RoundItem, StudyGroup
from webapp.services import frozen_reports
from webapp.services.feedback_chart import Chart, chart_of
from webapp.services import groups as groups_svc
from webapp.services.round_data import RoundData, previous_delphi_round
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

    @property
    def chart(self) -> Chart:
        """The geometry of its chart on the questionnaire (not for a withheld result)."""
        return chart_of(self)

    def outside_iqr(self, value: int | None) -> bool:
        if self.withheld or value is None or self.q1 is None or self.q3 is None:
            return False
        return value < self.q1 or value > self.q3


def enough_respondents(n: int, rnd: Round) -> bool:
    """The one rule: may a group result over ``n`` answers be shown to experts in ``rnd``?"""
    return n >= settings_of(rnd).min_feedback_respondents


def figures_of(previous: Round, rnd: Round, *, group: str | None = None) -> dict[int, dict]:
    """Per node id asked in ``previous``, the group result (n, median, Q1, Q3, counts, comments):
    the frozen feedback of the closed round (no rating row is read), restricted to the stakeholder
    group ``group`` (a code) when given."""
    if group is not None:
        return _group_figures(previous, rnd, group)
    figures = frozen_reports.frozen_feedback(previous)
    if figures is not None:
        return figures
    return frozen_reports.feedback_of(RoundData(rnd.study).submitted(previous), _item_ids(previous),
                                      previous.scale_min, previous.scale_max)


def _item_ids(rnd: Round) -> list[int]:
    return list(db.session.scalars(select(RoundItem.node_id).where(RoundItem.round_id == rnd.id)))


def _group_figures(previous: Round, rnd: Round, group: str) -> dict[int, dict]:
    """The frozen result of ``group`` in ``previous`` (two statements: the frozen row and the group's
    members). A report frozen before groups were is completed here, once (the view commits it); a
    group whose members among the submitters changed since the close is computed afresh."""
    by_group = frozen_reports.frozen_group_feedback(previous)
    if by_group is None:
        by_group = frozen_reports.group_feedback_of(RoundData(rnd.study).submitted(previous), _item_ids(previous),
                                                    previous.scale_min, previous.scale_max)
        frozen_reports.store_group_feedback(previous, by_group)
    members = set(db.session.scalars(select(Expert.id).join(StudyGroup, Expert.group_id == StudyGroup.id).where(
        StudyGroup.study_id == previous.study_id, StudyGroup.code == group)))
    if members & set(by_group["submitters"]) == set(by_group["members"].get(group, [])):
        if group not in by_group["items"]:  # no submitter in this group
            return frozen_reports.nobodys_feedback(by_group["nodes"], previous.scale_min, previous.scale_max)
        return {int(k): v for k, v in by_group["items"][group].items()}
    answers = RoundData(rnd.study).submitted(previous)
    rows = [i for i, e in enumerate(answers.experts) if groups_svc.key_of(e) == group]
    return frozen_reports.feedback_of(answers, _item_ids(previous), previous.scale_min, previous.scale_max,
                                      rows=rows)


def own_group_feedback(expert: Expert, rnd: Round) -> dict[int, ItemFeedback]:
    """Per node id, the previous round's result among the experts of ``expert``'s own stakeholder
    group, when ``rnd`` gives feedback by group (setting ``feedback_by_group``, frozen at open);
    empty otherwise or for an expert without a group. Withheld below ``min_feedback_respondents``."""
    return feedback_with_group(expert, rnd)[1]


def feedback_with_group(expert: Expert, rnd: Round, *, previous: Round | None = ...
                        ) -> tuple[dict[int, ItemFeedback], dict[int, ItemFeedback]]:
    """:func:`feedback_for` and :func:`own_group_feedback` together, sharing their statements (the
    previous round, the expert's own answers, the items): what the questionnaire shows.
    ``previous``: the latest earlier closed Delphi round when the caller has read it already
    (``questionnaire.earlier_rounds``); by default it is looked up."""
    if previous is ...:
        previous = previous_delphi_round(rnd)
    if previous is None:
        return {}, {}
    own, node_ids = _own_answers(expert, previous), round_node_ids(rnd)
    overall = _items(figures_of(previous, rnd), own, node_ids, previous, rnd)
    if not overall or not settings_of(rnd).feedback_by_group or expert.group is None:
        return overall, {}
    return overall, _items(figures_of(previous, rnd, group=groups_svc.key_of(expert)), own, node_ids, previous, rnd)


def feedback_for(expert: Expert, rnd: Round, *, group: str | None = None) -> dict[int, ItemFeedback]:
    """Per node id, the previous round's anonymous group result and the expert's own answer.

    ``group``: restrict the group result to the experts of one stakeholder group.
    """
    previous = previous_delphi_round(rnd)
    if previous is None:
        return {}
    return _items(figures_of(previous, rnd, group=group), _own_answers(expert, previous), round_node_ids(rnd),
                  previous, rnd)


def _own_answers(expert: Expert, previous: Round) -> dict[int, tuple]:
    return {node_id: (value, no_opinion) for node_id, value, no_opinion in db.session.execute(
        select(Rating.node_id, Rating.value, Rating.no_opinion).join(Response, Response.id == Rating.response_id)
        .where(Response.round_id == previous.id, Response.expert_id == expert.id,
               Response.status == ResponseStatus.submitted))}


def _items(figures: dict, own: dict, node_ids: list[int], previous: Round, rnd: Round) -> dict[int, ItemFeedback]:
    """Per node id of ``rnd`` asked in ``previous``: its figures beside the expert's own answer."""
    lo, hi = previous.scale_min, previous.scale_max
    minimum = settings_of(rnd).min_feedback_respondents  # the rule of enough_respondents, read once
    feedback = {}
    for node_id in node_ids:
        found = figures.get(node_id)
        if found is None:  # not asked in the previous round
            continue
        mine = own.get(node_id)
        item = ItemFeedback(median=None, q1=None, q3=None, n=found["n"], counts=[], scale_min=lo,
                            scale_max=hi, own_value=mine[0] if mine else None,
                            own_no_opinion=bool(mine and mine[1]), withheld=True)
        if found["n"] >= minimum:
            item.median, item.q1, item.q3 = found["median"], found["q1"], found["q3"]
            item.counts = list(found["counts"])
            item.comments = list(found["comments"])  # sorted: no order that hints at who
            item.withheld = False
        feedback[node_id] = item
    return feedback


def round_node_ids(rnd: Round) -> list[int]:
    """The indicators ``rnd`` asks about, in questionnaire order."""
    return list(db.session.scalars(select(RoundItem.node_id).where(RoundItem.round_id == rnd.id)
                                   .order_by(RoundItem.position)))
