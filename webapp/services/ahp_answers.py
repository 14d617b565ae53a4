"""An expert's pairwise judgments in an AHP round: save (autosave), read back, submit.

Writes go through the shared answers machinery (``answers._writable_response``
and the one conditional statement ``Response.touch_if_writable``), so the
deadline, submission and other-study rules are the same as for Delphi rounds.
A batch is checked whole before anything is written and refused whole.
Services flush; the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

import ahp
from webapp.extensions import db
from webapp.models import BlockNote, Expert, Judgment, Node, Response, Round, RoundKind, utcnow
from webapp.services import ahp_rounds, ahp_settings, audit
from webapp.services.ahp_analysis import connected, matrices, pair_index
from webapp.services.answers import AnswerError, _writable_response, response_of
from webapp.services.inputs import clean_text

SAATY_SIGNED = frozenset([1, *range(2, 10), *range(-9, -1)])
MAX_REASON = 2000


@dataclass
class PairView:
    row: Node
    col: Node
    value: int | None  # signed, row first


@dataclass
class BlockView:
    index: int
    parent: Node
    children: list
    pairs: list
    note: str = ""
    answered: int = 0
    total: int = 0
    usable: bool = False        # complete, or connected and incomplete blocks allowed
    priorities: list | None = None
    cr: float | None = None
    gci: float | None = None
    consistent: bool | None = None
    rule: tuple = ("CR", 0.10)
    hints: list = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.usable and bool(self.consistent)


def _block_map(rnd: Round) -> dict[int, list[int]]:
    return {p.id: [c.id for c in kids] for p, kids in ahp_rounds.round_blocks(rnd)}


def _check_batch(rnd: Round, judgments: list, notes: list) -> list[tuple]:
    if rnd.kind is not RoundKind.ahp:
        raise AnswerError(_("This questionnaire has no pairwise comparisons."))
    blocks = _block_map(rnd)
    rows = []
    for item in judgments:
        try:
            block, a, b = int(item["block"]), int(item["row"]), int(item["col"])
        except (KeyError, TypeError, ValueError):
            raise AnswerError(_("A comparison names no block or indicators.")) from None
        kids = blocks.get(block)
        if kids is None:
            raise AnswerError(_("A comparison names a block that is not in this questionnaire."))
        if a not in kids or b not in kids or a == b:
            raise AnswerError(_("A comparison names a pair that is not in this block."))
        value = item.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value not in SAATY_SIGNED):
            raise AnswerError(_("A comparison must be on the 1–9 scale (1, 2 … 9 for either indicator)."))
        if kids.index(a) > kids.index(b):  # store row before column, in block order
            a, b = b, a
            value = None if value is None else (1 if value == 1 else -value)
        rows.append((block, a, b, value))
    for note in notes:
        try:
            block = int(note["block"])
        except (KeyError, TypeError, ValueError):
            raise AnswerError(_("A reason names no block.")) from None
        if block not in blocks:
            raise AnswerError(_("A comparison names a block that is not in this questionnaire."))
        text = note.get("reason")
        if not isinstance(text, str) or len(text) > MAX_REASON:
            raise AnswerError(_("A reason must be text of at most %(n)s characters.", n=MAX_REASON))
    return rows


def save_judgments(expert: Expert, rnd: Round, judgments: Iterable[dict], notes: Iterable[dict] = (),
                   *, now: datetime | None = None) -> Response:
    """Store some judgments (``{"block", "row", "col", "value"}``, value ``None`` clears one)
    and reasons (``{"block", "reason"}``) of the expert's draft."""
    now = now or utcnow()
    judgments, notes = list(judgments), list(notes)
    rows = _check_batch(rnd, judgments, notes)
    response = _writable_response(expert, rnd, now)
    final = {(a, b): (block, value) for block, a, b, value in rows}  # the last word on a pair counts
    upserts = [{"response_id": response.id, "parent_node_id": block, "row_node_id": a, "col_node_id": b,
                "value": value, "updated_at": now} for (a, b), (block, value) in final.items() if value is not None]
    cleared = [pair for pair, (_block, value) in final.items() if value is None]
    if upserts:  # one statement, safe against a concurrent autosave of the same pair
        insert = (pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(Judgment)
        insert = insert.values(upserts)
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["response_id", "row_node_id", "col_node_id"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at}))
    for a, b in cleared:
        db.session.execute(delete(Judgment).where(Judgment.response_id == response.id,
                                                  Judgment.row_node_id == a, Judgment.col_node_id == b))
    db.session.expire(response, ["judgments"])
    if notes:
        stored = {n.parent_node_id: n for n in db.session.query(BlockNote).filter_by(response_id=response.id)}
        for note in notes:
            block = int(note["block"])
            row = stored.get(block) or BlockNote(response=response, parent_node_id=block)
            row.reason, row.updated_at = clean_text(note["reason"]).strip(), now
            db.session.add(row)
            stored[block] = row
    db.session.flush()
    if not response.touch_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    return response


