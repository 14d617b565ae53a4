"""A round's submitted answers as arrays: the one loader of rating rows, and their frozen form.

A round of 1,000 experts × 63 indicators is 63,000 answers: they are read as plain integer
columns (one statement for the cells of every round asked for, one for the few answers that
carry a comment or a reason) and placed into an experts × indicators array with numpy, never
one Python object per answer. ``encode``/``decode`` turn a :class:`Submitted` into JSON (int8
cells in base64) and back, for the frozen report of a closed round (``frozen_reports``).
Drafts never count: only submitted questionnaires are loaded.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sqlalchemy import Integer, String, cast, func, or_, select

from webapp.extensions import db
from webapp.models import Expert, Rating, Response, ResponseStatus

MISSING, NO_OPINION = -1, -2   # cell codes besides the rating itself (scales are within 0–10)
FORMAT = "submitted/2"         # a frozen payload of another format is computed again


@dataclass
class Submitted:
    """A round's submitted questionnaires: who (by pseudonym), and their answers as arrays."""

    experts: list[Expert]
    node_ids: list[int]                      # columns of ``cells``
    cells: np.ndarray                        # int8, experts × node_ids: the rating, MISSING or NO_OPINION
    texts: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    # (expert id, node id) -> (comment, reason), only where one of them is not empty
    drafts: dict[int, int] | None = None     # expert id -> items answered in a draft (frozen rounds only)

    @cached_property
    def _row_of(self) -> dict[int, int]:
        return {e.id: i for i, e in enumerate(self.experts)}

    def answered_items(self, node_ids: list[int]) -> dict[int, int]:
        """Expert id -> items of ``node_ids`` with a rating or "no opinion" (submitters)."""
        given = (self.columns(node_ids) != MISSING).sum(axis=1)
        return {e.id: int(k) for e, k in zip(self.experts, given)}

    def columns(self, node_ids: list[int], experts: list[Expert] | None = None) -> np.ndarray:
        """``cells`` on the rows of ``experts`` (default: the submitters) and the columns of
        ``node_ids``, MISSING where an expert did not submit or an indicator was not asked."""
        rows = self.experts if experts is None else experts
        out = np.full((len(rows), len(node_ids)), MISSING, dtype=np.int8)
        if not len(self.experts) or not len(self.node_ids) or not rows or not node_ids:
            return out
        col_of = {n: j for j, n in enumerate(self.node_ids)}
        src_c = np.array([col_of.get(n, -1) for n in node_ids])
        if rows is self.experts:
            src_r = np.arange(len(rows))
        else:
            row_of = self._row_of
            src_r = np.array([row_of.get(e.id, -1) for e in rows])
        r_ok, c_ok = np.flatnonzero(src_r >= 0), np.flatnonzero(src_c >= 0)
        out[np.ix_(r_ok, c_ok)] = self.cells[np.ix_(src_r[r_ok], src_c[c_ok])]
        return out


def ratings_of(cells: np.ndarray) -> np.ndarray:
    """Float ratings from cells: NaN for missing and "no opinion"."""
    out = cells.astype(float)
    out[cells < 0] = np.nan
    return out


