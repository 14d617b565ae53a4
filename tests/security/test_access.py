"""Access control on every route, generated from ``app.url_map``.

For each rule and method: anonymous callers, the other coordinator (with the study's
ids, and with their own study id but the victim's other ids), an expert on coordinator
pages, another study's expert on expert pages, a coordinator on expert pages. Every
refusal must leave the database unchanged. A route the suite cannot classify or fill
fails with a message saying what to add to tests/security/routes.py.
"""
from __future__ import annotations

from tests.security import routes
from tests.security.world import coordinator_client, evaluator_client, expert_client, fingerprint

REFUSED = {403, 404}


def all_rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def rules_for(app, role: str):
    return [r for r in all_rules(app) if routes.role_of(r.endpoint) == role]


def call(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={})


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def check_refused(app, client, rule, url: str, ok, who: str, failures: list) -> None:
    for method in routes.methods_of(rule):
        before = fingerprint(app) if method != "GET" else None
        response = call(client, method, url)
        if not ok(response):
            failures.append(f"{who}: {method} {url} ({rule.endpoint}) answered {response.status_code}")
        elif before is not None and fingerprint(app) != before:
            failures.append(f"{who}: {method} {url} ({rule.endpoint}) was refused but changed the database")


def test_every_route_is_classified_and_fillable(app):
    unclassified = [f"{r.endpoint} {r.rule}" for r in all_rules(app) if routes.role_of(r.endpoint) is None]
    assert not unclassified, f"Routes unknown to the security suite: {unclassified}. {routes.HOW_TO}"
    stale = set(routes.PUBLIC) | routes.COORDINATOR_ONLY | routes.EXPERT_ONLY
    stale -= {r.endpoint for r in all_rules(app)}
    assert not stale, f"tests/security/routes.py lists endpoints that no longer exist: {sorted(stale)}"
    for rule in all_rules(app):
        for name, converter in rule._converters.items():
            assert type(converter).__name__ in routes.KNOWN_CONVERTERS, (
                f"{rule.rule}: converter {type(converter).__name__} — add it to KNOWN_CONVERTERS "
                f"and ARGUMENTS in tests/security/routes.py")
            assert name in routes.ARGUMENTS, (
                f"{rule.rule}: argument {name!r} — add it to ARGUMENTS in tests/security/routes.py")


def test_anonymous_callers_reach_no_private_route(app, world):
    client = app.test_client()
    failures: list[str] = []
    for rule in all_rules(app):
        role = routes.role_of(rule.endpoint)
        if role in ("public", "api_key"):  # api_key: test_published_weights_need_the_studys_own_key
            continue
        url = routes.url_for_rule(rule, world.alice)
        ok = (lambda r: is_login_redirect(r) or r.status_code == 401) if role == "coordinator" \
            else (lambda r: r.status_code in (401, 403))
        check_refused(app, client, rule, url, ok, "anonymous", failures)
    assert not failures, "\n".join(failures)


def test_the_owner_reaches_every_get_route(app, world):
    """The ids the generator fills in are real: without this the refusals below prove nothing."""
    client = coordinator_client(app, world.alice)
    failures = []
    for rule in rules_for(app, "coordinator"):
        if "GET" in rule.methods:
            url = routes.url_for_rule(rule, world.alice)
            status = client.get(url).status_code
            if status not in (200, 302):
                failures.append(f"owner: GET {url} ({rule.endpoint}) answered {status}")
    expert = expert_client(app, world.alice)
    for rule in rules_for(app, "expert"):
        if "GET" in rule.methods:
            url = routes.url_for_rule(rule, world.alice)
            status = expert.get(url).status_code
            if status not in (200, 302):
                failures.append(f"expert: GET {url} ({rule.endpoint}) answered {status}")
    evaluator = evaluator_client(app, world.alice)
    for rule in rules_for(app, "evaluator"):
        if "GET" in rule.methods:
            url = routes.url_for_rule(rule, world.alice)
            status = evaluator.get(url).status_code
            if status not in (200, 302):
                failures.append(f"evaluator: GET {url} ({rule.endpoint}) answered {status}")
    assert not failures, "\n".join(failures)


def test_another_coordinator_reaches_nothing_of_the_study(app, world):
    client = coordinator_client(app, world.bob)
    failures: list[str] = []
    for rule in rules_for(app, "coordinator"):
        ids = routes.id_arguments(rule)
        if not ids:
            continue
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, client, rule, url, lambda r: r.status_code in REFUSED, "bob with alice's ids",
                      failures)
        if "study_id" in ids and len(routes.id_arguments(rule, global_only=True)) > 1:
            # his own study, her round / indicator / expert / proposal
            mixed = routes.url_for_rule(rule, world.alice, override={"study_id": world.bob})
            check_refused(app, client, rule, mixed, lambda r: r.status_code in REFUSED,
                          "bob with his study id and alice's other ids", failures)
    assert not failures, "\n".join(failures)


