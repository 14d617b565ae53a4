"""A closed Delphi round's report inputs and expert feedback, computed once and frozen.

A round's settings freeze when it opens and its answers cannot change once it is closed, so a
closed round's submitted answers are read from the rating table once and kept as one
``round_report`` row (:class:`webapp.models.FrozenReport`): the answers in compact form
(``submitted.encode``) and the figures every expert of the next round sees (median, quartiles,
counts per scale point, comments). The dashboard, the exports, the stop advice, the study report
and the published weights read a closed round through ``round_data.RoundData``, which takes the
frozen answers instead of the rating rows; the next round's questionnaire reads only the frozen
feedback. Written when the round closes (``round_lifecycle``), or by the first reader of a round
closed before this existed (an upsert: two readers racing write the same row). Reopening the
round deletes it (``thaw``); a row is used only while its ``closed_at`` is the round's.
Services flush, the caller commits; a view that reads may ask :func:`written_now` whether it
completed a report, and commit it.

The feedback also holds each stakeholder group's result (``by_group``: for rounds that give
feedback by group), with the group's members among the submitters, so that a reader can tell
that an expert changed group since the close; a report frozen before groups were is completed
by its first reader (:func:`store_group_feedback`).
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

import delphi
from webapp.extensions import db
from webapp.models import (
    Expert,
    FrozenReport,
    Rating,
    Response,
    ResponseStatus,
    Round,
    RoundKind,
    RoundStatus,
    utcnow,
)
from webapp.services import submitted as answers_codec
from webapp.services.submitted import Submitted, ratings_of


def feedback_figures(ratings: np.ndarray, node_ids: list[int], comments: list[list[str]],
                     scale_min: int, scale_max: int) -> dict[int, dict]:
    """Per node id the group result experts see: n, median, Q1, Q3 (linear, R type 7), the count
    of each scale point and the comments sorted by length and text (no order that hints at who).

    ``ratings``: experts × nodes, NaN = no rating; ``comments[j]``: the comments on node j."""
    m, n = ratings.shape
    counts = (delphi.category_counts(ratings, scale_max=scale_max, scale_min=scale_min) if m
              else np.zeros((n, scale_max - scale_min + 1), dtype=int))
    with np.errstate(all="ignore"):
        given = (~np.isnan(ratings)).sum(axis=0) if m else np.zeros(n, dtype=int)
        q1, median, q3 = (np.nanquantile(ratings, [0.25, 0.5, 0.75], axis=0, method="linear") if m
                          else np.full((3, n), np.nan))
    return {int(node): {"n": int(given[j]), "median": _plain(median[j]), "q1": _plain(q1[j]), "q3": _plain(q3[j]),
                        "counts": [int(c) for c in counts[j]],
                        "comments": sorted(comments[j], key=lambda c: (len(c), c))}
            for j, node in enumerate(node_ids)}


def _plain(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def feedback_of(submitted: Submitted, node_ids: list[int], scale_min: int, scale_max: int, *,
                rows: list[int] | None = None) -> dict:
    """:func:`feedback_figures` of a round's submitted answers on ``node_ids`` (the round's items)
    (``rows``: only these experts)."""
    people = submitted.experts if rows is None else [submitted.experts[i] for i in rows]
    cells = submitted.columns(node_ids, people)
    comments = [[text[0] for e in people if (text := submitted.texts.get((e.id, node))) and text[0]]
                for node in node_ids]
    return feedback_figures(ratings_of(cells), node_ids, comments, scale_min, scale_max)


def group_feedback_of(submitted: Submitted, node_ids: list[int], scale_min: int, scale_max: int) -> dict:
    """Per stakeholder group of the submitters (by code; experts without a group are left out), its
    members' ids and :func:`feedback_of` over them, with the submitters' ids and the items: what a
    reader needs to check that the groups are still those of the close."""
    rows: dict[str, list[int]] = {}
    for i, expert in enumerate(submitted.experts):
        if expert.group_code is not None:
            rows.setdefault(expert.group_code, []).append(i)
    return {"submitters": [e.id for e in submitted.experts], "nodes": list(node_ids),
            "members": {code: [submitted.experts[i].id for i in found] for code, found in rows.items()},
            "items": {code: {str(k): v for k, v in feedback_of(submitted, node_ids, scale_min, scale_max,
                                                               rows=found).items()}
                      for code, found in rows.items()}}


def nobodys_feedback(node_ids: list[int], scale_min: int, scale_max: int) -> dict[int, dict]:
    """:func:`feedback_figures` over no answer (n = 0 on every item): a group without submitters."""
    return feedback_figures(np.full((0, len(node_ids)), np.nan), node_ids, [[] for _ in node_ids],
                            scale_min, scale_max)


_WROTE = "frozen_reports.wrote"


def _wrote() -> None:
    db.session.info[_WROTE] = True


def written_now() -> bool:
    """True once after this session wrote a frozen report (or completed one): a view that only
    reads commits it, so the next reader finds it."""
    return bool(db.session.info.pop(_WROTE, False))


def _freezable(rnd: Round) -> bool:
    return rnd.kind is RoundKind.delphi and rnd.status is RoundStatus.closed and rnd.closed_at is not None


def _upsert(rnd: Round, answers: dict, feedback: dict):
    values = {"round_id": rnd.id, "closed_at": rnd.closed_at, "computed_at": utcnow(),
              "digest": answers_codec.digest(answers), "answers": answers, "feedback": feedback}
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(FrozenReport).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["round_id"], set_={k: statement.excluded[k] for k in values if k != "round_id"})


def freeze(rnd: Round, submitted: Submitted) -> bool:
    """Store ``rnd``'s frozen answers and feedback (a closed Delphi round only) in one upsert, so
    two requests freezing the same round race safely (both write the same row) and a row of an
    earlier close or format is replaced. True if it wrote."""
    if not _freezable(rnd):
        return False
    node_ids = [item.node_id for item in rnd.items]
    if submitted.drafts is None:
        submitted.drafts = draft_progress(rnd, node_ids)
    answers = answers_codec.encode(submitted) | {"round": rnd.id}   # ids inside: valid for this round only
    feedback = {"round": rnd.id, "scale": [rnd.scale_min, rnd.scale_max],
                "items": {str(k): v for k, v in feedback_of(submitted, node_ids, rnd.scale_min,
                                                            rnd.scale_max).items()},
                "by_group": group_feedback_of(submitted, node_ids, rnd.scale_min, rnd.scale_max)}
    db.session.execute(_upsert(rnd, answers, feedback))
    _wrote()
    return True


def draft_progress(rnd: Round, node_ids: list[int]) -> dict[int, int]:
    """Expert id -> items of ``node_ids`` answered (a rating or "no opinion") in a draft of ``rnd``."""
    return dict(db.session.execute(
        select(Response.expert_id, func.count(Rating.id)).join(Rating, Rating.response_id == Response.id)
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.draft, Rating.node_id.in_(node_ids),
               or_(Rating.value.is_not(None), Rating.no_opinion))
        .group_by(Response.expert_id)).all())


def freeze_round(rnd: Round) -> None:
    """Freeze a Delphi round that has just closed (its answers read once, here)."""
    if not _freezable(rnd):
        return
    experts = {e.id: e for e in db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id))}
    freeze(rnd, answers_codec.load([rnd.id], experts)[rnd.id])


def thaw(rnd: Round) -> None:
    """Forget ``rnd``'s frozen report (it is reopened: answers may change again)."""
    db.session.execute(delete(FrozenReport).where(FrozenReport.round_id == rnd.id))


