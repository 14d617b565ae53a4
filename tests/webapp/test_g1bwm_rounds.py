"""G1 and BWM rounds (an AHP-kind round whose settings["ahp"]["method"] is "g1" or "bwm"):
answers over HTTP, group weights, refusals that store nothing, publishable weights.

Group weights are checked against an independent computation on the typed answers:
G1 by Guo Yajun's closed form w_n = (1 + sum_k prod_{i>=k} r_i)^-1, w_{k-1} = r_k w_k
(郭亚军《综合评价理论、方法及应用》, 2007); BWM by ``weighting.bwm`` (itself checked
against Rezaei's 2016 car example in tests/weighting); the group by the weighted geometric
mean of Forman & Peniwati (1998) written out with numpy, expert weights = the authority
coefficients Cr = (Ca + Cs)/2 of delphi.authority frozen at opening.
"""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest
from sqlalchemy import func, select

import delphi
import weighting
from tests.conftest import login
from tests.webapp.ahp_helpers import close, open_ahp, snapshot
from webapp.extensions import db
from webapp.models import Expert, Round, WeightAnswer
from webapp.services import g1bwm_analysis

BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
G1_STEPS = [1.0, 1.2, 1.4, 1.6, 1.8]


@pytest.fixture
def panel(app, make_study, make_expert, make_coordinator):
    study_id = make_study(make_coordinator("alice"))
    experts = [make_expert(study_id, name=f"P{i}", familiarity=f, basis=BASIS)
               for i, f in enumerate(["very", "familiar", "little"])]
    return study_id, experts


def url(round_id, submit=False):
    return f"/api/v1/rounds/{round_id}/weight-answers" + ("/submit" if submit else "")


def g1_by_hand(order, ratios, n):
    """Guo Yajun's closed form, written out (not weighting.g1)."""
    w = np.zeros(n)
    tail = [np.prod(ratios[k:]) for k in range(len(ratios))]
    w_last = 1.0 / (1.0 + sum(tail))
    w[order[-1]] = w_last
    for k in range(n - 2, -1, -1):
        w[order[k]] = ratios[k] * w[order[k + 1]]
    return w


def geo_mean(vectors, alpha):
    alpha = np.asarray(alpha, float) / np.sum(alpha)
    g = np.exp((alpha[:, None] * np.log(np.asarray(vectors))).sum(axis=0))
    return g / g.sum()


def g1_answer(rng, parent, kids):
    order = list(rng.permutation(kids))
    return {"block": parent, "order": [int(x) for x in order],
            "ratios": [float(rng.choice(G1_STEPS)) for _ in range(len(kids) - 1)]}


def bwm_answer(rng, parent, kids):
    b, w = rng.choice(len(kids), size=2, replace=False)
    abw = int(rng.integers(3, 10))
    bo = {str(k): int(rng.integers(2, abw + 1)) for k in kids}
    ow = {str(k): int(rng.integers(2, abw + 1)) for k in kids}
    bo[str(kids[w])] = ow[str(kids[b])] = abw
    bo.pop(str(kids[b]))
    ow.pop(str(kids[w]))
    return {"block": parent, "best": kids[b], "worst": kids[w], "best_to_others": bo, "others_to_worst": ow}


def answer_all(client, round_id, blocks, token, make, rng):
    client.get(f"/i/{token}")
    typed = {parent: make(rng, parent, kids) for parent, kids in blocks}
    r = client.post(url(round_id), json={"blocks": list(typed.values())})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["blocks_done"] == len(blocks)
    assert client.post(url(round_id, submit=True)).status_code == 200
    return typed


def authority_alpha(app, names):
    """Cr = (Ca + Cs)/2 of each expert (delphi.authority, default tables), panel order."""
    with app.app_context():
        experts = {e.pseudonym: e for e in db.session.scalars(select(Expert))}
        chosen = [experts[p] for p in names]
        return list(delphi.authority([e.basis for e in chosen], [e.familiarity for e in chosen]).cr)


