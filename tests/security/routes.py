"""Who may use each route: the ONE list the generated security tests read.

Every rule of ``app.url_map`` is tested (tests/security/test_access.py, test_csrf.py):

- a route in the ``coordinator`` blueprint needs a logged-in coordinator who owns the
  study (its ids), a route in the ``expert`` blueprint an invitation session of the
  study; nothing to add for those;
- any other route must be listed below: PUBLIC (with the reason), COORDINATOR_ONLY,
  EXPERT_ONLY or API_KEY (a study's published weights: public only when the study is). A new route that is in none of them fails the suite until it is
  classified here;
- every URL argument must have a value in ARGUMENTS (the name of an attribute of a
  ``world.Side``, or a constant). A new argument name fails the suite until added.

Keep PUBLIC small: every entry is a page anybody on the internet may call.
"""
from __future__ import annotations

PUBLIC = {
    "static": "stylesheets, scripts and the icon",
    "auth.index": "the home page",
    "auth.login": "the login form (throttled; tests/security/test_sessions.py)",
    "auth.logout": "ends whatever session the browser has",
    "auth.expert_leave": "ends whatever session the browser has",
    "auth.invitation": "exchanges an invitation token for an expert session (the token is the credential)",
    "auth.enter": "the page of an /i#<token> link: posts the token from the URL fragment (same exchange)",
    "api.health": "liveness probe, no data",
    "api.fresh_csrf_token": "a CSRF token for the caller's own session",
    "evaluator.invitation": "exchanges an evaluator's link token for an evaluator session (the token is the credential)",
}

# Outside the coordinator blueprint, but for logged-in coordinators only.
COORDINATOR_ONLY = {
    "auth.account", "auth.account_language", "auth.account_email", "auth.account_password",
    "auth.logout_everywhere",
}

# Outside the expert blueprint, but for experts (invitation session) only.
EXPERT_ONLY = {
    "api.save_answers",
    "api.save_judgments",
    "api.save_weight_answers",  # G1/BWM answers (g1bwm)
    "api.submit_weight_answers",
}

# Published weight sets: public when the study says so, otherwise only with the study's API key.
API_KEY = {
    "weights_api.listing", "weights_api.version_json", "weights_api.version_file",
    "weights_api.version_datapackage", "weights_api.latest",
}

BLUEPRINT_ROLES = {"coordinator": "coordinator", "expert": "expert", "evaluator": "evaluator"}

# URL argument -> world.Side attribute (str) or a constant value (Const).


class Const(str):
    """A literal argument value, not an attribute of the world."""


ARGUMENTS = {
    "study_id": "study_id",
    "round_id": "round_id",
    "node_id": "node_id",
    "expert_id": "expert_id",
    "group_id": "group_id",            # a stakeholder group of the study (groups)
    "proposal_id": "proposal_id",
    "version": "version",
    "evaluation_id": "evaluation_id",
    "action": Const("finish"),
    "token": "token",
    "table": Const("ratings"),
    "fmt": Const("csv"),
    "object_id": "object_id",          # an evaluated object of the evaluation (assigned to the evaluator)
    "evaluator_id": "evaluator_id",
    "direction": Const("up"),
    "filename": Const("css/app.css"),
}

# Numbers that count within a study (v1, v2 … of each study), not ids of their own: the
# "his study id, her other ids" check leaves them out (his study's v1 is his).
NUMBERED_WITHIN_STUDY = {"version"}