def test_an_expert_reaches_no_coordinator_route(app, world):
    client = expert_client(app, world.alice)
    failures: list[str] = []
    for rule in rules_for(app, "coordinator"):
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, client, rule, url, lambda r: is_login_redirect(r) or r.status_code in (401, 403),
                      "alice's expert", failures)
    assert not failures, "\n".join(failures)


def test_another_studys_expert_reaches_nothing_of_the_study(app, world):
    client = expert_client(app, world.bob)
    failures: list[str] = []
    for rule in rules_for(app, "expert"):
        if not routes.id_arguments(rule):
            continue
        for round_id in (world.alice.round_id, world.alice.open_round_id):
            world.alice.round_id, saved = round_id, world.alice.round_id
            try:
                url = routes.url_for_rule(rule, world.alice)
            finally:
                world.alice.round_id = saved
            check_refused(app, client, rule, url, lambda r: r.status_code in REFUSED, "bob's expert", failures)
    assert not failures, "\n".join(failures)


def test_a_coordinator_is_not_an_expert(app, world):
    client = coordinator_client(app, world.alice)
    failures: list[str] = []
    for rule in rules_for(app, "expert"):
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, client, rule, url, lambda r: r.status_code in (401, 403), "alice (coordinator)",
                      failures)
    assert not failures, "\n".join(failures)


def test_published_weights_need_the_studys_own_key(app, world):
    """The weights API of a private study: its key opens it; no key, a session or another
    study's key do not (the same 404 as a study that does not exist)."""
    failures: list[str] = []
    anonymous, bob = app.test_client(), coordinator_client(app, world.bob)
    for rule in rules_for(app, "api_key"):
        url = routes.url_for_rule(rule, world.alice)
        own = anonymous.get(url, headers={"X-API-Key": world.alice.api_key})
        if rule.endpoint == "weights_api.listing":
            for who, response in (("anonymous", anonymous.get(url)), ("bob's session", bob.get(url)),
                                  ("bob's key", anonymous.get(url, headers={"X-API-Key": world.bob.api_key}))):
                if "Labelalicex" in response.get_data(as_text=True):
                    failures.append(f"{who}: {url} lists alice's private weight set")
            if "Labelalicex" not in own.get_data(as_text=True):
                failures.append(f"alice's key: {url} does not list her weight set")
            continue
        if own.status_code not in (200, 302):
            failures.append(f"alice's key: GET {url} answered {own.status_code}")
        for who, response in (("anonymous", anonymous.get(url)), ("bob's session", bob.get(url)),
                              ("bob's key", anonymous.get(url, headers={"X-API-Key": world.bob.api_key})),
                              ("bob's key as bearer", anonymous.get(
                                  url, headers={"Authorization": f"Bearer {world.bob.api_key}"}))):
            if response.status_code != 404:
                failures.append(f"{who}: GET {url} ({rule.endpoint}) answered {response.status_code}")
    assert not failures, "\n".join(failures)


def test_another_evaluations_evaluator_reaches_nothing_of_it(app, world):
    client = evaluator_client(app, world.bob)
    failures: list[str] = []
    for rule in rules_for(app, "evaluator"):
        if not routes.id_arguments(rule):
            continue
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, client, rule, url, lambda r: r.status_code in REFUSED, "bob's evaluator", failures)
    assert not failures, "\n".join(failures)


def test_an_evaluator_is_neither_coordinator_nor_expert_and_they_are_not_evaluators(app, world):
    evaluator = evaluator_client(app, world.alice)
    failures: list[str] = []
    for rule in rules_for(app, "coordinator"):
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, evaluator, rule, url, lambda r: is_login_redirect(r) or r.status_code in (401, 403),
                      "alice's evaluator", failures)
    for rule in rules_for(app, "expert"):
        url = routes.url_for_rule(rule, world.alice)
        check_refused(app, evaluator, rule, url, lambda r: r.status_code in (401, 403), "alice's evaluator",
                      failures)
    for who, client in (("alice", coordinator_client(app, world.alice)), ("expert", expert_client(app, world.alice))):
        for rule in rules_for(app, "evaluator"):
            url = routes.url_for_rule(rule, world.alice)
            check_refused(app, client, rule, url, lambda r: r.status_code in (401, 403), who, failures)
    assert not failures, "\n".join(failures)