@pytest.mark.parametrize("method", ["g1", "bwm"])
def test_http_answers_give_the_group_weights_of_the_typed_answers(app, client, panel, method):
    study_id, experts = panel
    round_id, blocks, codes = open_ahp(app, study_id, method=method, expert_weights="authority")
    rng = np.random.default_rng(7)
    make = g1_answer if method == "g1" else bwm_answer
    typed = [answer_all(client, round_id, blocks, token, make, rng) for _id, token in experts]
    with app.app_context():
        pseudonyms = g1bwm_analysis.analysis_of(db.session.get(Round, round_id)).pseudonyms
    alpha = authority_alpha(app, pseudonyms)
    assert len(set(alpha)) == 3  # three familiarity levels: three different Cr
    close(app, round_id)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        analysis = g1bwm_analysis.analysis_of(rnd)
        published = g1bwm_analysis.publishable_weights(rnd)
    assert published["kind"] == method and published["panel"]["experts_used"] == pseudonyms
    for (parent, kids), (code, child_codes) in zip(blocks, codes):
        index = {k: i for i, k in enumerate(kids)}
        vectors = []
        for answers in typed:
            a = answers[parent]
            if method == "g1":
                vectors.append(g1_by_hand([index[k] for k in a["order"]], a["ratios"], len(kids)))
            else:
                bo = {int(k): v for k, v in a["best_to_others"].items()} | {a["best"]: 1}
                ow = {int(k): v for k, v in a["others_to_worst"].items()} | {a["worst"]: 1}
                vectors.append(weighting.bwm(index[a["best"]], index[a["worst"]], [bo[k] for k in kids],
                                             [ow[k] for k in kids]).weights)
        expected = geo_mean(vectors, alpha)
        np.testing.assert_allclose(analysis.blocks[code].group, expected, atol=1e-9)
        for c, w in zip(child_codes, expected):
            assert published["local_weights"][c] == pytest.approx(w, abs=1e-9)
    # the dashboard's rows and the CSV export show the same group weights
    client.get("/logout")
    login(client)
    dash = client.get(f"/studies/{study_id}/rounds/{round_id}/ahp-dashboard?lang=en", follow_redirects=True)
    html = dash.get_data(as_text=True)
    assert dash.status_code == 200 and 'id="g1bwm-weights"' in html and ("G1" if method == "g1" else "BWM") in html
    shown = dict(re.findall(r'data-code="([^"]+)" data-weight="([^"]+)"', html))
    assert len(shown) == sum(len(kids) for _c, kids in codes)
    for code, w in published["local_weights"].items():
        assert float(shown[code]) == pytest.approx(w, abs=1e-12)
    export = client.get(f"/studies/{study_id}/rounds/{round_id}/weights-export/weights.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r[1]: float(r[2]) for r in rows[1:]} == pytest.approx(published["local_weights"], abs=1e-12)
    assert client.get(f"/studies/{study_id}/rounds/{round_id}/weights-export.xlsx").status_code == 200
    sums = {}
    for code, kids in codes:
        sums[code] = sum(published["local_weights"][c] for c in kids)
    assert all(abs(s - 1) < 1e-9 for s in sums.values())


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count(WeightAnswer.id)))


