"""Evaluators invited by link: the phone form, evidence notes, the objects' mean scores, refusals."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.webapp.test_evaluations import evaluation_id, study  # noqa: F401
from webapp.extensions import db


def objects(app, eid):
    from webapp.models import EvaluatedObject

    with app.app_context():
        return {o.name: o.id for o in db.session.scalars(select(EvaluatedObject).where(
            EvaluatedObject.evaluation_id == eid))}


def invite(client, sid, eid, name, object_ids):
    page = client.post(f"/studies/{sid}/evaluations/{eid}/evaluators", data={"name": name, "objects": object_ids})
    assert page.status_code == 200, page.data
    return re.search(r"(/evaluate/i/[A-Za-z0-9_-]+)", page.data.decode()).group(1)


def snapshot(app):
    from webapp.models import EvaluationScore, EvaluatorScore

    with app.app_context():
        return (db.session.scalar(select(func.count(EvaluatorScore.id))),
                tuple(db.session.execute(select(EvaluationScore.object_id, EvaluationScore.code,
                                                EvaluationScore.value).order_by(EvaluationScore.id)).all()))


@pytest.fixture()
def setup(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab A\nLab B"})
    ids = objects(app, eid)
    one = invite(coordinator_client, sid, eid, "Wang", [ids["Lab A"]])
    two = invite(coordinator_client, sid, eid, "Li", [ids["Lab A"], ids["Lab B"]])
    return sid, eid, ids, one, two


def test_two_evaluators_scores_are_averaged(app, client, setup):
    sid, eid, ids, one, two = setup
    client.post("/logout")
    assert client.get(one).status_code == 302
    home = client.get("/evaluate/").data.decode()
    assert "Lab A" in home and "Lab B" not in home
    form = client.get(f"/evaluate/objects/{ids['Lab A']}").data.decode()
    assert 'name="s:A1.1"' in form and 'inputmode="decimal"' in form and 'name="e:A1.1"' in form
    saved = client.post(f"/evaluate/objects/{ids['Lab A']}",
                        data={"s:A1.1": "80", "s:A1.2": "70,5", "e:A1.1": "CNAS certificate seen"})
    assert saved.status_code == 302
    assert client.get(two).status_code == 302
    assert client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "90"}).status_code == 302
    from webapp.models import EvaluationScore, EvaluatorScore

    with app.app_context():
        means = {s.code: (s.value, s.source) for s in db.session.scalars(
            select(EvaluationScore).where(EvaluationScore.object_id == ids["Lab A"]))}
        assert means == {"A1.1": (85.0, "evaluators"), "A1.2": (70.5, "evaluators")}    # (80 + 90) / 2
        note = db.session.scalar(select(EvaluatorScore.evidence).where(EvaluatorScore.code == "A1.1",
                                                                       EvaluatorScore.value == 80))
        assert note == "CNAS certificate seen"
    # clearing Li's A1.1 leaves Wang's 80 as the mean
    client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": ""})
    with app.app_context():
        assert db.session.scalar(select(EvaluationScore.value).where(
            EvaluationScore.object_id == ids["Lab A"], EvaluationScore.code == "A1.1")) == 80.0


@pytest.mark.parametrize("value", ["101", "-1", "abc", "nan"])
def test_bad_scores_store_nothing(app, client, setup, value):
    sid, eid, ids, one, two = setup
    client.post("/logout")
    client.get(one)
    client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "50"})
    before = snapshot(app)
    response = client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "60", "s:A1.2": value})
    assert response.status_code == 400 and "Nothing was saved." in response.data.decode()
    assert 'value="' + value + '"' in response.data.decode()          # the entries are kept
    assert snapshot(app) == before


def test_access_rules(app, client, setup):
    sid, eid, ids, one, two = setup
    client.post("/logout")
    assert client.get("/evaluate/").status_code == 403                      # no session
    assert client.get("/evaluate/i/not-a-token").status_code == 404
    client.get(one)
    assert client.get(f"/evaluate/objects/{ids['Lab B']}").status_code == 404   # not assigned to Wang
    assert client.get(f"/studies/{sid}/evaluations/{eid}").status_code in (302, 401, 403)
    before = snapshot(app)
    assert client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "50"}, csrf=False).status_code == 400
    assert snapshot(app) == before


def test_revoked_link_and_finished_evaluation(app, client, coordinator_client, setup):
    from webapp.models import Evaluator

    sid, eid, ids, one, two = setup
    with app.app_context():
        wang = db.session.scalar(select(Evaluator).where(Evaluator.name == "Wang"))
    assert coordinator_client.post(
        f"/studies/{sid}/evaluations/{eid}/evaluators/{wang.id}/revoke").status_code == 302
    coordinator_client.post("/logout")
    assert client.get(one).status_code == 404
    client.get(two)
    client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "50"})
    from tests.conftest import login
    client.post("/logout")
    login(client)
    client.post(f"/studies/{sid}/evaluations/{eid}/settings", data={"missing": "reweight"})
    assert client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302
    client.post("/logout")
    client.get(two)
    before = snapshot(app)
    refused = client.post(f"/evaluate/objects/{ids['Lab A']}", data={"s:A1.1": "70"})
    assert refused.status_code == 400 and "finished" in refused.data.decode()
    assert snapshot(app) == before


def test_invite_refusals(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    from webapp.models import Evaluator

    page = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators", data={"name": "Zhao", "objects": []})
    assert page.status_code == 400 and "Assign at least one" in page.data.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count(Evaluator.id))) == 0


def test_a_coordinator_opening_the_link_is_asked_first(app, coordinator_client, setup):
    sid, eid, ids, one, two = setup
    page = coordinator_client.get(one)
    assert page.status_code == 200 and "Log out and continue as the evaluator" in page.data.decode()
    assert coordinator_client.get(f"/studies/{sid}/evaluations/{eid}").status_code == 200   # still logged in
    assert coordinator_client.post(one).status_code == 302
    assert coordinator_client.get("/evaluate/").status_code == 200
    assert coordinator_client.get(f"/studies/{sid}/evaluations/{eid}").status_code == 302  # logged out
