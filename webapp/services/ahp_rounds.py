"""AHP rounds: one pairwise block per sibling group, on the shared round lifecycle.

An AHP round is a :class:`~webapp.models.Round` of kind ``ahp`` created,
opened, closed and reminded by ``round_lifecycle`` like any round; its items
are the blocks' parents, and ``Round.settings["ahp"]`` holds its options and,
from opening, the frozen blocks (children in order) and expert weights.
This module loads a round's judgments into arrays for ``ahp_analysis``.
Services flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Expert, Judgment, Node, Response, ResponseStatus, Round, RoundKind, RoundStatus, Study
from webapp.services import ahp_settings, audit, round_lifecycle, tree
from webapp.services.ahp_analysis import Block, RoundAnalysis, analyze_round, convergence, pair_index
from webapp.services.ahp_blocks import (  # noqa: F401  (re-exported: the round's blocks and options)
    BlockError,
    _blocks_setting,
    choose_groups,
    frozen_ahp,
    options_of,
    resolve_weights,
    sibling_groups,
)
from webapp.services.round_lifecycle import RoundError


def create_ahp_round(study: Study, *, parent_ids=None, levels=None, options: dict | None = None,
                     now: datetime | None = None, **round_settings) -> Round:
    """A draft AHP round with one block per chosen sibling group (all of them by default)."""
    try:
        ahp_options = ahp_settings.normalize(options)
    except ahp_settings.SettingsError as exc:
        raise RoundError(str(exc)) from None
    try:
        groups = choose_groups(study, parent_ids=parent_ids, levels=levels)
    except BlockError as exc:
        raise RoundError(str(exc)) from None
    ahp_options["blocks"] = _blocks_setting(groups)
    round_settings.setdefault("scale_min", 1)
    round_settings.setdefault("scale_max", 9)
    rnd = round_lifecycle.create_round(study, nodes=[p for p, _ in groups], kind=RoundKind.ahp, now=now,
                                       analysis={"ahp": ahp_options}, **round_settings)
    audit.record("round.ahp_blocks", study=study, target=f"round:{rnd.number}",
                 details={"blocks": [p.code for p, _ in groups]})
    return rnd


def update_ahp_options(rnd: Round, options: dict, *, parent_ids=None) -> Round:
    """Change a draft AHP round's options (and blocks); refused once it has opened."""
    if rnd.kind is not RoundKind.ahp or rnd.status is not RoundStatus.draft:
        raise RoundError(_("Only a draft AHP round can be changed."))
    try:
        new = ahp_settings.normalize(options)
    except ahp_settings.SettingsError as exc:
        raise RoundError(str(exc)) from None
    if parent_ids is not None:
        try:
            groups = choose_groups(rnd.study, parent_ids=parent_ids)
        except BlockError as exc:
            raise RoundError(str(exc)) from None
        round_lifecycle.set_round_items(rnd, [p for p, _ in groups])
    else:
        chosen = {item.node_id for item in rnd.items}
        groups = [(p, k) for p, k in sibling_groups(rnd.study) if p.id in chosen]
    new["blocks"] = _blocks_setting(groups)
    rnd.settings = {**(rnd.settings or {}), "ahp": new}
    audit.record("round.ahp_settings", study=rnd.study, target=f"round:{rnd.number}")
    return rnd


# --- a round's judgments as arrays ----------------------------------------------------------------

def round_blocks(rnd: Round) -> list[tuple[Node, list[Node]]]:
    """The round's blocks as frozen (parent node, children in order)."""
    spec = options_of(rnd).get("blocks") or []
    ids = {i for b in spec for i in [b["parent"], *b["children"]]}
    nodes = {n.id: n for n in db.session.scalars(select(Node).where(Node.id.in_(ids)))} if ids else {}
    return [(nodes[b["parent"]], [nodes[c] for c in b["children"]]) for b in spec
            if b["parent"] in nodes and all(c in nodes for c in b["children"])]


def submitted_panel(rnd: Round) -> tuple[list[str], list[tuple]]:
    """Pseudonyms of the submitted questionnaires (by pseudonym) and their judgments as plain
    rows ``(pseudonym, parent, row, col, value)`` -- two queries, no ORM objects (a panel of
    500 has 50,000 judgments)."""
    names = db.session.execute(
        select(Expert.pseudonym).join(Response, Response.expert_id == Expert.id)
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)).scalars().all()
    rows = db.session.execute(
        select(Expert.pseudonym, Judgment.parent_node_id, Judgment.row_node_id, Judgment.col_node_id, Judgment.value)
        .join(Response, Response.id == Judgment.response_id).join(Expert, Expert.id == Response.expert_id)
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)).all()
    return sorted(names, key=lambda p: (len(p), p)), rows