def test_g1_refusals_store_nothing(app, client, panel, make_study, make_expert):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id, method="g1")
    (parent, kids), (parent2, kids2) = blocks[0], blocks[1]
    client.get(f"/i/{experts[0][1]}")
    good = {"block": parent, "order": kids, "ratios": [1.2] * (len(kids) - 1)}
    assert client.post(url(round_id), json={"blocks": [good]}).status_code == 200
    before = snapshot(app), stored(app)
    bad = [
        {**good, "ratios": [1.3] + [1.2] * (len(kids) - 2)},               # off the G1 scale
        {**good, "ratios": [2.0] + [1.2] * (len(kids) - 2)},
        {**good, "ratios": [True] + [1.2] * (len(kids) - 2)},
        {**good, "ratios": [1.2] * len(kids)},                              # one ratio too many
        {**good, "order": kids[:-1]},                                       # an indicator left out
        {**good, "order": kids[:-1] + [kids2[0]]},                          # an indicator of another block
        {**good, "block": 10**6},                                           # no such block
        {"block": parent, "best": kids[0], "worst": kids[1], "best_to_others": {}, "others_to_worst": {}},
    ]
    for item in bad:
        r = client.post(url(round_id), json={"blocks": [item, {"block": parent2, "order": kids2,
                                                               "ratios": [1.4] * (len(kids2) - 1)}]})
        assert r.status_code == 400 and r.get_json()["error"] == "refused", item
        assert r.get_json()["message"]
    assert (snapshot(app), stored(app)) == before
    # submission refused while blocks are missing
    r = client.post(url(round_id, submit=True) + "?lang=en")
    assert r.status_code == 400 and "still need an answer" in r.get_json()["message"]
    assert (snapshot(app), stored(app)) == before
    # another study's round: 404, nothing stored
    other_study = make_study(title="Other")
    make_expert(other_study, name="Q")  # a round opens only with an active expert
    other_round, other_blocks, _ = open_ahp(app, other_study, method="g1")
    before = snapshot(app), stored(app)
    r = client.post(url(other_round), json={"blocks": [good]})
    assert r.status_code == 404
    assert (snapshot(app), stored(app)) == before
    # closed round: refused, flagged closed
    close(app, round_id)
    before = snapshot(app), stored(app)
    r = client.post(url(round_id), json={"blocks": [good]})
    assert r.status_code == 400 and r.get_json()["closed"] is True
    assert (snapshot(app), stored(app)) == before


def test_bwm_refusals_store_nothing(app, client, panel):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id, method="bwm")
    parent, kids = blocks[0]
    client.get(f"/i/{experts[0][1]}")
    others = kids[1:-1]
    good = {"block": parent, "best": kids[0], "worst": kids[-1],
            "best_to_others": {str(k): 3 for k in others} | {str(kids[-1]): 8},
            "others_to_worst": {str(k): 3 for k in others} | {str(kids[0]): 8}}
    r = client.post(url(round_id), json={"blocks": [good]})
    assert r.status_code == 200 and r.get_json()["cr"][str(parent)] >= 0
    before = snapshot(app), stored(app)
    bad = [
        {**good, "best_to_others": good["best_to_others"] | {str(others[0]): 10}},   # off 1–9
        {**good, "best_to_others": good["best_to_others"] | {str(others[0]): 2.5}},
        {**good, "others_to_worst": good["others_to_worst"] | {str(kids[0]): 7}},     # a_BW twice, differently
        {**good, "worst": kids[0]},                                                   # best = worst
        {**good, "best_to_others": {str(kids[-1]): 8}},                               # comparisons missing
        {**good, "best_to_others": good["best_to_others"] | {str(blocks[1][1][0]): 3}},  # another block's indicator
        {"block": parent, "order": kids, "ratios": [1.2] * (len(kids) - 1)},          # a G1 answer
    ]
    for item in bad:
        r = client.post(url(round_id), json={"blocks": [item]})
        assert r.status_code == 400 and r.get_json()["error"] == "refused", item
    assert (snapshot(app), stored(app)) == before


def test_ahp_round_takes_no_g1_answers(app, client, panel):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id)
    parent, kids = blocks[0]
    client.get(f"/i/{experts[0][1]}")
    before = snapshot(app), stored(app)
    r = client.post(url(round_id) + "?lang=en",
                    json={"blocks": [{"block": parent, "order": kids, "ratios": [1.2] * (len(kids) - 1)}]})
    assert r.status_code == 400 and "no G1 or BWM" in r.get_json()["message"]
    assert (snapshot(app), stored(app)) == before


def test_a_closed_g1_round_publishes_a_weight_set(app, client, panel):
    from webapp.models import Study
    from webapp.services import weight_sets
    study_id, experts = panel
    round_id, blocks, codes = open_ahp(app, study_id, method="g1")
    rng = np.random.default_rng(3)
    for _id, token in experts:
        answer_all(client, round_id, blocks, token, g1_answer, rng)
    close(app, round_id)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd in weight_sets.source_rounds(db.session.get(Study, study_id))
        source = weight_sets.source_of(rnd)
        assert source["kind"] == "g1"
        assert source["local_weights"] == g1bwm_analysis.publishable_weights(rnd)["local_weights"]
