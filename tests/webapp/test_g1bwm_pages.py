"""The expert's G1 and BWM pages: rendered in both languages, the no-JS form post saves and
submits, a refused post stores nothing, the AHP page hands over to it."""
from __future__ import annotations

import numpy as np
import pytest

import weighting
from tests.webapp.ahp_helpers import open_ahp, snapshot
from tests.webapp.test_g1bwm_rounds import BASIS, stored
from webapp.extensions import db
from webapp.models import Round
from webapp.services import g1bwm_analysis


@pytest.fixture
def expert(app, make_study, make_expert):
    study_id = make_study()
    return study_id, make_expert(study_id, name="P0", familiarity="very", basis=BASIS)


def page(round_id):
    return f"/expert/rounds/{round_id}/weights"


def test_g1_page_form_post_saves_and_submits(app, client, expert):
    study_id, (_eid, token) = expert
    round_id, blocks, _ = open_ahp(app, study_id, method="g1")
    client.get(f"/i/{token}")
    assert client.get(f"/expert/rounds/{round_id}/pairwise").headers["Location"].endswith(page(round_id))
    en = client.get(page(round_id) + "?lang=en").get_data(as_text=True)
    assert "Order relation analysis (G1)" in en and "slightly more important" in en
    zh = client.get(page(round_id) + "?lang=zh").get_data(as_text=True)
    assert "序关系分析法（G1法）" in zh and "稍微重要" in zh
    data = {"action": "submit"}
    typed = {}
    for parent, kids in blocks:
        order = kids[::-1]
        ratios = [1.4] + [1.2] * (len(kids) - 2)
        typed[parent] = (order, ratios)
        data |= {f"order-{parent}-{k}": str(c) for k, c in enumerate(order)}
        data |= {f"ratio-{parent}-{k}": f"{r:.1f}" for k, r in enumerate(ratios)}
    r = client.post(page(round_id), data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        analysis = g1bwm_analysis.analysis_of(db.session.get(Round, round_id))
    parent, kids = blocks[0]
    order, ratios = typed[parent]
    expected = weighting.g1([kids.index(c) for c in order], ratios).weights
    np.testing.assert_allclose(next(iter(analysis.blocks.values())).group, expected, atol=1e-12)
    done = client.get(page(round_id) + "?lang=en").get_data(as_text=True)
    assert "You have submitted this questionnaire" in done and f"{expected[0]:.4f}" in done


def test_bwm_page_refused_post_stores_nothing(app, client, expert):
    study_id, (_eid, token) = expert
    round_id, blocks, _ = open_ahp(app, study_id, method="bwm")
    client.get(f"/i/{token}")
    zh = client.get(page(round_id) + "?lang=zh").get_data(as_text=True)
    assert "最优最劣法（BWM）" in zh and "最优" in zh
    parent, kids = blocks[0]
    before = snapshot(app), stored(app)
    data = {"action": "save", f"best-{parent}": str(kids[0]), f"worst-{parent}": str(kids[1])}
    data |= {f"bo-{parent}-{c}": "3" for c in kids[1:]}
    data |= {f"ow-{parent}-{c}": "12" for c in kids[2:]}  # off the 1-9 scale
    r = client.post(page(round_id) + "?lang=en", data=data)
    assert r.status_code == 400 and "1 to 9" in r.get_data(as_text=True)
    assert (snapshot(app), stored(app)) == before
    data |= {f"ow-{parent}-{c}": "2" for c in kids[2:]}
    assert client.post(page(round_id), data=data).status_code == 302
    assert stored(app) == len(kids)


def test_coordinator_creates_a_g1_round_with_the_ahp_form(app, client, make_study, make_coordinator):
    from tests.conftest import login
    from webapp.models import Study
    from webapp.services import ahp_rounds
    study_id = make_study(make_coordinator("alice"))
    login(client)
    with app.app_context():
        parents = [p.id for p, _k in ahp_rounds.sibling_groups(db.session.get(Study, study_id))][:3]
    form = client.get(f"/studies/{study_id}/rounds/new-ahp?lang=en").get_data(as_text=True)
    assert "Order relation analysis (G1)" in form and "Best-worst method (BWM)" in form
    data = {"title": "G1", "blocks": [str(p) for p in parents], "method": "g1", "priority_method": "eigen",
            "consistency": "cr", "threshold": "0.1", "over_threshold": "revise", "aggregation": "aij",
            "expert_weights": "equal", "tz_offset": "0", "resamples": "100", "seed": "0", "noise": "0",
            "stop_s_star": "0.75", "stop_change": "0.02", "stop_rounds": "3"}
    r = client.post(f"/studies/{study_id}/rounds/new-ahp?lang=en", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    with app.app_context():
        rnd = db.session.scalars(db.select(Round).where(Round.study_id == study_id)).one()
        assert rnd.settings["ahp"]["method"] == "g1" and [i.node_id for i in rnd.items] == parents
    before = stored(app)
    data["method"] = "delphi"                                   # not a block method: refused
    assert client.post(f"/studies/{study_id}/rounds/new-ahp?lang=en", data=data).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Round.id)).where(Round.study_id == study_id)) == 1
    assert stored(app) == before
