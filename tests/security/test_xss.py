"""Stored XSS: every free-text column of every model holds a script payload, then every
GET page (generated from the URL map) is opened as the owner, as two experts of the study,
and anonymously. No page may carry the payload as markup; the escaped text must show
where the data is displayed (so the test is not vacuous)."""
from __future__ import annotations

from tests.security import routes
from tests.security.payloads import fill
from tests.security.world import coordinator_client, evaluator_client, expert_client

RAW = "<svg onload=alert("
ESCAPED = "&lt;svg onload=alert("


def payload(i: int, length: int) -> str:
    return f'<svg onload=alert({i})>"\'x'[:length]


def pages(app, world):
    visitors = {"owner": coordinator_client(app, world.alice), "expert": expert_client(app, world.alice, 0),
                "evaluator": evaluator_client(app, world.alice),
                "other expert": expert_client(app, world.alice, 1), "anonymous": app.test_client()}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        role = routes.role_of(rule.endpoint)
        who = {"coordinator": ["owner"], "expert": ["expert", "other expert"],
               "public": ["anonymous", "owner"], "api_key": ["anonymous"], "evaluator": ["evaluator"]}[role]
        for name in who:
            for round_id in {world.alice.round_id, world.alice.open_round_id}:
                saved, world.alice.round_id = world.alice.round_id, round_id
                try:
                    url = routes.url_for_rule(rule, world.alice)
                finally:
                    world.alice.round_id = saved
                response = visitors[name].get(url, follow_redirects=rule.endpoint == "auth.invitation")
                yield name, url, response


def test_no_page_renders_a_stored_payload_as_markup(app, world):
    written = fill(app, payload)
    failures, shown = [], set()
    for who, url, response in pages(app, world):
        if response.mimetype != "text/html":
            continue
        body = response.get_data(as_text=True)
        if RAW in body:
            at = body.index(RAW)
            failures.append(f"{who} GET {url}: …{body[max(0, at - 80):at + 40]!r}")
        for column, value in written.items():
            if ")" not in value:  # a column too short for the whole payload
                continue
            if ESCAPED + value[len(RAW):value.index(")")] in body:
                shown.add(column)
    assert not failures, "\n".join(failures)
    expected = {"evaluation.title", "evaluated_object.name", "weight_set.label", "study.title", "node.name_zh",
                "node.name_en", "node.code", "expert.name", "expert.email", "expert.organisation", "rating.comment", "proposal.text", "round.title", "rating.reason", "user.email"}
    missing = expected - shown
    assert not missing, f"never displayed, so not tested: {sorted(missing)}; shown: {sorted(shown)}"
