"""Anonymity: no expert-facing page, JSON answer or file names another expert or shows
another expert's own answers. Every GET route an expert can open (generated from the URL
map: the expert blueprint, EXPERT_ONLY and PUBLIC) is read by the second expert of the
study, for the closed and the open round; an autosave answer is read too."""
from __future__ import annotations

from tests.security import routes
from tests.security.world import expert_client


def expert_bodies(app, world, k: int):
    client = expert_client(app, world.alice, k)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in ("static", "auth.invitation"):
            continue
        if routes.role_of(rule.endpoint) not in ("expert", "public"):
            continue
        for round_id in (world.alice.round_id, world.alice.open_round_id):
            saved, world.alice.round_id = world.alice.round_id, round_id
            try:
                url = routes.url_for_rule(rule, world.alice)
            finally:
                world.alice.round_id = saved
            response = client.get(url, follow_redirects=True)
            yield url, response.get_data(as_text=True)
    # the autosave's JSON answer
    from webapp.extensions import db
    from webapp.models import Round

    with app.app_context():
        node = db.session.get(Round, world.alice.open_round_id).items[2].node_id
    response = client.post(f"/api/v1/rounds/{world.alice.open_round_id}/answers",
                           json={"answers": [{"node_id": node, "value": 2}]})
    yield "autosave", response.get_data(as_text=True)


def test_no_expert_sees_another_experts_identity_or_proposals(app, world):
    k = 1
    others = [identity for i, identity in enumerate(world.alice.identities) if i != k]
    secrets = []
    for identity in others:
        secrets += [identity["name"], identity["email"], identity["organisation"]]
    secrets += ["Proposalalice0x"]                            # the first expert's own proposal
    secrets += [token for i, (_e, token) in enumerate(world.alice.experts) if i != k]
    own = world.alice.identities[k]
    seen_own = False
    failures = []
    for url, body in expert_bodies(app, world, k):
        seen_own = seen_own or own["pseudonym"] in body
        for secret in secrets:
            if secret in body:
                failures.append(f"{url} shows {secret!r}")
        for identity in others:
            if f">{identity['pseudonym']}<" in body or f"{identity['pseudonym']}:" in body:
                failures.append(f"{url} shows the pseudonym {identity['pseudonym']}")
    assert seen_own, "the expert's own pseudonym never showed: the pages were not read"
    assert not failures, "\n".join(failures)


def test_another_studys_expert_sees_nothing_of_this_study(app, world):
    client = expert_client(app, world.bob)
    body = client.get("/expert/", follow_redirects=True).get_data(as_text=True)
    assert "Study of bob" in body
    for identity in world.alice.identities:
        assert identity["name"] not in body and identity["email"] not in body
    assert "Study of alice" not in body
