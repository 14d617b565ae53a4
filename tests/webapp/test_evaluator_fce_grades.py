"""FCE by evaluators: indicators graded by evaluators (excellent … poor, a configurable grade set), the
membership rows as shares of the evaluators' picks, and B per object on the results page.

Independent check: with M(·,+) and rows that sum to 1, composing level by level with local weights
equals B = Σ_leaf g_leaf · r_leaf with the global leaf weights g (linearity; WEIGHTING.md "FCE",
weighted-average operator), computed here with numpy from the picks and the uploaded scores.
"""
from __future__ import annotations


import numpy as np
import pytest
from sqlalchemy import select

from tests.helpers import snapshot
from tests.webapp.test_evaluations import CSV_BYTES, DOC, evaluation_id, study, upload  # noqa: F401
from tests.webapp.test_evaluator_autosave import save
from tests.webapp.test_evaluators import invite, objects
from webapp.extensions import db

GRADED = ("A1.1", "B2.1")
VALUES = np.array([95.0, 85.0, 75.0, 65.0, 30.0])      # the default grade set, best first
# five evaluators' picks (grade index, 0 = excellent) per object and graded leaf
PICKS = {"A1.1": [[1, 1, 0, 2, 1], [0, 0, 0, 1, 1], [3, 2, 2, 4, 2], [1, 2, 1, 1, 0], [4, 4, 3, 3, 2]],
         "B2.1": [[0, 1, 1, 1, 2], [2, 2, 2, 2, 2], [0, 0, 1, 3, 4], [1, 1, 1, 0, 0], [3, 2, 3, 4, 4]]}


def scores():
    from evaluation.cli import read_scores_csv
    return read_scores_csv(CSV_BYTES.decode("utf-8-sig"))


@pytest.fixture()
def graded(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    assert upload(coordinator_client, sid, eid, CSV_BYTES).status_code == 302
    response = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/fce",
                                       data={"codes": list(GRADED), "grades": ""})
    assert response.status_code == 302, response.data
    ids = objects(app, eid)
    names = list(scores())
    for k in range(5):
        link = invite(coordinator_client, sid, eid, f"Evaluator {k}", [ids[n] for n in names])
        client = app.test_client()
        assert client.get(link).status_code == 302
        page = client.get(f"/evaluate/objects/{ids[names[0]]}").data.decode()
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        if k == 0:
            assert 'name="g:A1.1"' in page and 'name="s:A1.1"' not in page and "Excellent" in page
            assert 'name="s:A1.2"' in page
        for code in GRADED:
            for i, name in enumerate(names):
                response = save(client, ids[name], token, {"code": code, "grade": PICKS[code][i][k]})
                assert response.status_code == 200, response.data
    return sid, eid, ids, names


def test_picks_become_shares_and_b_matches_numpy(app, coordinator_client, graded):
    sid, eid, ids, names = graded
    table = scores()
    leaves = [n["code"] for n in DOC["nodes"] if not any(m["parent"] == n["code"] for m in DOC["nodes"])]
    g = np.array([{n["code"]: n["global_weight"] for n in DOC["nodes"]}[c] for c in leaves])
    expected_b = {}
    for i, name in enumerate(names):
        rows = []
        for c in leaves:
            if c in GRADED:
                rows.append(np.bincount(PICKS[c][i], minlength=5) / 5)
            else:
                r = np.zeros(5)
                r[np.argmin(np.abs(VALUES - float(table[name][c])))] = 1
                rows.append(r)
        expected_b[name] = g @ np.array(rows)

    from webapp.models import Evaluation, EvaluationScore
    from webapp.services import evaluation_fce
    from webapp.services.evaluations import settings_of, tree_of
    import evaluation as ev
    with app.app_context():
        found = db.session.get(Evaluation, eid)
        memberships = evaluation_fce.grade_memberships_of(found, tree_of(found).leaves, settings_of(found))
        assert memberships[names[0]]["A1.1"] == [1, 3, 1, 0, 0]                # picks 1,1,0,2,1
        # evaluation.fce on one object's rows (shares) against numpy
        r = np.array([np.array(memberships[names[2]][c]) / sum(memberships[names[2]][c]) for c in leaves])
        res = ev.fce(g, r, "M(·,+)", grade_values=VALUES)
        np.testing.assert_allclose(np.ravel(res.b), expected_b[names[2]], atol=1e-12)
        assert float(np.ravel(res.score)[0]) == pytest.approx(expected_b[names[2]] @ VALUES, abs=1e-9)
        # T uses the mean of the picked grades' values
        mean = db.session.scalar(select(EvaluationScore.value).where(
            EvaluationScore.object_id == ids[names[0]], EvaluationScore.code == "A1.1"))
        assert mean == pytest.approx(VALUES[[1, 1, 0, 2, 1]].mean())
        view = evaluation_fce.fce_view(found, tree_of(found), [
            {"stars": 5, "min": 90, "max": 100}], settings_of(found), "weighted")
        for row in view["rows"]:
            np.testing.assert_allclose(row["b"], expected_b[row["name"]], atol=1e-12)
            assert row["verdict"] == ["Excellent", "Good", "Fair", "Pass", "Poor"][int(np.argmax(expected_b[row["name"]]))]

    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results").data.decode()
    assert "this evaluation&#39;s FCE grades" in page or "this evaluation's FCE grades" in page
    assert "Verdict (M(·,+))" in page and "Excellent" in page
    for name in names:
        assert all(f"{x:.3f}" in page for x in expected_b[name])
    other = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results?operator=min-max").data.decode()
    assert "Verdict (M(∧,∨))" in other


def test_grade_refusals_store_nothing(app, coordinator_client, graded):
    sid, eid, ids, names = graded
    before = snapshot(app)
    changed = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/fce",
                                      data={"codes": ["A1.1"], "grades": ""})
    assert changed.status_code == 400 and "can no longer change" in changed.data.decode()
    for grades in ("good = 80\nexcellent = 95", "only = 50", "a = 200\nb = 10", "a = x\nb = 1"):
        bad = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/fce",
                                      data={"codes": list(GRADED), "grades": grades})
        assert bad.status_code == 400
    assert snapshot(app) == before


def test_custom_grade_set(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    response = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/evaluators/fce",
                                       data={"codes": ["A1.1"], "grades": "优 = 90\n良 = 75\n差 = 40"})
    assert response.status_code == 302
    from webapp.models import Evaluation
    with app.app_context():
        settings = db.session.get(Evaluation, eid).settings
        assert settings["fce"] == {"codes": ["A1.1"], "grades": [{"label": "优", "value": 90.0},
                                                                 {"label": "良", "value": 75.0},
                                                                 {"label": "差", "value": 40.0}]}
    assert "优 = 90" in coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").data.decode()
