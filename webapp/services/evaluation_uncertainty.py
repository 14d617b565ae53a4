"""Plausible weight vectors for an evaluation's uncertainty: the panel behind the pinned weight set.

For a weight set published from a Delphi round (``"delphi-mean-rating"``: w_i = mean_i / Σ siblings),
the experts are resampled with replacement (Saisana & Saltelli's expert-panel bootstrap), the means
recomputed and normalised within each sibling group, giving samples of every local weight. Fixed
seed and number of samples, reported with the result. Other sources give no samples (None).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from webapp.services.round_data import round_matrix
from webapp.extensions import db
from webapp.models import Round, RoundKind

RESAMPLES = 1000
SEED = 20260101


@dataclass(frozen=True)
class WeightSamples:
    local: np.ndarray          # (resamples, len(tree.codes)) local weights, root column 1
    experts: int
    round_number: int
    resamples: int
    seed: int


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
