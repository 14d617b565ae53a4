"""Hypothesis fuzz of every JSON POST route (generated) and every upload (hierarchy, panel,
evaluation scores): always a 2xx/3xx or a 4xx with a message, never a 500, and a refused
request never writes anything."""
from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.security.world import coordinator_client, expert_client, fingerprint
from webapp.extensions import db

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)
answer = st.dictionaries(st.sampled_from(["node_id", "value", "no_opinion", "comment", "reason", "x"]),
                         scalars, max_size=5)
bodies = st.one_of(
    st.builds(lambda a: json.dumps({"answers": a}), st.lists(answer, max_size=4)),
    st.builds(json.dumps, json_values),
    st.builds(lambda depth: '{"answers": ' + "[" * depth + "]" * depth + "}", st.integers(0, 3000)),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(['{"answers": [{"node_id": 1e400}]}', '{"answers": [{"node_id": NaN}]}',
                     '{"answers": [{"node_id": 1, "comment": "\\ud800"}]}', '{"answers": [{"node_id": -Infinity}]}']),
)


def assert_clean_refusal(response, before, app, what):
    assert response.status_code != 500, f"{what}: 500"
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        if response.is_json:
            assert response.get_json().get("message"), f"{what}: a refusal without a message"
        else:
            assert b'class="error"' in response.data or b"flash" in response.data, f"{what}: no message"
        assert fingerprint(app) == before, f"{what}: refused but the database changed"


def test_fuzz_every_json_post_route(app, world):
    """Every POST route under /api/ (generated from the URL map), by the role that may use it."""
    from tests.security import routes

    clients = {"expert": expert_client(app, world.alice), "coordinator": coordinator_client(app, world.alice)}
    world.alice.round_id = world.alice.open_round_id
    targets = [(rule, routes.role_of(rule.endpoint)) for rule in app.url_map.iter_rules()
               if "POST" in rule.methods and rule.rule.startswith("/api/")]
    assert any(rule.endpoint == "api.save_answers" for rule, _role in targets)
    for rule, role in targets:
        client = clients[role]
        url = routes.url_for_rule(rule, world.alice)
        token = client.csrf_token()

        @FUZZ
        @given(body=bodies)
        def run(body):
            before = fingerprint(app)
            response = client.post(url, data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
                                   headers={"X-CSRF-Token": token}, csrf=False)
            assert_clean_refusal(response, before, app, f"{rule.endpoint} {body[:80]!r}")

        run()


csv_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
csv_files = st.lists(st.lists(csv_cells, min_size=0, max_size=6), max_size=8).map(
    lambda rows: "\n".join(",".join(r) for r in [["code", "parent_code", "name_zh", "name_en", "description"]] + rows))
hierarchy_files = st.one_of(
    st.tuples(st.just("h.json"), st.builds(lambda v: json.dumps(v).encode(), json_values)),
    st.tuples(st.just("h.json"), st.builds(lambda v: json.dumps({"code": "G", "name": "g", "children": v}).encode(),
                                           json_values)),
    st.tuples(st.just("h.csv"), csv_files.map(lambda t: t.encode("utf-8"))),
    st.tuples(st.sampled_from(["h.csv", "h.json", "h.txt"]), st.binary(max_size=300)),
)


def test_fuzz_the_hierarchy_upload(app, world, make_study):
    from webapp.models import User

    client = coordinator_client(app, world.alice)
    with app.app_context():
        owner = db.session.scalar(select(User.id).where(User.username == "alice"))
    study_id = make_study(owner, seed=False)

    @FUZZ
    @given(upload=hierarchy_files)
    def run(upload):
        name, raw = upload
        before = fingerprint(app)
        response = client.post(f"/studies/{study_id}/indicators/import", data={"file": (io.BytesIO(raw), name)},
                               content_type="multipart/form-data")
        assert response.status_code in (302, 400), f"{name} {raw[:80]!r}: {response.status_code}"
        assert_clean_refusal(response, before, app, f"{name} {raw[:80]!r}")

    run()


panel_lists = st.one_of(
    st.lists(st.lists(st.text(max_size=15), max_size=5), max_size=6).map(
        lambda rows: "\n".join("\t".join(r) for r in rows)),
    st.lists(st.tuples(st.text(max_size=12), st.emails(), st.text(max_size=12)), max_size=4).map(
        lambda rows: "\n".join(",".join(r) for r in rows)),
    st.text(max_size=200),
)


def test_fuzz_the_panel_upload_and_paste(app, world):
    client = coordinator_client(app, world.alice)
    url = f"/studies/{world.alice.study_id}/panel/import"

    @FUZZ
    @given(text=panel_lists, as_file=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    def run(text, as_file, encoding):
        before = fingerprint(app)
        if as_file:
            raw = text.encode(encoding, "replace")
            response = client.post(url, data={"file": (io.BytesIO(raw), "panel.csv")},
                                   content_type="multipart/form-data")
        else:
            response = client.post(url, data={"text": text})
        assert response.status_code in (200, 302, 400), f"{text[:80]!r}: {response.status_code}"
        assert_clean_refusal(response, before, app, f"panel {text[:80]!r}")

    run()


score_values = st.one_of(st.sampled_from(["", "NaN", "inf", "-inf", "1e400", "-0", "3.5", "abc", "=1+1", "1,5"]),
                         st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=8))


def test_fuzz_the_evaluation_scores_upload(app, world):
    from webapp.models import Node

    client = coordinator_client(app, world.alice)
    url = f"/studies/{world.alice.study_id}/evaluations/{world.alice.evaluation_id}/scores"
    with app.app_context():
        codes = list(db.session.scalars(select(Node.code).where(Node.study_id == world.alice.study_id)))[:6]
    tables = st.lists(st.tuples(st.text(max_size=10), st.lists(score_values, min_size=len(codes),
                                                                  max_size=len(codes))), max_size=4).map(
        lambda rows: ("\n".join([",".join(["object", *codes])] + [",".join([name.replace(",", " "), *values])
                                                                  for name, values in rows])).encode("utf-8"))
    files = st.one_of(st.tuples(st.just("scores.csv"), tables),
                      st.tuples(st.sampled_from(["scores.csv", "scores.xlsx", "scores.txt"]), st.binary(max_size=300)))

    @FUZZ
    @given(upload=files)
    def run(upload):
        name, raw = upload
        before = fingerprint(app)
        response = client.post(url, data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")
        assert response.status_code in (302, 400), f"{name} {raw[:80]!r}: {response.status_code}"
        assert_clean_refusal(response, before, app, f"scores {name} {raw[:80]!r}")

    run()