def judgment_arrays(blocks, pseudonyms: list[str], rows) -> list[Block]:
    """Signed judgments per block, experts x pairs (NaN = not given), in block pair order.

    A judgment stored column-first (``a_ji``) is turned round: ``-v`` (or 1) at ``(i, j)``."""
    expert = {p: k for k, p in enumerate(pseudonyms)}
    where = {}  # (parent, row, col) -> (block index, pair column, sign)
    for b, (parent, kids) in enumerate(blocks):
        pos = {c.id: i for i, c in enumerate(kids)}
        col = {pair: m for m, pair in enumerate(pair_index(len(kids)))}
        for a, i in pos.items():
            for c, j in pos.items():
                if i < j:
                    where[(parent.id, a, c)] = (b, col[(i, j)], 1)
                elif i > j:
                    where[(parent.id, a, c)] = (b, col[(j, i)], -1)
    values = [np.full((len(pseudonyms), len(kids) * (len(kids) - 1) // 2), np.nan) for _, kids in blocks]
    for name, parent, row, col, value in rows:
        spot = where.get((parent, row, col))
        k = expert.get(name)
        if spot is None or k is None:
            continue
        b, m, sign = spot
        values[b][k, m] = value if sign > 0 or value == 1 else -value
    return [Block(parent.code, tuple(c.code for c in kids), v) for (parent, kids), v in zip(blocks, values)]


def parents_map(rnd: Round) -> dict:
    """{code: parent code} of the indicators still in the study when ``rnd`` was made (a Delphi
    drop decided after this round does not change its weights)."""
    dropped = tree.dropped_ids(rnd.study, upto=rnd.number)
    nodes = [n for n in tree.tree_order(rnd.study) if n.id not in dropped]
    by_id = {n.id: n for n in nodes}
    return {n.code: (by_id[n.parent_id].code if n.parent_id in by_id else None) for n in nodes}


_CACHE: dict = {}
_CACHE_SIZE = 16


def _cache_key(rnd: Round, bootstrap: bool):
    """What an opened round's figures depend on: its frozen settings and its submitted
    questionnaires, which never change once submitted -- so (round, how many, the last
    submission time) identifies them. Drafts of rounds are not cached."""
    if rnd.status is RoundStatus.draft:
        return None
    count, last = db.session.execute(
        select(func.count(Response.id), func.max(Response.submitted_at))
        .where(Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)).one()
    return (str(db.engine.url), rnd.id, rnd.created_at, rnd.opened_at, count, last, bootstrap)


def analysis_of(rnd: Round, *, bootstrap: bool = True) -> RoundAnalysis:
    """The round's figures from its submitted questionnaires (drafts never count).

    Kept in a small per-process cache for opened rounds (see :func:`_cache_key`), so the
    dashboard, its exports and the published weights compute a round once."""
    key = _cache_key(rnd, bootstrap)
    if key is not None and key in _CACHE:
        return _CACHE[key]
    out = _analysis_of(rnd, bootstrap=bootstrap)
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = out
    return out


def _analysis_of(rnd: Round, *, bootstrap: bool) -> RoundAnalysis:
    options = options_of(rnd)
    pseudonyms, rows = submitted_panel(rnd)
    blocks = round_blocks(rnd)
    frozen = options.get("weights")
    if frozen is None:  # a draft: weights as they would be frozen now
        experts = db.session.scalars(select(Expert).where(Expert.study_id == rnd.study_id,
                                                          Expert.pseudonym.in_(pseudonyms))).all()
        frozen, _source = resolve_weights(rnd.study, list(experts), options)
    weights = np.array([float(frozen.get(p, 1.0)) for p in pseudonyms])
    return analyze_round(judgment_arrays(blocks, pseudonyms, rows), parents_map(rnd), pseudonyms, weights, options,
                         bootstrap=bootstrap)


def ahp_rounds_upto(rnd: Round) -> list[Round]:
    """The study's opened AHP rounds up to ``rnd`` (inclusive), oldest first."""
    return list(db.session.scalars(
        select(Round).where(Round.study_id == rnd.study_id, Round.kind == RoundKind.ahp,
                            Round.status != RoundStatus.draft, Round.number <= rnd.number)
        .order_by(Round.number)))


def previous_ahp_round(rnd: Round) -> Round | None:
    return db.session.scalar(
        select(Round).where(Round.study_id == rnd.study_id, Round.kind == RoundKind.ahp,
                            Round.status == RoundStatus.closed, Round.number < rnd.number)
        .order_by(Round.number.desc()).limit(1))


def convergence_of(rnd: Round, now: RoundAnalysis):
    """Convergence against the previous closed AHP round, or None for the first."""
    before = previous_ahp_round(rnd)
    if before is None:
        return None
    return convergence(analysis_of(before, bootstrap=False), now, options_of(rnd), len(ahp_rounds_upto(rnd)))
