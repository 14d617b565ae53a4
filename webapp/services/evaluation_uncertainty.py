"""Plausible weight vectors for an evaluation's uncertainty: the panel behind the pinned weight set.

For a weight set published from a Delphi round (``"delphi-mean-rating"``: w_i = mean_i / Σ siblings),
the experts are resampled with replacement (Saisana & Saltelli's expert-panel bootstrap), the means
recomputed and normalised within each sibling group, giving samples of every local weight. Fixed
seed and number of samples, reported with the result.

For a weight set published from an AHP round (``method.kind == "ahp"``), the samples are that round's
bootstrap over experts: ``ahp.bootstrap_weights`` on the round's submitted judgments (each block's
matrices and expert weights as the round analysed them, its aggregation and priority method), seeded,
each resample's global weights turned back into local weights (local = global / parent's global).
Other sources (G1/BWM, combined sets) give no samples (None).

Drawing them costs 130 ms (Delphi) to 390 ms (AHP) per results page, so :func:`weight_samples`
remembers them in-process (``SAMPLES``, a bounded LRU of read-only arrays, each worker its own),
keyed by everything they are drawn from: the published document (a published version never
changes), the round's id and ``closed_at`` (a reopened round is not remembered; closing it again
changes the key), the study's indicator codes, the seed and the number of samples. Chosen over a
table: the samples are a deterministic function of data that is already stored, so losing them
costs a redraw and never a wrong figure, and nothing needs a migration, an export or an import.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

import ahp
from webapp.extensions import db
from webapp.models import Node, Round, RoundKind, RoundStatus
from webapp.services import ahp_rounds, memo
from webapp.services.round_data import round_matrix

RESAMPLES = 1000
SEED = 20260101


@dataclass(frozen=True)
class WeightSamples:
    local: np.ndarray          # (resamples, len(tree.codes)) local weights, root column 1
    experts: int
    round_number: int
    resamples: int
    seed: int
    source: str = "delphi"     # "delphi" or "ahp": whose panel the samples come from


def delphi_samples(document: dict, tree, study_id: int, *, resamples: int = RESAMPLES,
                   seed: int = SEED) -> WeightSamples | None:
    """Bootstrap samples of the local weights of a Delphi-published weight set, or None."""
    provenance = document.get("provenance") or {}
    if (document.get("method") or {}).get("name") != "delphi-mean-rating" or not provenance.get("round_ids"):
        return None
    rnd = db.session.get(Round, provenance["round_ids"][0])
    if rnd is None or rnd.study_id != study_id or rnd.kind is not RoundKind.delphi:
        return None
    by_code = {n.code: n for n in rnd.study.nodes}
    nodes = [by_code.get(c) for c in tree.codes[1:]]
    if any(n is None for n in nodes):
        return None
    ratings = round_matrix(rnd, nodes=nodes).ratings            # (experts, nodes-1), NaN = no opinion
    m = ratings.shape[0]
    if m < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = ratings[rng.integers(0, m, size=(resamples, m))]     # (K, m, n)
    answered = (~np.isnan(draws)).sum(axis=1)
    overall = np.nanmean(ratings, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(answered > 0, np.nansum(draws, axis=1) / np.maximum(answered, 1), overall)
    local = np.ones((resamples, len(tree.codes)))
    child = tree.child_matrix() > 0
    for p in np.flatnonzero(child.any(axis=1)):
        kids = np.flatnonzero(child[p])
        block = means[:, kids - 1]
        local[:, kids] = block / block.sum(axis=1, keepdims=True)
    return WeightSamples(local=local, experts=m, round_number=rnd.number, resamples=resamples, seed=seed)


def ahp_samples(document: dict, tree, study_id: int, *, resamples: int = RESAMPLES,
                seed: int = SEED) -> WeightSamples | None:
    """The AHP round's bootstrap over experts as local-weight samples of the pinned tree, or None."""
    provenance = document.get("provenance") or {}
    if (document.get("method") or {}).get("kind") != "ahp" or not provenance.get("round_ids"):
        return None
    rnd = db.session.get(Round, provenance["round_ids"][0])
    if (rnd is None or rnd.study_id != study_id or rnd.kind is not RoundKind.ahp
            or rnd.status is not RoundStatus.closed or ahp_rounds.options_of(rnd).get("method", "ahp") != "ahp"):
        return None
    analysis = ahp_rounds.analysis_of(rnd, bootstrap=False)
    hierarchy = analysis.hierarchy
    if hierarchy is None or len(analysis.pseudonyms) < 2:
        return None
    options = ahp_rounds.options_of(rnd)
    boot = ahp.bootstrap_weights(hierarchy, {p: b.matrices for p, b in analysis.blocks.items()},
                                 {p: b.weights for p, b in analysis.blocks.items()}, resamples=resamples,
                                 aggregation=analysis.aggregation, method=options["priority_method"], seed=seed)
    column = {c: j for j, c in enumerate(boot.codes)}
    codes = tree.codes
    if any(c not in column for c in codes[1:]):
        return None
    glob = np.ones((boot.samples.shape[0], len(codes)))
    glob[:, 1:] = boot.samples[:, [column[c] for c in codes[1:]]]
    parent = np.asarray(tree.parent)
    local = np.ones_like(glob)
    with np.errstate(invalid="ignore", divide="ignore"):
        local[:, 1:] = glob[:, 1:] / glob[:, parent[1:]]
    local = local[np.isfinite(local).all(axis=1)]           # a resample with no weighted expert in a block
    if local.shape[0] < 2:
        return None
    return WeightSamples(local=local, experts=len(analysis.pseudonyms), round_number=rnd.number,
                         resamples=int(local.shape[0]), seed=seed, source="ahp")


#: Recent evaluations' samples (about 0.6 MB each at 1,000 samples of 70 weights).
SAMPLES = memo.Memo(16)


def _samples_key(document: dict, tree, study_id: int) -> tuple | None:
    """What the samples of ``document`` are drawn from, or None when they may still change (the
    source round is not closed)."""
    round_ids = (document.get("provenance") or {}).get("round_ids") or []
    rnd = db.session.get(Round, round_ids[0]) if round_ids else None
    if rnd is None or rnd.status is not RoundStatus.closed or rnd.closed_at is None:
        return None
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    codes = sorted(db.session.execute(select(Node.id, Node.code).where(Node.study_id == study_id)).all())
    return ("weight-samples", hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(tree.codes), study_id,
            rnd.id, rnd.closed_at.isoformat(), tuple(map(tuple, codes)), RESAMPLES, SEED)


def _draw(document: dict, tree, study_id: int) -> WeightSamples | None:
    samples = ahp_samples(document, tree, study_id) or delphi_samples(document, tree, study_id)
    if samples is not None:
        samples.local.setflags(write=False)  # shared by later views: nobody may change it
    return samples


def weight_samples(document: dict, tree, study_id: int) -> WeightSamples | None:
    """Samples from the panel behind the pinned set: its AHP round's bootstrap, or its Delphi round's
    (remembered: a second view of the same evaluation draws nothing)."""
    key = _samples_key(document, tree, study_id)
    if key is None:
        return _draw(document, tree, study_id)
    return SAMPLES.get(key, lambda: _draw(document, tree, study_id))