def block_views(rnd: Round, response: Response | None) -> list[BlockView]:
    """The expert's blocks with their stored judgments and the server's figures for them."""
    options = ahp_rounds.options_of(rnd)
    stored = {}
    if response is not None:
        stored = {(j.row_node_id, j.col_node_id): j.value for j in response.judgments}
        notes = {n.parent_node_id: n.reason for n in db.session.query(BlockNote).filter_by(response_id=response.id)}
    else:
        notes = {}
    views = []
    for index, (parent, kids) in enumerate(ahp_rounds.round_blocks(rnd)):
        pairs = []
        for i, j in pair_index(len(kids)):
            a, b = kids[i], kids[j]
            value = stored.get((a.id, b.id))
            if value is None and (b.id, a.id) in stored:
                v = stored[(b.id, a.id)]
                value = 1 if v == 1 else -v
            pairs.append(PairView(a, b, value))
        view = BlockView(index=index, parent=parent, children=kids, pairs=pairs, note=notes.get(parent.id, ""),
                         answered=sum(p.value is not None for p in pairs), total=len(pairs),
                         rule=ahp_settings.rule_for(options, len(kids)))
        _figures(view, options)
        views.append(view)
    return views


def _figures(view: BlockView, options: dict) -> None:
    n = len(view.children)
    values = np.array([[np.nan if p.value is None else p.value for p in view.pairs]], dtype=float)
    a = matrices(values, n)[0]
    complete = view.answered == view.total
    if not complete and not (options["allow_incomplete"] and view.answered and connected(a[None])[0]):
        return
    view.usable = True
    if not complete:
        _, a = ahp.complete(a)
    cons = ahp.consistency(a)
    view.priorities = [float(x) for x in (cons.priorities if options["priority_method"] == "eigen"
                                          else ahp.priorities(a, method="geometric"))]
    view.cr, view.gci = float(cons.cr), float(cons.gci)
    view.consistent = bool(ahp_settings.consistent(options, n, cons.cr, cons.gci))
    if not view.consistent and complete:
        view.hints = list(ahp.revision_hints(a, 3))


def submission_problems(rnd: Round, views: list[BlockView]) -> list[str]:
    """Why the questionnaire cannot be submitted yet (empty: it can)."""
    options = ahp_rounds.options_of(rnd)
    problems = []
    unusable = [v.parent.code for v in views if not v.usable]
    if unusable:
        problems.append(_("%(n)s block(s) still need comparisons: %(codes)s.", n=len(unusable),
                          codes=", ".join(unusable[:8])))
    over = [v for v in views if v.usable and not v.consistent]
    if over and options["over_threshold"] == "revise":
        problems.append(_("%(n)s block(s) are over the consistency limit; please revise them: %(codes)s.",
                          n=len(over), codes=", ".join(v.parent.code for v in over[:8])))
    elif over:
        silent = [v.parent.code for v in over if not v.note.strip()]
        if silent:
            problems.append(_("Please give a reason for keeping the block(s) over the consistency limit: %(codes)s.",
                              codes=", ".join(silent[:8])))
    return problems


def submit_judgments(expert: Expert, rnd: Round, *, now: datetime | None = None) -> Response:
    """Submit the draft: every block usable, and consistent (or kept with a reason, if allowed)."""
    now = now or utcnow()
    response = _writable_response(expert, rnd, now)
    problems = submission_problems(rnd, block_views(rnd, response))
    if problems:
        raise AnswerError(" ".join(problems))
    if not response.submit_if_writable(db.session, now):
        raise AnswerError(_("This round is closed: answers can no longer be changed or submitted."))
    audit.record("response.submit", study=rnd.study, expert=expert, target=f"round:{rnd.number}")
    return response


def own_last_weights(expert: Expert, rnd: Round) -> dict:
    """Round k+1: {block parent id: (own last local weights, group's)} from the previous AHP round."""
    before = ahp_rounds.previous_ahp_round(rnd)
    if before is None:
        return {}
    mine = response_of(expert, before)
    if mine is None or not mine.is_submitted:
        return {}
    analysis = ahp_rounds.analysis_of(before, bootstrap=False)
    try:
        k = analysis.pseudonyms.index(expert.pseudonym)
    except ValueError:
        return {}
    out = {}
    for parent, _kids in ahp_rounds.round_blocks(before):
        r = analysis.blocks.get(parent.code)
        if r is None or not r.answered[k] or not r.has_group:
            continue
        group = r.aij if analysis.aggregation == "aij" else r.aip
        out[parent.id] = {"children": list(r.children), "own": [float(x) for x in r.individual[k]],
                          "group": [float(x) for x in group]}
    return out