def load(round_ids: list[int], experts: dict[int, Expert]) -> dict[int, Submitted]:
    """The submitted answers of ``round_ids`` (three statements, whatever their number).
    ``experts``: the study's experts by id."""
    loaded = {i: Submitted([], [], np.zeros((0, 0), dtype=np.int8)) for i in round_ids}
    if not round_ids:
        return loaded
    submitted = (Response.round_id.in_(round_ids), Response.status == ResponseStatus.submitted)
    who: dict[int, list[Expert]] = {i: [] for i in round_ids}
    for round_id, expert_id in db.session.execute(
            select(Response.round_id, Response.expert_id).where(*submitted)):
        who[round_id].append(experts[expert_id])
    # One row per questionnaire, its cells as "node,code,node,code…" built by the database (group_concat /
    # string_agg): 500 rows to read instead of 31,500 at 1,000 experts.
    is_no_opinion = cast(Rating.no_opinion, Integer)
    code = func.coalesce(Rating.value, NO_OPINION * is_no_opinion + MISSING * (1 - is_no_opinion))
    cell = cast(Rating.node_id, String) + "," + cast(code, String)
    rows = db.session.execute(select(Response.round_id, Response.expert_id, func.aggregate_strings(cell, ","))
                              .join(Rating, Rating.response_id == Response.id).where(*submitted)
                              .group_by(Response.id, Response.round_id, Response.expert_id)).all()
    flat = _cells(rows)
    texts: dict[int, dict] = {i: {} for i in round_ids}
    for round_id, expert_id, node_id, comment, reason in db.session.execute(
            select(Response.round_id, Response.expert_id, Rating.node_id, Rating.comment, Rating.reason)
            .join(Rating, Rating.response_id == Response.id)
            .where(*submitted, or_(Rating.comment != "", Rating.reason != ""))):
        texts[round_id][(expert_id, node_id)] = (comment or "", reason or "")
    for round_id in round_ids:
        people = by_pseudonym(who[round_id])
        part = flat[flat[:, 0] == round_id]
        node_ids = sorted(set(part[:, 2].tolist()))
        cells = np.full((len(people), len(node_ids)), MISSING, dtype=np.int8)
        if len(part):
            row_of = {e.id: i for i, e in enumerate(people)}
            rows_ix = np.array([row_of[e] for e in part[:, 1].tolist()])
            cols_ix = np.searchsorted(np.array(node_ids), part[:, 2])
            cells[rows_ix, cols_ix] = part[:, 3]
        loaded[round_id] = Submitted(people, node_ids, cells, texts[round_id])
    return loaded


def _cells(rows) -> np.ndarray:
    """(round id, expert id, "node,code,…") rows as one int array of (round, expert, node, code)."""
    if not rows:
        return np.zeros((0, 4), dtype=np.int64)
    pairs = np.array(",".join(text for _r, _e, text in rows).split(","), dtype=np.int64).reshape(-1, 2)
    sizes = [(text.count(",") + 1) // 2 for _r, _e, text in rows]
    who = np.repeat(np.array([(r, e) for r, e, _t in rows], dtype=np.int64), sizes, axis=0)
    return np.hstack([who, pairs])


def by_pseudonym(experts) -> list[Expert]:
    return sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym))


# --- the frozen form -------------------------------------------------------------------------

def encode(submitted: Submitted) -> dict:
    """JSON-ready form: expert and node ids, int8 cells in base64, texts as rows."""
    return {
        "format": FORMAT,
        "experts": [e.id for e in submitted.experts],
        "nodes": list(submitted.node_ids),
        "cells": base64.b64encode(np.ascontiguousarray(submitted.cells, dtype=np.int8).tobytes()).decode("ascii"),
        "texts": sorted([expert_id, node_id, comment, reason]
                        for (expert_id, node_id), (comment, reason) in submitted.texts.items()),
        "drafts": sorted([expert_id, n] for expert_id, n in (submitted.drafts or {}).items()),
    }


def decode(payload: dict, experts: dict[int, Expert]) -> Submitted:
    """:func:`encode`'s output back into a :class:`Submitted` (``experts``: the study's, by id)."""
    people = [experts[i] for i in payload["experts"]]
    cells = np.frombuffer(base64.b64decode(payload["cells"]), dtype=np.int8).reshape(
        len(people), len(payload["nodes"])).copy()
    texts = {(e, n): (c, r) for e, n, c, r in payload["texts"]}
    return Submitted(people, list(payload["nodes"]), cells, texts, dict(map(tuple, payload["drafts"])))


def digest(payload: dict) -> str:
    """SHA-256 of the canonical JSON of an encoded :class:`Submitted`."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