# Where one endpoint needs another value than ARGUMENTS gives.
AHP_ROUND = {"round_id": "ahp_round_id"}
G1_ROUND = {"round_id": "g1_round_id"}
ZERO_ROUND = {"round_id": "zero_round_id", "proposal_id": "zero_proposal_id"}
ENDPOINT_ARGUMENTS = {
    "coordinator.ahp_round_edit": AHP_ROUND, "coordinator.ahp_dashboard_page": AHP_ROUND,
    "coordinator.ahp_export_xlsx": AHP_ROUND, "coordinator.ahp_export_csv": {**AHP_ROUND, "table": Const("judgments")},
    "expert.ahp_round_page": AHP_ROUND, "api.save_judgments": AHP_ROUND,
    "coordinator.g1bwm_dashboard_page": G1_ROUND, "coordinator.g1bwm_export_xlsx": G1_ROUND,
    "coordinator.g1bwm_export_csv": {**G1_ROUND, "table": Const("answers")},
    "expert.g1bwm_round_page": G1_ROUND, "api.save_weight_answers": G1_ROUND, "api.submit_weight_answers": G1_ROUND,
    "coordinator.round_zero_proposals": ZERO_ROUND, "coordinator.round_zero_accept": ZERO_ROUND,
    "coordinator.round_zero_merge": ZERO_ROUND, "coordinator.round_zero_reject": ZERO_ROUND,
    "expert.round_zero_page": ZERO_ROUND, "expert.round_zero_propose": ZERO_ROUND,
    "expert.round_zero_withdraw": ZERO_ROUND, "expert.round_zero_comment": ZERO_ROUND,
    "expert.round_zero_submit": ZERO_ROUND,
    "coordinator.round_zero_edit": ZERO_ROUND, "coordinator.round_zero_preview": ZERO_ROUND,
    "coordinator.round_zero_export_csv": ZERO_ROUND, "coordinator.round_zero_export_xlsx": ZERO_ROUND,
    "coordinator.report_download": {"fmt": Const("docx")},  # pdf/docx only (pdf needs chromium: slow)
    "evaluator.invitation": {"token": "evaluator_token"},
    "coordinator.evaluation_report_file": {"fmt": Const("docx")},
}

# Converters the generator knows how to fill.
KNOWN_CONVERTERS = {"IntegerConverter", "UnicodeConverter", "PathConverter", "AnyConverter"}

HOW_TO = ("Classify it in tests/security/routes.py (PUBLIC with a reason, COORDINATOR_ONLY, "
          "EXPERT_ONLY or API_KEY) or put it in the coordinator/expert blueprint, whose guard the suite knows.")


def role_of(endpoint: str) -> str | None:
    if endpoint in PUBLIC:
        return "public"
    if endpoint in COORDINATOR_ONLY:
        return "coordinator"
    if endpoint in EXPERT_ONLY:
        return "expert"
    if endpoint in API_KEY:
        return "api_key"
    blueprint = endpoint.split(".", 1)[0] if "." in endpoint else None
    return BLUEPRINT_ROLES.get(blueprint)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def url_for_rule(rule, side, *, override=None) -> str:
    """The URL of ``rule`` with ids from ``side`` (``override``: another side for some args)."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        assert kind in KNOWN_CONVERTERS, (
            f"Route {rule.rule} uses the converter {kind} for {name!r}, which the security suite cannot "
            f"fill: add it to KNOWN_CONVERTERS and ARGUMENTS in tests/security/routes.py.")
        assert name in ARGUMENTS, (
            f"Route {rule.rule} (endpoint {rule.endpoint}) has the argument {name!r}, unknown to the "
            f"security suite: add it to ARGUMENTS in tests/security/routes.py with a value from "
            f"tests/security/world.py (an id of the study's own data).")
        source = ENDPOINT_ARGUMENTS.get(rule.endpoint, {}).get(name, ARGUMENTS[name])
        if isinstance(source, Const):
            values[name] = str(source)
        else:
            owner = (override or {}).get(name, side)
            values[name] = getattr(owner, source)
    return rule.build(values, append_unknown=False)[1]


def id_arguments(rule, *, global_only: bool = False) -> list[str]:
    return [name for name, source in ARGUMENTS.items()
            if name in rule.arguments and not isinstance(source, Const)
            and not (global_only and name in NUMBERED_WITHIN_STUDY)]
