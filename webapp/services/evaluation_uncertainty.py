"""Plausible weight vectors for an evaluation's uncertainty: the panel behind the pinned weight set.

For a weight set published from a Delphi round (``"delphi-mean-rating"``: w_i = mean_i / Σ siblings),
the experts are resampled with replacement (Saisana & Saltelli's expert-panel bootstrap), the means
recomputed and normalised within each sibling group, giving samples of every local weight. Fixed
seed and number of samples, reported with the result.

For a weight set published from an AHP round (``method.kind == "ahp"``), the samples are that round's
bootstrap over experts: ``ahp.bootstrap_weights`` on the round's submitted judgments (each block's
matrices and expert weights as the round analysed them, its aggregation and priority method), seeded,
each resample's global weights turned back into local weights (local = global / parent's global).
For a weight set published from a G1 or BWM round (``method.kind`` "g1" / "bwm"), the experts are
resampled the same way (one draw of m experts with replacement per resample, the same draw for every
block, seeded): each block's group weights are recomputed exactly as publishing did them, the weighted
geometric mean (AIP) of the drawn experts' own G1/BWM weights with their frozen expert weights times
their multiplicity (``g1bwm_analysis``; Forman & Peniwati 1998)::

    w_j(s) ∝ exp( Σ_k c_k(s) α_k log v_kj / Σ_k c_k(s) α_k ),   c_k(s) = times expert k is drawn in resample s

All resamples at once: one (K × k) @ (k × n) product per block. A resample in which no drawn expert
answered a block (or all drawn expert weights are 0) is dropped.

For a combined set (``method.kind == "combined"``) the samples of the subjective set it names are
propagated through the same combination with the published coefficients held fixed; the objective
weights come from the named evaluation's data (recomputed, and only while those data still have the
published SHA-256) and do not vary::

    w(s) = α_s w_s(s) + α_o w_o          (linear, game theory, level difference)
    w(s) ∝ sqrt(w_s(s) w_o)              (minimum information)

then summed up the hierarchy as publishing did (g(parent) = Σ g(children), local = g(c) / g(parent)).
Other sources give no samples (None).

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
import evaluation as ev
from webapp.extensions import db
from webapp.models import Evaluation, Node, Round, RoundKind, RoundStatus, WeightSet
from webapp.services import ahp_rounds, g1bwm_analysis, memo
from webapp.services.evaluation_weights import data_digest, objective_and_combined
from webapp.services.g1bwm_answers import method_of
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
    source: str = "delphi"     # "delphi", "ahp", "g1", "bwm" or "combined": whose panel the samples come from
    base: str = ""             # for "combined": the source of the subjective set's samples
    objective: str = ""        # for "combined": the objective method whose weights are held fixed


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


def resample_counts(experts: int, *, resamples: int, seed: int) -> np.ndarray:
    """(resamples, experts) multiplicities of a bootstrap over experts.

    Draws ``numpy.random.default_rng(seed).integers(0, experts, size=(resamples, experts))`` (the draw
    of ``ahp.bootstrap_weights``) and counts how often each expert is drawn in each resample.
    """
    if experts < 1:
        raise ValueError(f"experts must be at least 1; got {experts}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1; got {resamples}")
    draws = np.random.default_rng(seed).integers(0, experts, size=(resamples, experts))
    flat = (draws + experts * np.arange(resamples)[:, None]).ravel()
    return np.bincount(flat, minlength=resamples * experts).reshape(resamples, experts).astype(float)


def geometric_group_samples(individual: np.ndarray, alpha: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Weighted geometric means of ``individual`` (k, n) under expert weights ``alpha`` × ``counts`` (K, k).

    Row s is ``weighting.aggregate(individual, weights=alpha * counts[s])``, vectorised as one matrix
    product of the weights with the log weights; rows whose weights are all 0 are NaN. A weight of 0
    given by a drawn expert gives 0 in the group (as in ``weighting.aggregate``).
    """
    v = np.asarray(individual, dtype=float)
    v = v / v.sum(axis=1, keepdims=True)
    a = counts * np.asarray(alpha, dtype=float)[None, :]              # (K, k)
    total = a.sum(axis=1, keepdims=True)
    zero = v <= 0
    with np.errstate(divide="ignore"):
        logv = np.where(zero, 0.0, np.log(np.where(zero, 1.0, v)))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (a @ logv) / total                                         # (K, n)
    g = np.where((a > 0).astype(float) @ zero.astype(float) > 0, 0.0, np.exp(t))
    with np.errstate(invalid="ignore", divide="ignore"):
        return g / g.sum(axis=1, keepdims=True)


