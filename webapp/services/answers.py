"""An expert's answers to a round: save (autosave), submit, propose.

Every write ends with one conditional statement on the response
(``Response.touch_if_writable`` / ``submit_if_writable``), so nothing is stored
once the round stops accepting answers, even without a scheduler and against a
concurrent close. Services flush; the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    Proposal,
    ProposalKind,
    Rating,
    Response,
    Round,
    RoundItem,
    RoundKind,
    RoundStatus,
    utcnow,
)
from webapp.services import answer_pg, answer_sql, audit
from webapp.services.round_lifecycle import close_if_expired

MAX_COMMENT = 4000


class AnswerError(ValueError):
    """A refused answer; the message is shown to the expert. Nothing was stored."""


# --- answers --------------------------------------------------------------------------------

def expert_round(expert: Expert, round_id: int) -> Round | None:
    """A round of the expert's own study, or None (the view answers 404)."""
    return db.session.scalar(select(Round).where(Round.id == round_id, Round.study_id == expert.study_id,
                                                 Round.status != RoundStatus.draft))


def autosave_round_facts(expert: Expert, round_id: int) -> answer_sql.RoundFacts | None:
    """The round's facts as they are now (no lazy close): the refusal's "closed" flag."""
    return answer_sql.round_facts(expert.study_id, round_id)


def autosave_facts(facts: answer_sql.RoundFacts | None, *,
                   now: datetime | None = None) -> answer_sql.RoundFacts | None:
    """``facts`` if they are a Delphi round's, else None. The lazy deadline check: an
    open round past its closing time is closed here (the caller commits)."""
    if facts is None or facts.kind is not RoundKind.delphi:
        return None
    now = now or utcnow()
    if facts.status is RoundStatus.open and facts.is_past_deadline(now):
        rnd = db.session.get(Round, facts.id)
        close_if_expired(rnd, now=now)
        facts = facts.with_status(rnd.status)
    return facts


def response_of(expert: Expert, rnd: Round) -> Response | None:
    return db.session.scalar(select(Response).where(Response.expert_id == expert.id,
                                                    Response.round_id == rnd.id))


def _writable_response(expert: Expert, rnd: Round, now: datetime) -> Response:
    if rnd.study_id != expert.study_id:
        raise AnswerError(_("This questionnaire belongs to another study."))
    close_if_expired(rnd, now=now)
    if not rnd.accepts_answers(now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    db.session.flush()
    written = answer_sql.upsert_draft_response(expert.id, rnd.id, now)  # no race on the first answer
    if written is None:
        raise _closed_or_submitted(expert, rnd)
    response = db.session.get(Response, written[0])
    db.session.refresh(response)
    return response


writable_response = _writable_response  # for other round kinds' answer services


def _closed_or_submitted(expert: Expert, rnd: Round) -> AnswerError:
    response = response_of(expert, rnd)
    if response is not None and response.is_submitted:
        return AnswerError(_("You have already submitted this questionnaire; it can no longer be changed."))
    return AnswerError(_("This round is closed: answers can no longer be changed or submitted."))


def _guard_still_open(response: Response, now: datetime) -> None:
    """Touch the response only if it is a draft and the round still takes answers,
    in one statement: the deadline holds even against a concurrent close."""
    if not response.touch_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))


@dataclass
class SavedAnswers:
    response_id: int
    total: int
    answered: int   # counted inside the write transaction, by the two upserts themselves


