"""An indicator dropped between Delphi rounds is out of every later round and of the weights.

Found by the whole-study browser test (tests/e2e/test_whole_study.py): after D4 was dropped
between Delphi rounds, the AHP round's block D still compared D1–D4. Over HTTP here: Delphi
round 1 asks A–D and their 16 sub-indicators; the coordinator drops D4 (so also D4.1–D4.3
below it) and B2, B3 (so B keeps one child); then

* the AHP round form offers block D with D1–D3 only, no block D4 and no block B;
* the published weights give D4 (and what is below it) no weight, B1 a local weight of 1,
  and block D the weights of its consistent matrix (see below); the document validates
  against docs/weight-set.schema.json;
* an evaluation can be made from that weight set (it matches the study less the dropped);
* the study report weighs D1–D3 and B1 and not what was dropped;
* the indicator system page marks them dropped;
* round 1's page still shows D4 with what the experts answered.

Block D is answered with the consistent matrix a(D1,D2) = 2, a(D1,D3) = 4, a(D2,D3) = 2
by every expert; for a consistent matrix a_ij = w_i / w_j the principal eigenvector is w
itself (Saaty 1980, *The Analytic Hierarchy Process*, §1.2), so w = (4, 2, 1) / 7, and the
geometric mean of identical matrices is that matrix.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.webapp.ahp_helpers import form_fields
from webapp.extensions import db
from webapp.models import Node, Round, RoundKind, Study, WeightSet

DOCS = Path(__file__).resolve().parents[2] / "docs"
DROPPED = ("D4", "B2", "B3")
BLOCK_D = {("D1", "D2"): 2, ("D1", "D3"): 4, ("D2", "D3"): 2}


@pytest.fixture
def dropped(app, client, make_coordinator, make_study, make_expert):
    """Round 1 closed and answered by three experts; D4, B2 and B3 dropped over HTTP."""
    from webapp.services import answers, round_lifecycle, round_scope

    owner = make_coordinator("alice")
    sid = make_study(owner)
    experts = [make_expert(sid, name=f"P{i}", email=f"p{i}@example.org") for i in range(3)]
    with app.app_context():
        study = db.session.get(Study, sid)
        wanted = [n for n in study.nodes if n.parent_id is not None and len(n.code) <= 2]
        rnd = round_scope.create_delphi_round(study, nodes=wanted)
        round_lifecycle.open_round(rnd)
        for expert in study.experts:
            answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 4} for i in rnd.items])
            answers.submit_response(expert, rnd)
        db.session.commit()
        rid = rnd.id
        item_of = {i.node.code: i.id for i in rnd.items}
    login(client)
    assert client.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302
    decisions = {f"decision-{item_of[code]}": "drop" for code in DROPPED}
    assert client.post(f"/studies/{sid}/rounds/{rid}/decisions", data=decisions).status_code == 302
    return sid, rid, experts


def codes_of(app, ids):
    with app.app_context():
        return {n.id: n.code for n in db.session.scalars(select(Node).where(Node.id.in_(ids)))}


def create_ahp_round(app, client, sid):
    """Every block the form offers, as the coordinator would tick them; the round opened."""
    from webapp.services import ahp_rounds

    form = client.get(f"/studies/{sid}/rounds/new-ahp?lang=en").get_data(as_text=True)
    offered = sorted({int(v) for v in re.findall(r'name="blocks"[^>]*value="(\d+)"', form)}
                     | {int(v) for v in re.findall(r'value="(\d+)"[^>]*name="blocks"', form)})
    data = {"title": "AHP", "blocks": [str(p) for p in offered], "method": "ahp", "priority_method": "eigen",
            "consistency": "cr", "threshold": "0.1", "over_threshold": "revise", "aggregation": "aij",
            "expert_weights": "equal", "tz_offset": "0", "resamples": "0", "seed": "0", "noise": "0",
            "stop_s_star": "0.75", "stop_change": "0.02", "stop_rounds": "3"}
    r = client.post(f"/studies/{sid}/rounds/new-ahp?lang=en", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        rnd = db.session.scalars(select(Round).where(Round.study_id == sid, Round.kind == RoundKind.ahp)).one()
        blocks = [(p.id, [c.id for c in kids]) for p, kids in ahp_rounds.round_blocks(rnd)]
        rid = rnd.id
    assert client.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    return form, offered, rid, blocks


def test_later_rounds_and_weights_leave_the_dropped_indicators_out(app, client, dropped):
    sid, delphi_id, experts = dropped
    form, offered, rid, blocks = create_ahp_round(app, client, sid)
    code = codes_of(app, [i for p, kids in blocks for i in [p, *kids]])
    by_parent = {code[p]: [code[k] for k in kids] for p, kids in blocks}
    assert [code[p] for p in offered] == [code[p] for p, _ in blocks]
    assert by_parent["D"] == ["D1", "D2", "D3"]                       # D4 is out of block D
    assert "D4" not in by_parent and "B" not in by_parent             # no block below D4; B has one child
    assert by_parent["B1"] == ["B1.1", "B1.2", "B1.3", "B1.4"]        # B1's own block is still asked
    assert "D4" not in form and "B2" not in form

    client.post("/logout")
    for _expert_id, token in experts:
        client.get(f"/i/{token}")
        values = []
        for parent, kids in blocks:
            names = [code[k] for k in kids]
            values.append([BLOCK_D[(names[i], names[j])] if code[parent] == "D" else 1
                           for i in range(len(kids)) for j in range(i + 1, len(kids))])
        r = client.post(f"/expert/rounds/{rid}/pairwise", data=form_fields(blocks, values, action="submit"))
        assert r.status_code == 302, r.get_data(as_text=True)[:1000]
        client.post("/logout")
    login(client)
    assert client.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302

    preview = client.get(f"/studies/{sid}/weights/preview?round_id={rid}")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    digest = re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', preview.text) or \
        re.search(r'value="([0-9a-f]{64})"[^>]*name="digest"', preview.text)
    r = client.post(f"/studies/{sid}/weights/publish", data={"round_id": rid, "digest": digest.group(1)})
    assert r.status_code == 302
    document = json.loads(client.get(f"/studies/{sid}/weights/1.json").data)
    jsonschema.validate(document, json.loads((DOCS / "weight-set.schema.json").read_text()))
    nodes = {n["code"]: n for n in document["nodes"]}
    assert not {c for c in nodes if c.split(".")[0] in DROPPED}
    for kid, w in zip(("D1", "D2", "D3"), (4 / 7, 2 / 7, 1 / 7)):
        assert nodes[kid]["local_weight"] == pytest.approx(w, abs=1e-9)
    assert nodes["B1"]["local_weight"] == 1.0
    assert nodes["B1"]["global_weight"] == pytest.approx(nodes["B"]["global_weight"], abs=1e-12)
    assert nodes["B1.1"]["local_weight"] == pytest.approx(0.25, abs=1e-9)

    with app.app_context():
        ws_id = db.session.scalars(select(WeightSet.id).where(WeightSet.study_id == sid)).one()
    r = client.post(f"/studies/{sid}/evaluations", data={"weight_set": ws_id, "title": "After the drop",
                                                         "kind": "third_party"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]   # the set matches the study as it stands

    report = client.get(f"/studies/{sid}/report/view?lang=en").get_data(as_text=True)
    weighted = re.findall(r'<tr class="level-\d"><td>([^<]+)</td>', report)
    assert "D3" in weighted and "B1" in weighted and not {c for c in weighted if c.split(".")[0] in DROPPED}
    assert "0 / 3 / 0" in report                                       # round 1: kept / dropped / reworded

    page = client.get(f"/studies/{sid}/rounds/{delphi_id}?lang=en").get_data(as_text=True)
    assert all(c in page for c in DROPPED)                            # round 1 still shows what it asked


def test_a_new_delphi_round_and_the_block_choice_follow_the_drop(app, client, dropped):
    from webapp.services import ahp_rounds, round_scope, tree

    sid, _rid, _experts = dropped
    with app.app_context():
        study = db.session.get(Study, sid)
        gone = tree.dropped_ids(study)
        codes = {n.id: n.code for n in study.nodes}
        assert {codes[i] for i in gone} == {"D4", "D4.1", "D4.2", "D4.3", "B2", "B3"} | {
            c for c in codes.values() if c.startswith(("B2.", "B3."))}
        nodes, _level = round_scope.scope_nodes(study, "all")
        assert not {n.id for n in nodes} & gone
        groups = {p.code: [k.code for k in kids] for p, kids in ahp_rounds.sibling_groups(study)}
        assert groups["D"] == ["D1", "D2", "D3"] and "B" not in groups
        g1 = ahp_rounds.create_ahp_round(study, options={"method": "g1"})   # G1/BWM use the same blocks
        g1_blocks = {p.code: [k.code for k in kids] for p, kids in ahp_rounds.round_blocks(g1)}
        assert g1_blocks["D"] == ["D1", "D2", "D3"] and "B" not in g1_blocks and "D4" not in g1_blocks
        db.session.rollback()
        assert [n.code for n in study.nodes if n.code == "D4"] == ["D4"]  # never deleted
    page = client.get(f"/studies/{sid}/indicators?lang=en").get_data(as_text=True)
    badged = re.findall(r'<span class="inode-code">([^<]+)</span>(?:(?!inode-code).)*?badge badge-no">Dropped<',
                        page, re.S)
    assert sorted(badged) == sorted(codes[i] for i in gone)          # the indicator system says so