def frozen_answers(rounds: list[Round], experts: dict[int, Expert]) -> dict[int, Submitted]:
    """The frozen answers of those ``rounds`` that have a current snapshot (one statement)."""
    closed = {r.id: r for r in rounds if _freezable(r)}
    if not closed:
        return {}
    found = {}
    for round_id, closed_at, digest, answers in db.session.execute(
            select(FrozenReport.round_id, FrozenReport.closed_at, FrozenReport.digest, FrozenReport.answers)
            .where(FrozenReport.round_id.in_(closed))):
        if (closed_at == closed[round_id].closed_at and answers.get("format") == answers_codec.FORMAT
                and answers.get("round") == round_id and set(answers["experts"]) <= set(experts)
                and digest == answers_codec.digest(answers)):
            found[round_id] = answers_codec.decode(answers, experts)
    return found


def _current_feedback(rnd: Round) -> dict | None:
    """The frozen feedback payload of closed round ``rnd`` (None: not frozen, or not current)."""
    if not _freezable(rnd):
        return None
    row = db.session.execute(select(FrozenReport.closed_at, FrozenReport.feedback)
                             .where(FrozenReport.round_id == rnd.id)).first()
    if row is None or row.closed_at != rnd.closed_at or row.feedback.get("round") != rnd.id:
        return None
    return row.feedback


def frozen_feedback(rnd: Round) -> dict[int, dict] | None:
    """Per node id, the frozen group result of closed round ``rnd`` (None: not frozen yet)."""
    feedback = _current_feedback(rnd)
    return None if feedback is None else {int(k): v for k, v in feedback["items"].items()}


def frozen_group_feedback(rnd: Round) -> dict | None:
    """The frozen per-group results of closed round ``rnd`` (:func:`group_feedback_of`), or None
    when it is not frozen or was frozen before groups were."""
    feedback = _current_feedback(rnd)
    return None if feedback is None else feedback.get("by_group")


def store_group_feedback(rnd: Round, by_group: dict) -> None:
    """Complete the frozen report of ``rnd`` with its per-group results (one UPDATE of the row of
    this close; a report frozen before groups were)."""
    feedback = _current_feedback(rnd)
    if feedback is None:
        return
    db.session.execute(update(FrozenReport).where(FrozenReport.round_id == rnd.id).values(
        feedback=feedback | {"by_group": by_group}))
    _wrote()
