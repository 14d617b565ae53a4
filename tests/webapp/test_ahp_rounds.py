"""AHP rounds on the shared lifecycle: creation, frozen settings, the expert's page and
autosave, refusals that store nothing, submission rules, publishable weights."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

import ahp
from tests.webapp.ahp_helpers import close, form_fields, matrix, open_ahp, snapshot, typed_values
from webapp.extensions import db
from webapp.models import Expert, InvalidTransition, Judgment, Response, Round, RoundKind, RoundStatus, Study
from webapp.services import ahp_rounds, ahp_weights, round_lifecycle
from webapp.services.round_lifecycle import RoundError

BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}


@pytest.fixture
def panel(app, make_study, make_expert):
    study_id = make_study()
    experts = [make_expert(study_id, name=f"P{i}", familiarity=f, basis=BASIS)
               for i, f in enumerate(["very", "familiar", "little"])]
    return study_id, experts


def url(round_id):
    return f"/api/v1/rounds/{round_id}/judgments"


def text(r):
    return r.get_data(as_text=True)


def test_creation_makes_one_block_per_sibling_group_in_hierarchy_order(app, panel):
    study_id, _ = panel
    round_id, blocks, codes = open_ahp(app, study_id)
    with app.app_context():
        tree = ahp.Hierarchy.from_parents(ahp_rounds.parents_map(db.session.get(Round, round_id)))
    assert [(p, kids) for p, kids in codes] == tree.groups()
    assert len(codes) == 16 and codes[0][0] == "SQ" and codes[0][1] == ["A", "B", "C", "D"]
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd.kind is RoundKind.ahp and rnd.status is RoundStatus.open
        assert [item.node_id for item in rnd.items] == [p for p, _ in blocks]


def test_chosen_groups_and_levels(app, panel):
    study_id, _ = panel
    with app.app_context():
        study = db.session.get(Study, study_id)
        groups = ahp_rounds.sibling_groups(study)
        rnd = ahp_rounds.create_ahp_round(study, levels=[1])
        assert [i.node.code for i in rnd.items] == ["SQ"]
        round_lifecycle.update_round  # the shared lifecycle edits schedule fields
        ahp_rounds.update_ahp_options(rnd, {"aggregation": "aip"}, parent_ids=[groups[1][0].id, groups[2][0].id])
        assert [i.node.code for i in rnd.items] == ["A", "B"]
        assert ahp_rounds.options_of(rnd)["aggregation"] == "aip"
        with pytest.raises(RoundError):
            ahp_rounds.update_ahp_options(rnd, {"aggregation": "median"})
        with pytest.raises(RoundError):
            ahp_rounds.create_ahp_round(study, parent_ids=[999999])


def test_settings_are_frozen_at_opening(app, panel):
    study_id, experts = panel
    round_id, _, _ = open_ahp(app, study_id, expert_weights="authority", threshold=0.08)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        frozen = rnd.settings["ahp"]
        assert frozen["threshold"] == 0.08 and frozen["weights_source"] == "authority"
        assert set(frozen["weights"]) == {db.session.get(Expert, e).pseudonym for e, _ in experts}
        assert len(set(frozen["weights"].values())) == 3  # three different familiarity levels
        assert [b["code"] for b in frozen["blocks"]][:2] == ["SQ", "A"]
        with pytest.raises(RoundError):
            ahp_rounds.update_ahp_options(rnd, {"threshold": 0.2})
        with pytest.raises(InvalidTransition):
            rnd.settings = {**rnd.settings, "ahp": {**frozen, "threshold": 0.2}}
        db.session.rollback()
        # a later change of an expert's self-assessment does not move the frozen weights
        expert = db.session.get(Expert, experts[0][0])
        expert.familiarity = "unfamiliar"
        db.session.commit()
        assert db.session.get(Round, round_id).settings["ahp"]["weights"] == frozen["weights"]


def test_expert_page_autosave_resume_and_submit(app, client, panel):
    study_id, experts = panel
    round_id, blocks, codes = open_ahp(app, study_id, parent_ids=None)
    client.get(f"/i/{experts[0][1]}")
    page = text(client.get(f"/expert/rounds/{round_id}/pairwise?lang=en"))
    assert "Equal importance" in page and "Extreme importance" in page and 'data-block="' in page
    parent, kids = blocks[0]
    r = client.post(url(round_id), json={"judgments": [{"block": parent, "row": kids[0], "col": kids[1], "value": 3},
                                                        {"block": parent, "row": kids[2], "col": kids[0], "value": 2}]})
    assert r.status_code == 200 and r.get_json()["ok"] and r.get_json()["blocks"] == 16
    with app.app_context():
        rows = {(j.row_node_id, j.col_node_id): j.value for j in db.session.scalars(select(Judgment))}
    # stored row before column in block order: (C over A by 2) becomes a_AC = 1/2, i.e. -2
    assert rows == {(kids[0], kids[1]): 3, (kids[0], kids[2]): -2}
    # resume: the page shows the stored choices
    page = text(client.get(f"/expert/rounds/{round_id}/pairwise?lang=en"))
    assert f'name="j-{parent}-{kids[0]}-{kids[1]}" value="3" checked' in page
    assert f'name="j-{parent}-{kids[0]}-{kids[2]}" value="-2" checked' in page
    # clear one
    client.post(url(round_id), json={"judgments": [{"block": parent, "row": kids[0], "col": kids[2], "value": None}]})
    with app.app_context():
        assert db.session.scalar(select(Judgment).where(Judgment.col_node_id == kids[2])) is None
    # submit without every block: refused, nothing submitted
    rng = np.random.default_rng(1)
    values = [typed_values(rng, len(k), spread=0.0) for _, k in blocks]
    r = client.post(f"/expert/rounds/{round_id}/pairwise?lang=en", data=form_fields(blocks[:3], values[:3], action="submit"))
    assert r.status_code == 400 and "still need comparisons" in text(r)
    r = client.post(f"/expert/rounds/{round_id}/pairwise", data=form_fields(blocks, values, action="submit"))
    assert r.status_code == 302
    page = text(client.get(f"/expert/rounds/{round_id}/pairwise?lang=en"))
    assert "You have submitted this questionnaire" in page and "disabled" in page


@pytest.mark.parametrize("bad", [
    {"value": 0}, {"value": 10}, {"value": -1}, {"value": "3"}, {"value": 2.5}, {"value": True},
    {"block": 999999}, {"col": "same"}, {"col": "other-block"}, {"row": "x"},
])
def test_refused_judgments_store_nothing(app, client, panel, bad):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id)
    client.get(f"/i/{experts[0][1]}")
    parent, kids = blocks[1]
    client.post(url(round_id), json={"judgments": [{"block": parent, "row": kids[0], "col": kids[1], "value": 5}]})
    before = snapshot(app)
    item = {"block": parent, "row": kids[0], "col": kids[2], "value": 4}
    if bad.get("col") == "same":
        item["col"] = kids[0]
    elif bad.get("col") == "other-block":
        item["col"] = blocks[2][1][0]
    else:
        item.update(bad)
    r = client.post(url(round_id), json={"judgments": [
        {"block": parent, "row": kids[1], "col": kids[2], "value": 2}, item]}, headers={"Accept-Language": "en"})
    assert r.status_code == 400 and r.get_json()["error"] == "refused" and r.get_json()["message"]
    assert snapshot(app) == before


def test_form_post_refusals_store_nothing(app, client, panel):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id)
    client.get(f"/i/{experts[0][1]}")
    parent, kids = blocks[0]
    before = snapshot(app)
    for value in ("11", "0", "abc"):
        r = client.post(f"/expert/rounds/{round_id}/pairwise?lang=en",
                        data={"action": "save", f"j-{parent}-{kids[0]}-{kids[1]}": "3",
                              f"j-{parent}-{kids[1]}-{kids[2]}": value})
        assert r.status_code == 400 and "1–9 scale" in text(r)
    assert snapshot(app) == before


def test_closed_round_other_experts_and_studies(app, client, panel, make_study, make_expert):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id)
    other_study = make_study(title="Other")
    other_expert = make_expert(other_study, name="Q")
    other_round, _, _ = open_ahp(app, other_study)
    client.get(f"/i/{experts[0][1]}")
    parent, kids = blocks[0]
    item = {"block": parent, "row": kids[0], "col": kids[1], "value": 3}
    before = snapshot(app)
    assert client.post(url(other_round), json={"judgments": [item]}).status_code == 404
    assert client.get(f"/expert/rounds/{other_round}/pairwise").status_code == 404
    assert snapshot(app) == before
    # another study's expert cannot write into this study's round
    client.get(f"/i/{other_expert[1]}")
    before = snapshot(app)  # (the invitation link itself is audited)
    assert client.post(url(round_id), json={"judgments": [item]}).status_code == 404
    assert client.get(f"/expert/rounds/{round_id}/pairwise").status_code == 404
    assert snapshot(app) == before
    client.get(f"/i/{experts[0][1]}")
    close(app, round_id)
    before = snapshot(app)
    r = client.post(url(round_id), json={"judgments": [item]})
    assert r.status_code == 400 and r.get_json()["closed"] is True
    r = client.post(f"/expert/rounds/{round_id}/pairwise", data={"action": "save", f"j-{parent}-{kids[0]}-{kids[1]}": "3"})
    assert r.status_code == 302
    assert snapshot(app) == before


def test_over_threshold_revise_or_reason(app, client, panel):
    study_id, experts = panel
    rng = np.random.default_rng(4)
    round_id, blocks, _ = open_ahp(app, study_id, over_threshold="reason")
    client.get(f"/i/{experts[0][1]}")
    values = [typed_values(rng, len(k), spread=0.0) for _, k in blocks]
    values[0] = [9, 9, 9, -9, -9, 9]  # SQ: wildly inconsistent 4 x 4
    assert ahp.consistency(matrix(values[0], 4)).cr > 0.1
    r = client.post(f"/expert/rounds/{round_id}/pairwise?lang=en", data=form_fields(blocks, values, action="submit"))
    assert r.status_code == 400 and "give a reason" in text(r)
    r = client.post(f"/expert/rounds/{round_id}/pairwise?lang=en",
                    data=form_fields(blocks, values, action="submit", reasons={blocks[0][0]: "I mean it."}))
    assert r.status_code == 302
    # round 2: own last weights shown, and the one-tap fix works without JavaScript
    close(app, round_id)
    round2, blocks2, _ = open_ahp(app, study_id)
    client.post(f"/expert/rounds/{round2}/pairwise", data=form_fields(blocks2[:1], values[:1]))
    page = text(client.get(f"/expert/rounds/{round2}/pairwise?lang=en"))
    hint = ahp.revision_hints(matrix(values[0], 4), 3)[0]
    kids = blocks2[0][1]
    sug = int(round(hint.suggested)) if hint.suggested >= 1 else -int(round(1 / hint.suggested))
    apply_value = f"{blocks2[0][0]}:{kids[hint.i]}:{kids[hint.j]}:{sug}"
    assert f'value="{apply_value}"' in page and "Last round: your weights beside the group's" in page
    r = client.post(f"/expert/rounds/{round2}/pairwise", data={"apply": apply_value, "action": "save"})
    assert r.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Judgment.value).join(Response).where(
            Response.round_id == round2, Judgment.row_node_id == kids[hint.i], Judgment.col_node_id == kids[hint.j]))
    assert stored == sug


def test_publishable_weights_follow_the_contract(app, client, panel):
    study_id, experts = panel
    rng = np.random.default_rng(9)
    round_id, blocks, codes = open_ahp(app, study_id)
    typed = []
    for _, token in experts:
        client.get(f"/i/{token}")
        values = [typed_values(rng, len(k), spread=0.3) for _, k in blocks]
        reasons = {p: "kept" for p, _ in blocks}
        client.post(f"/expert/rounds/{round_id}/pairwise", data=form_fields(blocks, values, action="save", reasons=reasons))
        typed.append(values)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        with pytest.raises(ahp_weights.NotPublishable):
            ahp_weights.publishable_weights(rnd)
    close(app, round_id)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        with pytest.raises(ahp_weights.NotPublishable):  # drafts never count: nobody submitted
            ahp_weights.publishable_weights(rnd)


def test_welcome_page_leads_to_the_open_ahp_round(app, client, panel):
    study_id, experts = panel
    round_id, blocks, _ = open_ahp(app, study_id)
    client.get(f"/i/{experts[0][1]}")
    page = text(client.get("/expert/?lang=en"))
    total = sum(len(k) * (len(k) - 1) // 2 for _, k in blocks)
    assert f"{total} pairwise comparisons" in page and f"/expert/rounds/{round_id}" in page
    r = client.get(f"/expert/rounds/{round_id}")          # the welcome page's link
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/expert/rounds/{round_id}/pairwise")


def test_the_ahp_dashboard_heading_says_the_round_number_once(app, coordinator_client, make_study, make_expert):
    """A title that starts with "Round n" / "第n轮" is not repeated after the heading's own "Round n"."""
    from sqlalchemy import update as sql_update

    from webapp.models import User

    with app.app_context():
        owner = db.session.scalar(select(User.id).where(User.username == "alice"))
    study_id = make_study(owner)
    make_expert(study_id, name="P0", familiarity="very", basis=BASIS)
    round_id, _blocks, _codes = open_ahp(app, study_id)
    with app.app_context():
        number = db.session.get(Round, round_id).number
        db.session.execute(sql_update(Round).where(Round.id == round_id).values(title=f"Round {number}: weights"))
        db.session.commit()
    client = coordinator_client
    for lang, said in (("en", f"Round {number}"), ("zh", f"第{number}轮")):
        page = client.get(f"/studies/{study_id}/rounds/{round_id}/ahp-dashboard?lang={lang}").get_data(as_text=True)
        h1 = " ".join(page.split("<h1>")[1].split("<span")[0].split())
        assert h1.count(said) == 1 and h1.endswith("· weights"), h1
        assert f"Round {number}:" not in h1
