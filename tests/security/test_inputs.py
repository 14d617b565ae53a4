"""Refused input gets a 4xx with a message and stores nothing; accepted text is cleaned.

Each case below answered 500 before (the attack review's list): non-finite JSON numbers,
lone surrogates and NUL in text, deep JSON, CSV cells over the csv module's field limit,
a 1,500-level parent chain, dates that overflow with a time-zone offset, control
characters in ``next=``; and the importer skipped the editor's limits.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.security.world import coordinator_client, expert_client, fingerprint
from webapp.extensions import db
from webapp.services.inputs import JsonInputError, clean_text, loads_json


# --- the helpers ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"a": -Infinity}', "[1e400]", "[-1e999]"])
def test_non_finite_numbers_are_refused(raw, app):
    with app.test_request_context(), pytest.raises(JsonInputError, match="number"):
        loads_json(raw)


def test_depth_is_limited_without_recursion(app):
    with app.test_request_context():
        assert loads_json("[[[1]]]", max_depth=3) == [[[1]]]
        with pytest.raises(JsonInputError, match="nested"):
            loads_json("[[[[1]]]]", max_depth=3)
        with pytest.raises(JsonInputError, match="nested"):
            loads_json("[" * 200_000 + "]" * 200_000)


def test_strings_and_keys_are_cleaned(app):
    with app.test_request_context():
        data = loads_json('{"a\\u0000b": ["x\\ud800y", "tab\\tline\\nok\\u0007"]}')
    assert data == {"ab": ["x\ufffdy", "tab\tline\nok"]}


def test_clean_text_keeps_ordinary_text():
    assert clean_text("中文 text\n\tok") == "中文 text\n\tok"
    assert clean_text("a\x00b\x1bc\x7fd\x85e") == "abcde"
    assert clean_text(None) is None and clean_text(3) == 3


# --- autosave -------------------------------------------------------------------------------------

def autosave(client, round_id, body: str):
    return client.post(f"/api/v1/rounds/{round_id}/answers", data=body, content_type="application/json",
                       headers={"X-CSRF-Token": client.csrf_token()}, csrf=False)


def first_item(app, round_id) -> int:
    from webapp.models import Round

    with app.app_context():
        return db.session.get(Round, round_id).items[1].node_id


@pytest.mark.parametrize("template", [
    '{{"answers": [{{"node_id": Infinity, "value": 3}}]}}',
    '{{"answers": [{{"node_id": 1e400, "value": 3}}]}}',
    '{{"answers": [{{"node_id": {node}, "value": NaN}}]}}',
    '{{"answers": [{{"node_id": {node}.9, "value": 3}}]}}',          # 194.9 was saved as 194
    '{{"answers": [{{"node_id": {node}, "no_opinion": "no"}}]}}',    # "no" counted as no opinion
    '{{"answers": [{{"node_id": {node}, "value": true}}]}}',
    '{{"answers": [{{"node_id": {node}, "value": 3.0}}]}}',
    '{{"answers": ' + "[" * 5000 + "]" * 5000 + "}}",
])
def test_autosave_refuses_loose_or_hostile_json_with_a_message(app, world, template):
    client = expert_client(app, world.alice)
    round_id = world.alice.open_round_id
    body = template.format(node=first_item(app, round_id))
    before = fingerprint(app)
    response = autosave(client, round_id, body)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["message"]
    assert fingerprint(app) == before


@pytest.mark.parametrize("comment, stored", [
    ("\\ud800 lone", "\ufffd lone"),
    ("nul\\u0000byte", "nulbyte"),
    ("bell\\u0007 and escape\\u001b[31m", "bell and escape[31m"),
])
def test_autosave_cleans_text(app, world, comment, stored):
    from webapp.models import Rating, Response

    client = expert_client(app, world.alice)
    round_id, node = world.alice.open_round_id, first_item(app, world.alice.open_round_id)
    response = autosave(client, round_id, '{"answers": [{"node_id": %d, "value": 2, "comment": "%s"}]}'
                        % (node, comment))
    assert response.status_code == 200, response.data
    with app.app_context():
        saved = db.session.scalar(select(Rating.comment).join(Response).where(
            Response.expert_id == world.alice.expert_id, Response.round_id == round_id, Rating.node_id == node))
    assert saved == stored


# --- forms and redirects ------------------------------------------------------------------------------

def test_form_fields_are_cleaned(app, coordinator_client):
    from webapp.models import Study

    response = coordinator_client.post("/studies/new", data={"title": "Nul\x00 and\x1b esc", "default_locale": "en",
                                                             "description": "ok\x00"})
    assert response.status_code == 302
    with app.app_context():
        study = db.session.scalar(select(Study))
        assert study.title == "Nul and esc" and study.description == "ok"


@pytest.mark.parametrize("target", ["/studies/\r\nSet-Cookie: x=1", "/studies/\x00", "/\x7f/x", "/studies/\t"])
def test_control_characters_in_next_fall_back_home(client, make_coordinator, target):
    make_coordinator("alice")
    response = client.post("/login", data={"username": "alice", "password": "correct horse battery",
                                           "next": target})
    assert response.status_code == 302 and response.headers["Location"].endswith("/studies/")


def test_a_date_that_overflows_with_its_offset_is_refused(app, world):
    from webapp.models import Round

    client = coordinator_client(app, world.alice)
    with app.app_context():
        rnd = db.session.get(Round, world.alice.open_round_id)
        rounds_before = db.session.scalar(select(db.func.count(Round.id)))
    before = fingerprint(app)
    for url in (f"/studies/{world.alice.study_id}/rounds/new",
                f"/studies/{world.alice.study_id}/rounds/{rnd.id}/edit"):
        response = client.post(url, data={"title": "T", "scale": "5", "scope": "all", "tz_offset": "-720",
                                          "opens_at": "2026-12-01T10:00", "closes_at": "9999-12-31T23:00"})
        assert response.status_code in (302, 400), (url, response.status_code)
    assert fingerprint(app) == before
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Round.id))) == rounds_before


# --- imports share the editor's rules -------------------------------------------------------------

def draft_study(app, make_coordinator, make_study):
    owner = make_coordinator("alice")
    return make_study(owner, seed=False)


def upload(client, study_id, name: str, raw: bytes):
    return client.post(f"/studies/{study_id}/indicators/import",
                       data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def csv_rows(rows) -> bytes:
    lines = ["code,parent_code,name_zh,name_en,description"] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def chain_json(depth: int) -> bytes:
    node = {"code": f"N{depth}", "name": "leaf"}
    for d in range(depth - 1, -1, -1):
        node = {"code": f"N{d}", "name": f"level {d}", "children": [node]}
    return json.dumps(node).encode()


@pytest.mark.parametrize("name, raw, message", [
    ("h.csv", csv_rows([("G", "", "目标", "Goal", ""), ("A 1", "G", "甲", "A", "")]), b"contains spaces"),
    ("h.csv", csv_rows([("G", "", "目标", "Goal", ""), ("A1", "G", "x" * 301, "A", "")]), b"300 characters"),
    ("h.csv", csv_rows([("G", "", "目标", "Goal", "")] + [(f"N{i}", "G" if i == 0 else f"N{i - 1}", "n", "n", "")
                                                          for i in range(1500)]), b"deeper than 10"),
    ("h.csv", csv_rows([("G", "", "目标", "Goal", ""), ("A1", "G", "甲", "A", "x" * 200_000)]), b"cannot be read"),
    ("h.json", chain_json(11), b"deeper than 10"),
    ("h.json", b'{"code": "G", "name": "g", "children": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"nested"),
    ("h.json", b'{"code": "G", "name": "g", "children": [{"code": "A", "name": "a", "x": NaN}]}', b"not a number"),
    ("h.json", json.dumps({"code": "G", "name": "g", "children": [{"code": "A B", "name": "a"}]}).encode(),
     b"contains spaces"),
])
def test_hierarchy_import_refuses_what_the_editor_refuses(app, make_coordinator, make_study, client, name,
                                                          raw, message):
    from tests.conftest import login

    study_id = draft_study(app, make_coordinator, make_study)
    login(client)
    before = fingerprint(app)
    response = upload(client, study_id, name, raw)
    assert response.status_code == 400
    assert message in response.data, response.data[:2000]
    assert fingerprint(app) == before


def test_hierarchy_import_cleans_cells_and_reads_back_its_own_escaped_export(app, make_coordinator, make_study,
                                                                            client):
    from tests.conftest import login
    from webapp.models import Node

    study_id = draft_study(app, make_coordinator, make_study)
    login(client)
    raw = csv_rows([("G", "", "目标", "Goal", ""), ("A1", "G", "=1+1 甲", "-minus\x00", "@x")])
    assert upload(client, study_id, "h.csv", raw).status_code == 302
    exported = client.get(f"/studies/{study_id}/indicators/export.csv").data
    assert b"'=1+1" in exported and b"'-minus" in exported     # escaped for spreadsheets …
    other = draft_study_for(app, make_study)
    login(client)
    assert upload(client, other, "again.csv", exported).status_code == 302
    with app.app_context():
        node = db.session.scalar(select(Node).where(Node.study_id == other, Node.code == "A1"))
        assert (node.name_zh, node.name_en, node.description_en) == ("=1+1 甲", "-minus", "@x")  # … and back


def draft_study_for(app, make_study):
    from webapp.models import User

    with app.app_context():
        owner = db.session.scalar(select(User.id).where(User.username == "alice"))
    return make_study(owner, seed=False)


def test_the_questionnaire_form_post_is_cleaned_too(app, world):
    """The form post without JavaScript builds its fields per round: BaseForm cleans them too."""
    from webapp.models import Proposal, Rating, Response

    client = expert_client(app, world.alice, 1)
    round_id, node = world.alice.open_round_id, first_item(app, world.alice.open_round_id)
    response = client.post(f"/expert/rounds/{round_id}", data={
        "action": "save", f"rate_{node}": "3", f"comment_{node}": "nul\x00 esc\x1b ok"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(Rating.comment).join(Response).where(
            Response.expert_id == world.alice.experts[1][0], Response.round_id == round_id, Rating.node_id == node))
        assert saved == "nul esc ok"
        assert db.session.scalar(select(db.func.count(Proposal.id))) >= 1
