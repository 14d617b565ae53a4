"""The session cookie is verified once per cookie (issue 16: an expert's autosaves bring
the same cookie again and again, and checking its signature cost ~0.1 ms a save).
What is remembered must never let through what the full check refuses: a tampered
or foreign cookie, a cookie past its lifetime; and one request's changes to its
session must not reach the next request with the same cookie."""
from __future__ import annotations

import time

from tests.faults.conftest import open_round_with_panel
from tests.helpers import snapshot


def _save(client, round_id, node_id, value, token):
    return client.post(f"/api/v1/rounds/{round_id}/answers", csrf=False, headers={"X-CSRF-Token": token},
                       json={"answers": [{"node_id": node_id, "value": value}]})


def _signed_in(app, client):
    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    return study


def test_a_cookie_is_verified_once_then_read_from_memory(app, client, monkeypatch):
    study = _signed_in(app, client)
    calls = []
    interface = app.session_interface
    real = type(interface).get_signing_serializer

    def counted(self, app_):
        calls.append(1)
        return real(self, app_)

    monkeypatch.setattr(type(interface), "get_signing_serializer", counted)
    for i in range(3):
        assert _save(client, study.round_id, study.node_ids[i], 3, client.token).status_code == 200
    assert len(calls) == 1          # the first save checked the cookie; the next two did not


def test_a_tampered_cookie_is_refused_after_the_genuine_one_was_remembered(app, client):
    study = _signed_in(app, client)
    assert _save(client, study.round_id, study.node_ids[0], 3, client.token).status_code == 200
    genuine = client.get_cookie("session").value
    before = snapshot(app)
    # A character inside the signature: its last character carries padding bits too, and
    # changing only those (as "B" -> "A" can) leaves the signature valid.
    inside = len(genuine) - 5
    changed = genuine[:inside] + ("A" if genuine[inside] != "A" else "B") + genuine[inside + 1:]
    for forged in (changed, genuine + "x", "." + genuine):
        client.set_cookie("session", forged)
        assert _save(client, study.round_id, study.node_ids[1], 4, client.token).status_code in (400, 403)
    assert snapshot(app) == before
    client.set_cookie("session", genuine)
    assert _save(client, study.round_id, study.node_ids[1], 4, client.token).status_code == 200


def test_a_remembered_cookie_expires_with_its_lifetime(app, client, monkeypatch):
    study = _signed_in(app, client)
    assert _save(client, study.round_id, study.node_ids[0], 3, client.token).status_code == 200   # remembered
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    before = snapshot(app)
    response = _save(client, study.round_id, study.node_ids[1], 4, client.token)
    assert response.status_code in (400, 403)       # no session: the CSRF secret and the expert are gone
    assert snapshot(app) == before


def test_changes_to_one_requests_session_do_not_reach_the_next(app):
    from flask import request, session

    interface = app.session_interface
    with app.test_request_context("/"):
        session["expert"] = {"id": 7, "marker": "m"}
        signed = interface.get_signing_serializer(app).dumps(dict(session))
    for _ in range(2):
        with app.test_request_context("/", headers={"Cookie": f"session={signed}"}):
            opened = interface.open_session(app, request)
            assert opened["expert"] == {"id": 7, "marker": "m"}
            opened["expert"]["id"] = 99              # changed in place by this request only
            opened["lang"] = "zh"


def test_a_new_secret_key_forgets_what_the_old_one_verified(app, client):
    study = _signed_in(app, client)
    assert _save(client, study.round_id, study.node_ids[0], 3, client.token).status_code == 200   # remembered
    before = snapshot(app)
    app.secret_key = "another secret key"
    app.config["SECRET_KEY"] = "another secret key"
    response = _save(client, study.round_id, study.node_ids[1], 4, client.token)
    assert response.status_code in (400, 403)
    assert snapshot(app) == before