def store_answers(expert: Expert, rnd: Round, answers: Iterable[dict], *,
                  now: datetime | None = None, conn=None) -> SavedAnswers:
    """The autosave: store some answers of the expert's draft in 2 statements once
    the round's items are known (``rnd`` a :class:`Round` or the
    :class:`~webapp.services.answer_sql.RoundFacts` of :func:`autosave_facts`) — the
    Response upsert with the open-round guard, which also counts the items answered
    outside the batch, and the Ratings upsert, which returns whether each of the
    batch's items is answered (``services.answer_sql``): no third statement counts.
    On PostgreSQL a batch of one shape is written in one statement (``services.answer_pg``),
    on ``conn`` when given (``answer_pg.own_connection``: it commits as it ends).

    Each answer is ``{"node_id", "value", "no_opinion", "comment", "reason"}``;
    absent keys keep what was stored. The whole batch is checked before
    anything is written, and refused whole.
    """
    now = now or utcnow()
    answers = list(answers)
    item_ids = getattr(rnd, "item_node_ids", None) or [item.node_id for item in rnd.items]
    known = set(item_ids)
    for answer in answers:
        _check_answer(rnd, answer, known)
    if rnd.study_id != expert.study_id:
        raise AnswerError(_("This questionnaire belongs to another study."))
    rows = answer_sql.rating_rows(answers, now)
    if answer_pg.applies(rows):   # PostgreSQL: both upserts and the count in one statement
        written = answer_pg.save(expert.id, rnd.id, rows, now, conn=conn)
        if written is None:
            raise _closed_or_submitted(expert, rnd)
        return SavedAnswers(written[0], len(item_ids), written[1])
    batch = sorted(row["node_id"] for row in rows)
    written = answer_sql.upsert_draft_response(expert.id, rnd.id, now, batch)
    if written is None:
        raise _closed_or_submitted(expert, rnd)
    response_id, others = written
    answered = answer_sql.upsert_ratings(response_id, rows) if rows else 0
    return SavedAnswers(response_id, len(item_ids), others + answered)


def store_checked_answers(expert_id: int, marker: str, round_id: int, answers: list[dict], *, now: datetime,
                          conn) -> SavedAnswers | None:
    """PostgreSQL's autosave in one statement, before anything is read: the expert's
    session claim (``expert_id``, ``marker``) and the answers (of the right JSON types) are
    checked by the statement itself against the expert and the round as they are
    (``answer_pg.save_checked``). None when it wrote nothing — or could not take this
    batch (several shapes; an answer both rated and "no opinion"; a text too long) —:
    the caller then takes the ordinary path (:func:`store_answers`), which says why."""
    if any(a.get("no_opinion") and a.get("value") is not None for a in answers) or any(
            len(a.get(key) or "") > MAX_COMMENT for a in answers for key in ("comment", "reason")):
        return None
    rows = answer_sql.rating_rows(answers, now)
    if not answer_pg.applies(rows):
        return None
    written = answer_pg.save_checked(expert_id, marker, round_id, answers, rows, now, conn=conn)
    return None if written is None else SavedAnswers(written[0], written[2], written[1])


def save_answers(expert: Expert, rnd: Round, answers: Iterable[dict], *, now: datetime | None = None) -> Response:
    """:func:`store_answers` for callers that go on with the Response object (the form post)."""
    now = now or utcnow()
    db.session.flush()
    close_if_expired(rnd, now=now)
    saved = store_answers(expert, rnd, answers, now=now)
    _forget_answers_in_session()  # the response and its ratings were written past the ORM
    return db.session.get(Response, saved.response_id)


def changed_answers(answers: Iterable[dict], stored: Mapping[int, object]) -> list[dict]:
    """The posted ``answers`` that would change what is stored (``stored``: the expert's
    stored answers by node id, rows with ``value``, ``no_opinion``, ``comment``, ``reason``).

    The questionnaire's form posts every answer, and by the time the expert presses
    Submit the page has autosaved them all: writing the 63 ratings of the seed hierarchy
    again changed nothing but made 63 new row versions (on PostgreSQL, a third of the
    submit's cost). An answer is left out only when every field it would write
    (``answer_sql.rating_rows``: texts stripped, "no opinion" clearing the value) equals
    the stored row's; a value that is not a rating is kept, so the save refuses it as
    before. A concurrent save of the same item (another tab) is ordered as if it came
    after this post's.
    """
    changed = []
    for answer in answers:
        row = answer_sql.rating_rows([answer], None)[0]
        kept = stored.get(row["node_id"])
        if kept is None or any(getattr(kept, key) != value for key, value in row.items()
                               if key not in ("node_id", "updated_at")):
            changed.append(answer)
    return changed


