"""Publishing an evaluation's combined weights (subjective × objective) as a new weight-set version.

The ``"combined"`` source of weight sets. The evaluation's finished data (objects × leaf indicators)
give objective leaf weights; ``weighting.combine`` merges them with the pinned published set's global
leaf weights (``evaluation_weights.objective_and_combined``). A weight set needs the whole hierarchy,
so the combined leaf weights are summed upwards and each node's local weight is its share of its
parent's::

    g(parent) = Σ_{c ∈ children(parent)} g(c),    local(c) = g(c) / g(parent)

which keeps every leaf's global weight equal to the combined weight (to rounding). The provenance
names both parts: the published subjective set (id, version, checksum) and the objective part (the
evaluation, its number of objects and indicators, the SHA-256 of its data matrix, the method, the
combination and its coefficients). Publishing itself is ``weight_sets.publish_source`` (immutable,
checksummed, diff against the previous version, digest-guarded preview).
"""
from __future__ import annotations

import math

from flask_babel import gettext as _

from webapp.models import User
from webapp.services import evaluations, weight_sets
from webapp.services.evaluation_weights import COMBINATIONS, OBJECTIVE_METHODS, data_digest, objective_and_combined
from webapp.services.weight_sets import PublishError, Preview

FORMULAS = {
    "game_theory": "w = a_s*w_s + a_o*w_o, (W W^T) a = diag(W W^T), a / sum(a)",
    "linear": "w = a_s*w_s + a_o*w_o",
    "min_information": "w = sqrt(w_s*w_o) / sum_j sqrt(w_s,j*w_o,j)",
    "level_difference": "w = a_s*w_s + a_o*w_o, a maximising the spread of the objects' scores",
}
HIERARCHY_FORMULA = "g(parent) = sum of g(children); local(c) = g(c) / g(parent)"


def _local_weights(document: dict, combined: dict) -> dict:
    """Local weights of every non-goal node of ``document`` from the combined leaf weights."""
    parent = {n["code"]: n["parent"] for n in document["nodes"]}
    children: dict = {}
    for code, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(code)
    glob: dict = {}

    def total(code):
        if code not in glob:
            kids = children.get(code)
            glob[code] = combined[code] if not kids else math.fsum(total(k) for k in kids)
        return glob[code]

    local = {}
    for code, up in parent.items():
        if up is None:
            continue
        base = total(up)
        if base <= 0:
            raise PublishError(_("Every indicator under %(code)s has a combined weight of zero, so their local "
                                 "weights are undefined.", code=up))
        local[code] = total(code) / base
    return local


def combined_source(evaluation, *, objective: str = "entropy", combination: str = "game_theory") -> dict:
    """The ``"combined"`` source dict of ``weight_sets`` for a finished evaluation (see the module)."""
    if objective not in OBJECTIVE_METHODS:
        raise PublishError(_("Choose an objective method."))
    if combination not in COMBINATIONS:
        raise PublishError(_("Choose a combination method."))
    if not evaluation.is_finished:
        raise PublishError(_("Finish the evaluation first: combined weights are published from frozen data."))
    document = evaluations.document_of(evaluation)
    table = {k: v for k, v in evaluations.scores_table(evaluation).items() if v}
    if not table:
        raise PublishError(_("This evaluation has no scores: there is nothing to compute objective weights from."))
    try:
        result = objective_and_combined(document, table, objective=objective, combination=combination,
                                        bands=evaluations.settings_of(evaluation)["bands"])
    except ValueError as exc:
        raise PublishError(str(exc)) from None
    pinned = evaluation.weight_set
    combined = dict(zip(result.leaves, result.combined))
    coefficients = [float(a) for a in result.coefficients]
    subjective_provenance = pinned.payload.get("provenance") or {}
    return {
        "kind": "combined",
        "local_weights": _local_weights(document, combined),
        "method": {
            "objective_method": objective, "combination": combination, "coefficients": coefficients,
            "formula": FORMULAS[combination], "hierarchy_formula": HIERARCHY_FORMULA,
            "subjective_method": (pinned.payload.get("method") or {}).get("kind"),
        },
        "panel": dict(pinned.payload.get("panel") or {}),
        "provenance": {
            "subjective": {"weight_set_id": pinned.id, "version": pinned.version, "checksum": pinned.checksum,
                           "source": subjective_provenance.get("source"),
                           "round_ids": list(subjective_provenance.get("round_ids") or [])},
            "objective": {"method": objective, "evaluation_id": evaluation.id, "evaluation_title": evaluation.title,
                          "objects": len(result.objects), "indicators": len(result.leaves),
                          "data_sha256": data_digest(result.leaves, result.objects, table)},
            "combination": {"method": combination, "coefficients": coefficients,
                            "coefficient_order": ["subjective", "objective"]},
        },
    }


def preview(evaluation, *, objective: str, combination: str) -> Preview:
    """What publishing the combined weights now would freeze (next version of the study), with its diff."""
    source = combined_source(evaluation, objective=objective, combination=combination)
    return weight_sets.preview_source(evaluation.study, source, origin=evaluation)


def publish(evaluation, *, objective: str, combination: str, expected_digest: str, by: User | None = None,
            label: str = ""):
    """Freeze the combined weights as the study's next version; refused (nothing stored) if the preview is stale."""
    source = combined_source(evaluation, objective=objective, combination=combination)
    return weight_sets.publish_source(evaluation.study, source, by=by, label=label, expected_digest=expected_digest)
