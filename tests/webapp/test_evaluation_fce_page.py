"""FCE on the results page: memberships from the evaluators' scores, composed up the hierarchy."""
from __future__ import annotations

import re

import numpy as np

from tests.webapp.test_evaluations import CSV_BYTES, evaluation_id, study, upload  # noqa: F401
from tests.webapp.test_evaluators import invite, objects
from webapp.extensions import db


def test_memberships_from_two_evaluators(app, coordinator_client, client, evaluation_id):  # noqa: F811
    import evaluation as ev
    from webapp.models import Evaluation
    from webapp.services import evaluation_fce, evaluations as svc

    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    ids = objects(app, eid)
    name = "Platform Beta 乙"
    one = invite(coordinator_client, sid, eid, "Wang", [ids[name]])
    two = invite(coordinator_client, sid, eid, "Li", [ids[name]])
    with app.app_context():
        leaves = svc.tree_of(db.session.get(Evaluation, eid)).leaves
    coordinator_client.post("/logout")
    client.get(one)
    client.post(f"/evaluate/objects/{ids[name]}", data={f"s:{c}": "95" for c in leaves})   # five stars
    client.get(two)
    client.post(f"/evaluate/objects/{ids[name]}", data={f"s:{c}": "72" for c in leaves})   # three stars
    with app.app_context():
        e = db.session.get(Evaluation, eid)
        bands = svc.settings_of(e)["bands"]
        bands = ev.check_bands(bands)
        rows = evaluation_fce.memberships_of(e, leaves, bands)
        assert rows[name][leaves[0]] == [1, 0, 1, 0, 0]            # one rater at ★★★★★, one at ★★★
        assert evaluation_fce.grade_values(bands) == [95.0, 85.0, 75.0, 65.0, 30.0]
        # every leaf has the same row, so with M(·,+) the root's B is that row normalised
        res = ev.fce_hierarchy(svc.tree_of(e), rows, "M(·,+)", grade_values=[95, 85, 75, 65, 30])
        k = res.objects.index(name)
        np.testing.assert_allclose(res.b[k, 0], [0.5, 0, 0.5, 0, 0], atol=1e-12)
        assert res.score[k] == 85.0
    from tests.conftest import login
    client.post("/logout")
    login(client)
    page = client.get(f"/studies/{sid}/evaluations/{eid}/results?operator=min-max").data.decode()
    assert "Fuzzy comprehensive evaluation" in page and "Verdict (M(∧,∨))" in page
    row = re.search(r"Platform Beta 乙</th>(.*?)</tr>", page, re.S).group(1)
    assert "0.500" in row
