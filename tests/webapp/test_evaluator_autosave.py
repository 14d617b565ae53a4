"""The evaluator's autosave over HTTP: JSON, CSRF, strict types, upsert, the objects' means, the deadline
(entered in the study's time zone), and refusals that store nothing."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.helpers import snapshot
from tests.webapp.test_evaluations import evaluation_id, study  # noqa: F401
from tests.webapp.test_evaluators import invite, objects
from webapp.extensions import db


@pytest.fixture()
def evaluator(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab A\nLab B"})
    ids = objects(app, eid)
    link = invite(coordinator_client, sid, eid, "Wang", [ids["Lab A"]])
    other = invite(coordinator_client, sid, eid, "Li", [ids["Lab A"]])
    client = app.test_client()           # the evaluator's phone; the coordinator stays logged in
    assert client.get(link).status_code == 302
    page = client.get(f"/evaluate/objects/{ids['Lab A']}")
    assert page.status_code == 200
    token = page.data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    return sid, eid, ids, token, other, client


def save(client, object_id, token, body, raw=None):
    return client.post(f"/evaluate/objects/{object_id}/autosave", data=raw if raw is not None else json.dumps(body),
                       content_type="application/json", headers={"X-CSRF-Token": token}, csrf=False)


def stored(app, object_id):
    from webapp.models import EvaluationScore, EvaluatorScore

    with app.app_context():
        mine = {r.code: (r.value, r.evidence) for r in db.session.scalars(
            select(EvaluatorScore).where(EvaluatorScore.object_id == object_id))}
        means = {s.code: s.value for s in db.session.scalars(
            select(EvaluationScore).where(EvaluationScore.object_id == object_id))}
    return mine, means


def test_each_field_is_upserted_and_the_mean_follows(app, evaluator):
    sid, eid, ids, token, other, client = evaluator
    form = client.get(f"/evaluate/objects/{ids['Lab A']}").data.decode()
    assert "evaluator_autosave.js" in form and "data-autosave-url" in form
    first = save(client, ids["Lab A"], token, {"code": "A1.1", "value": 80})
    assert first.status_code == 200, first.data
    assert first.get_json()["ok"] and first.get_json()["scored"] == 1 and first.get_json()["total"] == 48
    assert save(client, ids["Lab A"], token, {"code": "A1.1", "value": 82.5}).status_code == 200   # upsert
    assert save(client, ids["Lab A"], token, {"code": "A1.1", "evidence": "CNAS certificate"}).status_code == 200
    mine, means = stored(app, ids["Lab A"])
    assert mine == {"A1.1": (82.5, "CNAS certificate")} and means == {"A1.1": 82.5}
    # a second evaluator's 90 makes the mean (82.5 + 90) / 2
    client.post("/logout")
    client.get(other)
    token2 = client.get(f"/evaluate/objects/{ids['Lab A']}").data.decode().split(
        'name="csrf-token" content="')[1].split('"')[0]
    assert save(client, ids["Lab A"], token2, {"code": "A1.1", "value": 90}).status_code == 200
    assert stored(app, ids["Lab A"])[1] == {"A1.1": 86.25}
    # clearing the value and the note removes the row; the mean is the other evaluator's
    assert save(client, ids["Lab A"], token2, {"code": "A1.1", "value": None}).status_code == 200
    assert stored(app, ids["Lab A"])[1] == {"A1.1": 82.5}


@pytest.mark.parametrize("body, message", [
    ({"code": "A1.1", "value": "80"}, "give a score from 0 to 100"),       # a string is not a number
    ({"code": "A1.1", "value": True}, "give a score from 0 to 100"),       # nor is a boolean
    ({"code": "A1.1", "value": 100.5}, "give a score from 0 to 100"),
    ({"code": "A1.1", "value": -1}, "give a score from 0 to 100"),
    ({"code": "A1.1", "evidence": 5}, "must be text"),
    ({"code": "A1.1", "evidence": "x" * 2001}, "at most 2000"),
    ({"code": "A1", "value": 50}, "not an indicator you score"),           # not a leaf
    ({"code": "ZZ", "value": 50}, "not an indicator you score"),
    ({"code": "A1.1", "grade": 1}, "scored with a number"),
])
def test_refusals_store_nothing(app, evaluator, body, message):
    sid, eid, ids, token, _other, client = evaluator
    before = snapshot(app)
    response = save(client, ids["Lab A"], token, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "refused" and message in response.get_json()["message"]
    assert snapshot(app) == before


@pytest.mark.parametrize("raw", ['{"code": "A1.1", "value": NaN}', '{"code": "A1.1", "value": 1e400}', "[1, 2]",
                                 '{"code": "A1.1", "value": 5, "extra": 1}', '{"value": 5}', "not json",
                                 '{"code": {"a": {"b": 1}}}'])
def test_bad_bodies_are_refused(app, evaluator, raw):
    sid, eid, ids, token, _other, client = evaluator
    before = snapshot(app)
    response = save(client, ids["Lab A"], token, None, raw=raw)
    assert response.status_code == 400 and response.get_json()["message"]
    assert snapshot(app) == before


def test_csrf_and_other_objects(app, evaluator):
    sid, eid, ids, token, _other, client = evaluator
    before = snapshot(app)
    assert save(client, ids["Lab A"], "forged", {"code": "A1.1", "value": 80}).status_code == 400
    refused = save(client, ids["Lab B"], token, {"code": "A1.1", "value": 80})      # not assigned
    assert refused.status_code == 404
    assert snapshot(app) == before
    client.post("/logout")
    assert save(client, ids["Lab A"], token, {"code": "A1.1", "value": 80}).status_code in (400, 403)
    assert snapshot(app) == before


def test_deadline_in_the_study_zone_then_refused(app, coordinator_client, evaluator):
    sid, eid, ids, token, _other, client = evaluator
    from webapp.models import Evaluation, Study

    with app.app_context():
        db.session.get(Study, sid).time_zone = "Asia/Shanghai"
        db.session.commit()
    local = (datetime.now(timezone.utc) + timedelta(days=3)).astimezone(timezone(timedelta(hours=8)))
    typed = local.strftime("%Y-%m-%dT%H:%M")
    page = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                   data={"deadline": typed, "reminder_hours": "24"})
    assert page.status_code == 302, page.data
    with app.app_context():
        found = db.session.get(Evaluation, eid)
        expected = datetime.strptime(typed, "%Y-%m-%dT%H:%M") - timedelta(hours=8)     # Shanghai is UTC+8
        assert found.deadline_at.replace(tzinfo=None) == expected and found.reminder_hours == 24
    shown = client.get(f"/evaluate/objects/{ids['Lab A']}").data.decode()
    assert "Please score by " + typed.replace("T", " ") in shown
    assert save(client, ids["Lab A"], token, {"code": "A1.1", "value": 70}).status_code == 200
    # the deadline passes
    with app.app_context():
        db.session.get(Evaluation, eid).deadline_at = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.commit()
    before = snapshot(app)
    refused = save(client, ids["Lab A"], token, {"code": "A1.1", "value": 75})
    body = refused.get_json()
    assert refused.status_code == 400 and body["closed"] is True and "deadline" in body["message"]
    assert "Asia/Shanghai" in body["message"]
    form = client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "75"})
    assert form.status_code == 400 and "has passed" in form.data.decode()
    assert snapshot(app) == before
    assert "has passed" in client.get("/evaluate/").data.decode()


def test_deadline_refusals(app, coordinator_client, evaluator):
    sid, eid, ids, token, _other, client = evaluator
    before = snapshot(app)
    past = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                   data={"deadline": "2020-01-01T10:00", "reminder_hours": ""})
    assert past.status_code == 400 and "must be in the future" in past.data.decode()
    no_deadline = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                          data={"deadline": "", "reminder_hours": "12"})
    assert no_deadline.status_code == 400 and "needs a deadline" in no_deadline.data.decode()
    too_long = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/deadline",
                                       data={"deadline": "2099-01-01T10:00", "reminder_hours": "9999"})
    assert too_long.status_code == 400
    assert snapshot(app) == before
