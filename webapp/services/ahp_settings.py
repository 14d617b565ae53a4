"""Settings of an AHP round (``Round.settings["ahp"]``): defaults, checking, labels.

Pure functions over plain dicts; the round service stores the result and the
model freezes it when the round opens.
"""
from __future__ import annotations

import copy
import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import numpy as np

import ahp

PRIORITY_METHODS = {"eigen": _l("Principal eigenvector (Saaty)"),
                    "geometric": _l("Row geometric mean")}
CONSISTENCY_RULES = {"cr": _l("CR at most the threshold"),
                     "cr_saaty": _l("Saaty's limits by size (0.05 for 3, 0.08 for 4, 0.10 above)"),
                     "gci": _l("GCI thresholds (0.31 for 3, 0.35 for 4, 0.37 above)")}
OVER_THRESHOLD = {"revise": _l("The expert must revise the block"),
                  "reason": _l("The expert may submit with a reason")}
AGGREGATIONS = {"aij": _l("Aggregation of individual judgments (AIJ)"),
                "aip": _l("Aggregation of individual priorities (AIP)")}
EXPERT_WEIGHTS = {"equal": _l("Equal"),
                  "authority": _l("By the authority coefficient Cr"),
                  "manual": _l("Set by hand")}

DEFAULTS = {
    "priority_method": "eigen",
    "consistency": "cr",
    "threshold": 0.10,
    "over_threshold": "revise",
    "aggregation": "aij",
    "expert_weights": "equal",
    "manual_weights": {},
    "censor_cr": False,
    "allow_incomplete": False,
    "bootstrap": {"resamples": 1000, "seed": 0, "noise": 0.0},
    "stopping": {"s_star": 0.75, "max_change": 0.02, "max_rounds": 3},
}


class SettingsError(ValueError):
    """Refused AHP settings; the message names the setting."""


def _choice(value, allowed, name):
    if value not in allowed:
        raise SettingsError(_("%(name)s must be one of %(allowed)s.", name=name, allowed=", ".join(allowed)))
    return value


def _number(value, name, lo, hi, *, integer=False):
    try:
        num = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise SettingsError(_("%(name)s must be a number.", name=name)) from None
    if integer and isinstance(value, float) and not value.is_integer():
        raise SettingsError(_("%(name)s must be a whole number.", name=name))
    if not (math.isfinite(num) and lo <= num <= hi):
        raise SettingsError(_("%(name)s must be between %(lo)s and %(hi)s.", name=name, lo=lo, hi=hi))
    return num


def normalize(raw: dict | None) -> dict:
    """Complete ``raw`` with the defaults and check every value; a new dict."""
    raw = dict(raw or {})
    out = copy.deepcopy(DEFAULTS)
    unknown = set(raw) - set(DEFAULTS) - {"weights", "weights_source"}
    if unknown:
        raise SettingsError(_("Unknown AHP setting: %(name)s.", name=", ".join(sorted(unknown))))
    for key in ("bootstrap", "stopping"):
        out[key].update(raw.pop(key, None) or {})
    out.update(raw)
    _choice(out["priority_method"], PRIORITY_METHODS, "priority_method")
    _choice(out["consistency"], CONSISTENCY_RULES, "consistency")
    out["threshold"] = _number(out["threshold"], "threshold", 0.01, 0.5)
    _choice(out["over_threshold"], OVER_THRESHOLD, "over_threshold")
    _choice(out["aggregation"], AGGREGATIONS, "aggregation")
    _choice(out["expert_weights"], EXPERT_WEIGHTS, "expert_weights")
    manual = out["manual_weights"] or {}
    if not isinstance(manual, dict):
        raise SettingsError(_("manual_weights must map pseudonyms to weights."))
    out["manual_weights"] = {str(k): _number(v, "manual_weights", 0, 1000) for k, v in manual.items()}
    out["censor_cr"] = bool(out["censor_cr"])
    out["allow_incomplete"] = bool(out["allow_incomplete"])
    b = out["bootstrap"]
    b["resamples"] = _number(b.get("resamples"), "resamples", 0, 10000, integer=True)
    b["seed"] = _number(b.get("seed"), "seed", 0, 2**31 - 1, integer=True)
    b["noise"] = _number(b.get("noise"), "noise", 0, 2)
    s = out["stopping"]
    s["s_star"] = _number(s.get("s_star"), "s_star", 0, 1)
    s["max_change"] = _number(s.get("max_change"), "max_change", 0, 1)
    s["max_rounds"] = _number(s.get("max_rounds"), "max_rounds", 1, 20, integer=True)
    return out


def cr_threshold(settings: dict, n: int) -> float:
    """The CR limit an n x n block must meet (Saaty's by size, or the round's threshold)."""
    if settings["consistency"] == "cr_saaty":
        return ahp.SAATY_CR_LIMITS.get(n, 0.10)
    return float(settings["threshold"])


def consistent(settings: dict, n: int, cr, gci):
    """Whether a block (or array of blocks) passes the round's consistency rule."""
    if n <= 2:
        return np.ones(np.shape(cr), dtype=bool)
    if settings["consistency"] == "gci":
        return gci <= ahp.GCI_THRESHOLDS.get(n, 0.37)
    return cr <= cr_threshold(settings, n) + 1e-12


def rule_for(settings: dict, n: int) -> tuple[str, float]:
    """("CR" or "GCI", limit) shown beside a block of size n."""
    if settings["consistency"] == "gci":
        return "GCI", ahp.GCI_THRESHOLDS.get(max(n, 3), 0.37)
    return "CR", cr_threshold(settings, n)