def _forget_answers_in_session() -> None:
    """Expire the Response and Rating objects the session holds (written past the ORM
    by the upserts); the round, the expert and the tree stay loaded."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (Response, Rating)):
            db.session.expire(obj)


def _check_answer(rnd: Round, answer: dict, item_ids: set[int]) -> None:
    try:
        node_id = int(answer["node_id"])
    except (KeyError, TypeError, ValueError):
        raise AnswerError(_("An answer names no indicator.")) from None
    if node_id not in item_ids:
        raise AnswerError(_("An answer names an indicator that is not in this questionnaire."))
    value = answer.get("value")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(_("A rating must be a whole number."))
        if not rnd.scale_min <= value <= rnd.scale_max:
            raise AnswerError(_("A rating must be between %(lo)s and %(hi)s.", lo=rnd.scale_min, hi=rnd.scale_max))
    if answer.get("no_opinion"):
        if not rnd.allow_no_opinion:
            raise AnswerError(_("This round has no “no opinion” answer."))
        if value is not None:
            raise AnswerError(_("An answer cannot be both a rating and “no opinion”."))
    for key in ("comment", "reason"):
        text = answer.get(key)
        if text is None:
            continue
        if not isinstance(text, str):
            raise AnswerError(_("A comment must be text."))
        if len(text) > MAX_COMMENT:
            raise AnswerError(_("A comment can have at most %(n)s characters.", n=MAX_COMMENT))
        if key == "comment" and text.strip() and not rnd.allow_comments:
            raise AnswerError(_("This round takes no comments."))


def missing_items(response: Response | None, rnd: Round) -> list[RoundItem]:
    """The round's items the response does not answer yet (one query of node ids)."""
    answered = set()
    if response is not None:
        answered = set(db.session.scalars(select(Rating.node_id).where(
            Rating.response_id == response.id, or_(Rating.value.is_not(None), Rating.no_opinion))))
    return [item for item in rnd.items if item.node_id not in answered]


def submit_response(expert: Expert, rnd: Round, *, now: datetime | None = None) -> Response:
    """Submit the draft: every indicator needs a rating (or “no opinion”)."""
    now = now or utcnow()
    response = _writable_response(expert, rnd, now)
    missing = missing_items(response, rnd)
    if missing:
        codes = ", ".join(item.node.code for item in missing[:8])
        raise AnswerError(_("%(n)s indicator(s) still need an answer: %(codes)s.", n=len(missing), codes=codes))
    if not response.submit_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    audit.record("response.submit", study=rnd.study, expert=expert, target=f"round:{rnd.number}")
    return response


def add_proposal(expert: Expert, rnd: Round, *, kind: str, text: str, node_id: int | None = None,
                 parent_node_id: int | None = None, rationale: str = "", now: datetime | None = None) -> Proposal:
    now = now or utcnow()
    if not rnd.allow_proposals:
        raise AnswerError(_("This round takes no proposals."))
    try:
        kind_value = ProposalKind(kind)
    except ValueError:
        raise AnswerError(_("Unknown kind of proposal.")) from None
    text = (text or "").strip()
    if not text or len(text) > MAX_COMMENT or len(rationale or "") > MAX_COMMENT:
        raise AnswerError(_("Describe the proposal (at most %(n)s characters).", n=MAX_COMMENT))
    study_nodes = set(db.session.scalars(select(Node.id).where(Node.study_id == rnd.study_id)))
    for ref in (node_id, parent_node_id):
        if ref is not None and ref not in study_nodes:
            raise AnswerError(_("The proposal refers to an unknown indicator."))
    response = _writable_response(expert, rnd, now)
    proposal = Proposal(round=rnd, expert=expert, kind=kind_value, text=text, rationale=(rationale or "").strip(),
                        node_id=node_id, parent_node_id=parent_node_id)
    db.session.add(proposal)
    db.session.flush()
    _guard_still_open(response, now)
    audit.record("proposal.add", study=rnd.study, expert=expert, target=f"round:{rnd.number}",
                 details={"kind": kind_value.value})
    return proposal
