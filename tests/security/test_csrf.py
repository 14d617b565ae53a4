"""CSRF on every POST route, generated from ``app.url_map``: without a token, or with a
forged one, each POST is refused (400) by the caller who could otherwise use it, and the
database does not change. Views marked ``@keeps_data_on_csrf_failure`` re-render their form
(400) or, when the action is not possible anyway (a closed round), redirect — but never
change anything. Both a closed and an open round are tried."""
from __future__ import annotations

import pytest

from tests.security import routes
from tests.security.world import coordinator_client, evaluator_client, expert_client, fingerprint


def post_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.rule)


@pytest.mark.parametrize("which_round", ["closed", "open"])
def test_every_post_route_needs_the_csrf_token(app, world, which_round):
    if which_round == "open":
        world.alice.round_id = world.alice.open_round_id
    clients = {"coordinator": coordinator_client(app, world.alice), "expert": expert_client(app, world.alice),
               "evaluator": evaluator_client(app, world.alice),
               "public": app.test_client()}
    clients["public"].get("/login")  # a session with a CSRF secret of its own
    failures = []
    for rule in post_rules(app):
        role = routes.role_of(rule.endpoint)
        assert role is not None, f"{rule.endpoint} is unclassified. {routes.HOW_TO}"
        url = routes.url_for_rule(rule, world.alice)
        for token in (None, "20991231000000##" + "0" * 40):
            before = fingerprint(app)
            data = {} if token is None else {"csrf_token": token}
            response = clients[role].post(url, data=data, csrf=False)
            keeps_data = getattr(app.view_functions[rule.endpoint], "keeps_data_on_csrf_failure", False)
            if response.status_code != 400 and not (keeps_data and response.status_code in (302, 303)):
                failures.append(f"{role}: POST {url} ({rule.endpoint}) with token {token!r} "
                                f"answered {response.status_code}, not 400")
            elif fingerprint(app) != before:
                failures.append(f"{role}: POST {url} ({rule.endpoint}) was refused but changed the database")
        # JSON callers too: the header is the only place a JSON body can carry the token.
        response = clients[role].post(url, json={}, csrf=False)
        if response.status_code != 400:
            failures.append(f"{role}: JSON POST {url} without X-CSRF-Token answered {response.status_code}")
    assert not failures, "\n".join(failures)
    # the coordinator is still logged in: a refused POST logs nobody out
    assert clients["coordinator"].get("/studies/").status_code == 200
