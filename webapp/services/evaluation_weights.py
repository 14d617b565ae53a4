"""Objective and combined weights from an evaluation's data, beside the published subjective set.

The objects × leaf-indicators score matrix feeds an objective method of ``weighting/``; the result
is combined with the published global leaf weights (``weighting.combine``). Pure: document and
scores in, rows out. Publishing the combined set as a new version is the publishing service's job.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _

import evaluation as ev
import weighting
from evaluation.scoring import scores_to_matrix
from webapp.models.weight_set import canonical_json

OBJECTIVE_METHODS = ("entropy", "critic", "coefficient_of_variation", "mean_square_deviation")
COMBINATIONS = ("game_theory", "linear", "min_information", "level_difference")


def method_label(key: str) -> str:
    return {"entropy": _("Entropy weight method"), "critic": _("CRITIC"),
            "coefficient_of_variation": _("Coefficient of variation"),
            "mean_square_deviation": _("Mean square deviation"),
            "game_theory": _("Game theory combination"), "linear": _("Linear combination (α = 0.5)"),
            "min_information": _("Minimum information (√(w_s·w_o))"),
            "level_difference": _("Level-difference maximisation")}.get(key, key)


@dataclass(frozen=True)
class CombinedWeights:
    objective_method: str
    combination: str
    coefficients: list           # α of (subjective, objective)
    leaves: tuple
    subjective: list
    objective: list
    combined: list
    objects: tuple
    totals: dict                 # {"subjective"|"objective"|"combined": [T per object]}
    ranks: dict
    stars: dict
    note: str = ""


def data_digest(leaves, objects, table: dict) -> str:
    """SHA-256 of the data matrix the objective weights came from (objects × leaves, canonical JSON)."""
    matrix = {"indicators": list(leaves), "objects": list(objects),
              "values": [[float(table[o][c]) for c in leaves] for o in objects]}
    return hashlib.sha256(canonical_json(matrix).encode("utf-8")).hexdigest()


def _ranks(t: np.ndarray) -> list[int]:
    return [int(1 + np.sum(t > v + 1e-12)) for v in t]


def objective_and_combined(document: dict, scores: dict, *, objective: str = "entropy",
                           combination: str = "game_theory", bands=None) -> CombinedWeights:
    """Objective leaf weights from the data, combined with the published global leaf weights.

    Raises ``ValueError`` (translated) when data are incomplete or too few objects, or a method refuses.
    """
    if objective not in OBJECTIVE_METHODS:
        raise ValueError(_("Choose an objective method."))
    if combination not in COMBINATIONS:
        raise ValueError(_("Choose a combination method."))
    tree = ev.WeightTree.from_dict(document)
    objs, x = scores_to_matrix(tree, scores)
    if np.isnan(x).any():
        raise ValueError(_("Objective weights need every score of every object."))
    if len(objs) < 3:
        raise ValueError(_("Objective weights need at least three evaluated objects."))
    subjective = tree.glob[tree.leaf_index]
    if objective == "coefficient_of_variation":
        if (x <= 0).any():
            raise ValueError(_("The coefficient of variation needs positive scores."))
        obj = weighting.coefficient_of_variation(x)
    else:
        obj = getattr(weighting, objective)(x)
    kwargs = {"coefficients": [0.5, 0.5]} if combination == "linear" else {}
    if combination == "level_difference":
        kwargs["x"] = x
    comb = weighting.combine(np.vstack([subjective, obj.weights]), combination, **kwargs)
    note = ""
    if getattr(comb, "negative_coefficient", False):
        note = _("The unconstrained game-theory solution had a negative coefficient; it was re-solved with α ≥ 0.")
    vectors = {"subjective": subjective, "objective": obj.weights, "combined": comb.weights}
    totals = {k: x @ w for k, w in vectors.items()}
    graded = {k: ev.grade(np.clip(t, 0, 100), bands).stars.tolist() for k, t in totals.items()}
    return CombinedWeights(
        objective_method=objective, combination=combination,
        coefficients=[float(a) for a in np.asarray(comb.coefficients).ravel()] if comb.coefficients is not None else [],
        leaves=tree.leaves, subjective=subjective.tolist(), objective=np.asarray(obj.weights).tolist(),
        combined=np.asarray(comb.weights).tolist(), objects=objs,
        totals={k: t.tolist() for k, t in totals.items()}, ranks={k: _ranks(t) for k, t in totals.items()},
        stars=graded, note=note)
