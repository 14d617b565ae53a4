"""The autosave API: POST /api/v1/rounds/<id>/answers (expert session, CSRF header).

Every refusal leaves the database exactly as it was."""
from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Node, Round, RoundStatus, utcnow

# The same panel and signed-in expert as the page tests (fixtures in tests/webapp/conftest.py).
from tests.helpers import snapshot
from tests.helpers.panels import make_panel, open_round, stored


def url(round_id):
    return f"/api/v1/rounds/{round_id}/answers"


def test_autosave_stores_each_change(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    response = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["answered"] == 1 and body["total"] == 4 and body["saved_at"]
    # a later change of the same item, a comment alone, "no opinion"
    expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 2},
                                                        {"node_id": nodes[1], "no_opinion": True}]})
    expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "comment": "Clearer wording"}]})
    assert stored(app, panel.experts[0][0], round_id) == {
        nodes[0]: (2, False, "Clearer wording", ""), nodes[1]: (None, True, "", "")}
    # unknown keys are ignored, not stored
    ok = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[2], "value": 5, "expert_id": 99}]})
    assert ok.status_code == 200 and ok.get_json()["answered"] == 3


@pytest.mark.parametrize("bad, settings", [
    ({"value": 6}, {}),                                   # off the scale
    ({"value": 0}, {}),
    ({"value": "4"}, {}),                                 # not a whole number
    ({"value": 3.5}, {}),
    ({"no_opinion": True}, {"allow_no_opinion": False}),  # no "no opinion" in this round
    ({"value": 4, "no_opinion": True}, {}),
    ({"comment": "Why not"}, {"allow_comments": False}),
    ({"comment": "x" * 4001}, {}),
])
def test_autosave_refuses_bad_answers_whole(app, expert_client, panel, bad, settings):
    round_id, nodes = open_round(app, panel.study_id, **settings)
    expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 3}]})
    before = snapshot(app)
    response = expert_client.post(url(round_id), json={"answers": [
        {"node_id": nodes[1], "value": 4}, {"node_id": nodes[2], **bad}]}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "refused" and body["message"] and body["closed"] is False
    assert snapshot(app) == before


def test_autosave_refusal_messages_follow_the_experts_language(app, expert_client, panel):
    from flask_babel import force_locale, gettext

    round_id, nodes = open_round(app, panel.study_id)
    expert_client.get("/expert/?lang=zh")
    body = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 9}]}).get_json()
    with app.test_request_context(), force_locale("zh"):
        expected = gettext("A rating must be between %(lo)s and %(hi)s.", lo=1, hi=5)
    assert body["message"] == expected


def test_autosave_refuses_an_indicator_outside_the_questionnaire(app, expert_client, panel, make_study,
                                                                 make_expert):
    round_id, nodes = open_round(app, panel.study_id)
    other = make_panel(app, make_study, make_expert, n=1)
    with app.app_context():
        leaf = db.session.scalar(db.select(Node.id).where(Node.study_id == panel.study_id, Node.code == "A1.1"))
        foreign = db.session.scalar(db.select(Node.id).where(Node.study_id == other.study_id, Node.code == "A"))
    before = snapshot(app)
    for node_id in (leaf, foreign, 999999, None, "A"):
        response = expert_client.post(url(round_id), json={"answers": [{"node_id": node_id, "value": 3}]})
        assert response.status_code == 400 and response.get_json()["error"] == "refused"
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [None, [], {"answers": {}}, {"answers": [1, 2]}, {"answer": []}])
def test_autosave_refuses_a_malformed_body(app, expert_client, panel, body):
    round_id, _nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = expert_client.post(url(round_id), json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert snapshot(app) == before


def test_autosave_needs_the_csrf_header(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = expert_client.post(url(round_id), csrf=False, json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    forged = expert_client.post(url(round_id), csrf=False, headers={"X-CSRF-Token": "20991231000000##forged"},
                                json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf"
    assert snapshot(app) == before
    # the page's way out: a fresh token, then the save goes through
    token = expert_client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    ok = expert_client.post(url(round_id), csrf=False, headers={"X-CSRF-Token": token},
                            json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert ok.status_code == 200


def test_autosave_refuses_a_closed_round(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 3}]})
    with app.app_context():
        from webapp.services import round_lifecycle

        round_lifecycle.close_round(db.session.get(Round, round_id))
        db.session.commit()
    expert_client.get("/expert/?lang=en")  # the invitation chose the study's language (zh)
    before = snapshot(app)
    response = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 5}]})
    assert response.status_code == 400
    body = response.get_json()
    assert body["closed"] is True and "closed" in body["message"]
    assert snapshot(app) == before


def test_autosave_refuses_after_the_deadline_without_a_scheduler(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id, closes_at=utcnow() + timedelta(hours=2))
    expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 3}]})
    with app.app_context():  # the deadline passes; no scheduler has closed the round
        db.session.get(Round, round_id).closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    before = snapshot(app)
    response = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 5}]})
    assert response.status_code == 400 and response.get_json()["closed"] is True
    after = snapshot(app)
    # No answer stored; the request's lazy deadline check closed the round, and that is kept.
    assert after["rating"] == before["rating"] and after["response"] == before["response"]
    with app.app_context():
        assert db.session.get(Round, round_id).status is RoundStatus.closed


def test_autosave_of_another_studys_round_is_a_404(app, expert_client, panel, make_study, make_expert):
    other = make_panel(app, make_study, make_expert, n=1)
    foreign_round, foreign_nodes = open_round(app, other.study_id)
    before = snapshot(app)
    for round_id in (foreign_round, 424242):
        response = expert_client.post(url(round_id), json={"answers": [{"node_id": foreign_nodes[0], "value": 4}]})
        assert response.status_code == 404 and response.is_json
    assert snapshot(app) == before


def test_autosave_without_an_expert_session_is_a_403(app, client, coordinator_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert response.status_code == 403 and response.is_json  # a coordinator is not an expert either
    client.post("/logout")
    anonymous = client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert anonymous.status_code == 403
    assert snapshot(app) == before


def test_autosave_stops_with_a_revoked_link(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    with app.app_context():
        from webapp.models import Expert

        db.session.get(Expert, panel.experts[0][0]).revoke()
        db.session.commit()
    before = snapshot(app)
    response = expert_client.post(url(round_id), json={"answers": [{"node_id": nodes[0], "value": 4}]})
    assert response.status_code == 403
    assert snapshot(app) == before