def g1bwm_samples(document: dict, tree, study_id: int, *, resamples: int = RESAMPLES,
                  seed: int = SEED) -> WeightSamples | None:
    """Bootstrap over the experts of the G1/BWM round behind a published set, as local weights, or None."""
    provenance = document.get("provenance") or {}
    kind = (document.get("method") or {}).get("kind")
    if kind not in ("g1", "bwm") or not provenance.get("round_ids"):
        return None
    rnd = db.session.get(Round, provenance["round_ids"][0])
    if (rnd is None or rnd.study_id != study_id or rnd.kind is not RoundKind.ahp
            or rnd.status is not RoundStatus.closed or method_of(rnd) != kind):
        return None
    analysis = g1bwm_analysis.analysis_of(rnd)
    position = {p: i for i, p in enumerate(analysis.pseudonyms)}
    if len(position) < 2:
        return None
    counts = resample_counts(len(position), resamples=resamples, seed=seed)
    local = np.tile(np.asarray(tree.local, dtype=float), (resamples, 1))
    column = {c: j for j, c in enumerate(tree.codes)}
    for block in analysis.blocks.values():
        if block.group is None or any(c not in column for c in block.children):
            continue
        rows = [position[p] for p in block.pseudonyms]
        group = geometric_group_samples(block.individual, block.expert_weights, counts[:, rows])
        local[:, [column[c] for c in block.children]] = group
    local = local[np.isfinite(local).all(axis=1)]
    if local.shape[0] < 2:
        return None
    return WeightSamples(local=local, experts=len(position), round_number=rnd.number,
                         resamples=int(local.shape[0]), seed=seed, source=kind)


def combine_samples(subjective: np.ndarray, objective: np.ndarray, *, combination: str,
                    coefficients) -> np.ndarray:
    """Each row of ``subjective`` (K, L) combined with the fixed ``objective`` (L,) weights.

    ``w = α_s w_s + α_o w_o`` for the linear kinds (linear, game theory, level difference: the published
    coefficients are held fixed), ``w ∝ sqrt(w_s w_o)`` for "min_information" (``weighting.combine``);
    every vector is first scaled to sum 1.
    """
    ws = np.asarray(subjective, dtype=float)
    ws = ws / ws.sum(axis=1, keepdims=True)
    wo = np.asarray(objective, dtype=float)
    wo = wo / wo.sum()
    if combination == "min_information":
        g = np.sqrt(ws * wo[None, :])
        return g / g.sum(axis=1, keepdims=True)
    a = np.asarray(coefficients, dtype=float).ravel()
    if a.shape != (2,) or (a < 0).any() or not a.sum() > 0:
        raise ValueError(f"coefficients must be two non-negative numbers (subjective, objective); got {a}")
    a = a / a.sum()
    return a[0] * ws + a[1] * wo[None, :]


def local_from_leaves(tree, leaf_globals: np.ndarray) -> np.ndarray:
    """(K, len(tree.codes)) local weights from (K, len(tree.leaves)) global leaf weights.

    g(node) = Σ of its leaves' g; local(c) = g(c) / g(parent(c)); the root column is 1.
    """
    n = len(tree.codes)
    below = np.zeros((n, len(tree.leaves)))
    for j, k in enumerate(tree.leaf_index):
        while k >= 0:
            below[k, j] = 1.0
            k = tree.parent[k]
    glob = np.asarray(leaf_globals, dtype=float) @ below.T
    local = np.ones_like(glob)
    parent = np.asarray(tree.parent)
    with np.errstate(invalid="ignore", divide="ignore"):
        local[:, 1:] = glob[:, 1:] / glob[:, parent[1:]]
    return local


def _objective_weights(evaluation: Evaluation, objective: dict, method: dict) -> dict | None:
    """{leaf: objective weight} recomputed from the evaluation's data, if they still have the published digest."""
    table = {o.name: {s.code: s.value for s in o.scores} for o in evaluation.objects}
    table = {k: v for k, v in table.items() if v}
    try:
        result = objective_and_combined(evaluation.weight_set.payload, table,
                                        objective=method.get("objective_method", ""),
                                        combination=method.get("combination", ""),
                                        bands=(evaluation.settings or {}).get("bands"))
    except ValueError:
        return None
    if data_digest(result.leaves, result.objects, table) != objective.get("data_sha256"):
        return None
    return dict(zip(result.leaves, result.objective))


def combined_samples(document: dict, tree, study_id: int) -> WeightSamples | None:
    """A combined set's samples: its subjective set's samples through the same combination, or None."""
    method = document.get("method") or {}
    provenance = document.get("provenance") or {}
    subjective, objective = provenance.get("subjective") or {}, provenance.get("objective") or {}
    if method.get("kind") != "combined" or not subjective.get("weight_set_id"):
        return None
    pinned = db.session.get(WeightSet, subjective["weight_set_id"])
    evaluation = db.session.get(Evaluation, objective.get("evaluation_id") or 0)
    if (pinned is None or pinned.study_id != study_id or pinned.checksum != subjective.get("checksum")
            or evaluation is None or evaluation.study_id != study_id or evaluation.weight_set_id != pinned.id):
        return None
    sub_document = pinned.payload
    sub_tree = ev.WeightTree.from_dict(sub_document)
    if set(sub_tree.leaves) != set(tree.leaves):
        return None
    base = weight_samples(sub_document, sub_tree, study_id)
    fixed = _objective_weights(evaluation, objective, method)
    if base is None or fixed is None or set(fixed) != set(tree.leaves):
        return None
    at = {c: j for j, c in enumerate(sub_tree.leaves)}
    subjective_leaves = sub_tree.leaf_weights(base.local)[:, [at[c] for c in tree.leaves]]
    combined = combine_samples(subjective_leaves, np.array([fixed[c] for c in tree.leaves]),
                               combination=method.get("combination", ""), coefficients=method.get("coefficients"))
    local = local_from_leaves(tree, combined)
    local = local[np.isfinite(local).all(axis=1)]
    if local.shape[0] < 2:
        return None
    return WeightSamples(local=local, experts=base.experts, round_number=base.round_number,
                         resamples=int(local.shape[0]), seed=base.seed, source="combined", base=base.source,
                         objective=str(method.get("objective_method", "")))


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
    samples = (ahp_samples(document, tree, study_id) or g1bwm_samples(document, tree, study_id)
               or combined_samples(document, tree, study_id) or delphi_samples(document, tree, study_id))
    if samples is not None:
        samples.local.setflags(write=False)  # shared by later views: nobody may change it
    return samples


def weight_samples(document: dict, tree, study_id: int) -> WeightSamples | None:
    """Samples from the panel behind the pinned set: its AHP, G1/BWM or Delphi round's bootstrap, or, for a
    combined set, its subjective set's samples through the same combination (remembered when drawn from
    a closed round: a second view of the same evaluation draws nothing)."""
    key = _samples_key(document, tree, study_id)
    if key is None:
        return _draw(document, tree, study_id)
    return SAMPLES.get(key, lambda: _draw(document, tree, study_id))
