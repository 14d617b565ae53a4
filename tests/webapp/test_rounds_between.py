"""Between rounds over HTTP: results, decisions, proposals, stopping advice, the next round."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.helpers import snapshot

from webapp.extensions import db
from webapp.models import (
    ItemDecision,
    Node,
    Proposal,
    ProposalStatus,
    Round,
    RoundStatus,
    Study,
    User,
)
from webapp.services import answers, between_rounds, round_lifecycle, round_scope
from webapp.services.delphi_items import round_report



def experts_of(study):
    return sorted(study.experts, key=lambda e: e.pseudonym)


@pytest.fixture
def closed_round(app, coordinator_client, make_study, make_expert):
    """Round 1 on the first-level indicators A–D, answered by 4 experts and closed by the coordinator.

    A: all 5 (consensus), B: 4 each (consensus), C: 1..4 (none), D: 3 each (mean too low).
    E01 proposes a new first-level indicator and that C be dropped.
    """
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "alice")).id
    sid = make_study(owner)
    for i in range(4):
        make_expert(sid, name=f"Expert {i}", email=f"e{i}@example.org")
    with app.app_context():
        study = db.session.get(Study, sid)
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        e01 = experts_of(study)[0]
        answers.add_proposal(e01, rnd, kind="add", text="Data security capability",
                            rationale="Platforms hold client data.", parent_node_id=study.root.id)
        c_node = next(n for n in study.nodes if n.code == "C")
        answers.add_proposal(e01, rnd, kind="drop", text="C overlaps with B", node_id=c_node.id)
        for k, expert in enumerate(experts_of(study)):
            values = [5, 4, 1 + k, 3]
            answers.save_answers(expert, rnd, [{"node_id": item.node_id, "value": v}
                                              for item, v in zip(rnd.items, values)])
            answers.submit_response(expert, rnd)
        db.session.commit()
        round_id = rnd.id
    assert coordinator_client.post(f"/studies/{sid}/rounds/{round_id}/close").status_code == 302
    return sid, round_id


def page(client, sid, rid, lang="en"):
    response = client.get(f"/studies/{sid}/rounds/{rid}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_results_match_the_round_report(app, coordinator_client, closed_round):
    sid, rid = closed_round
    html = page(coordinator_client, sid, rid)
    with app.app_context():
        report = round_report(db.session.get(Round, rid))
        for item in report.items:
            assert f"{item.stats['mean']:.2f}" in html
            assert f"{item.stats['cv']:.2f}" in html
        assert [i.consensus for i in report.items] == [True, True, False, False]
    assert "fails Coefficient of variation (CV) &lt; 0.25" in html
    assert "fails Mean &gt; 3.5" in html or "fails Mean > 3.5" in html
    assert "Not yet: 2 of 4 indicators without consensus." in html
    assert "Data security capability" in html and "Platforms hold client data." in html
    assert "E01" in html


def test_decisions_and_proposals_shape_the_next_round(app, coordinator_client, closed_round):
    sid, rid = closed_round
    with app.app_context():
        rnd = db.session.get(Round, rid)
        item = {i.node.code: i.id for i in rnd.items}
        root_id = rnd.study.root.id
        add_id, drop_id = [p.id for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
    data = {f"decision-{item['A']}": "keep", f"note-{item['A']}": "",
            f"decision-{item['B']}": "drop", f"note-{item['B']}": "merged into A",
            f"decision-{item['C']}": "", f"note-{item['C']}": "",
            f"decision-{item['D']}": "reword", f"note-{item['D']}": "Service results and satisfaction"}
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/decisions", data=data).status_code == 302
    prefix = f"p{add_id}-"
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/proposals/{add_id}/accept", data={
        prefix + "code": "E", prefix + "name_zh": "数据安全能力", prefix + "name_en": "Data security capability",
        prefix + "parent": str(root_id), prefix + "description_zh": "", prefix + "description_en": ""})
    assert response.status_code == 302
    # the drop proposal on C, accepted, becomes the decision on C
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/proposals/{drop_id}/accept").status_code == 302
    with app.app_context():
        rnd = db.session.get(Round, rid)
        decisions = {i.node.code: (i.decision, i.decision_note) for i in rnd.items}
        assert decisions["B"] == (ItemDecision.drop, "merged into A")
        assert decisions["C"] == (ItemDecision.drop, "C overlaps with B")
        assert decisions["D"] == (ItemDecision.reword, "Service results and satisfaction")
        assert {p.status for p in db.session.scalars(select(Proposal))} == {ProposalStatus.accepted}
        new = db.session.scalar(select(Node).where(Node.code == "E"))
        assert new.parent_id == root_id and new.name_en == "Data security capability"
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next")
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.number == 2))
        assert nxt.status is RoundStatus.draft and nxt.rated_level == 1
        assert [i.node.code for i in nxt.items] == ["A", "D", "E"]
    # the new draft's page offers "what the previous round leaves"
    html = coordinator_client.get(f"/studies/{sid}/rounds/{nxt.id}/edit?lang=en").get_data(as_text=True)
    assert "What the previous round leaves" in html


def test_next_round_without_consensus_items(app, coordinator_client, closed_round):
    sid, rid = closed_round
    with app.app_context():
        db.session.get(Round, rid).drop_consensus_items = True
        db.session.commit()
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next")
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.number == 2))
        assert [i.node.code for i in nxt.items] == ["C", "D"]  # A and B reached consensus


def test_new_round_form_carries_the_remaining_items(app, coordinator_client, closed_round):
    from tests.webapp.test_rounds_pages import form_data

    sid, rid = closed_round
    with app.app_context():
        b = next(i for i in db.session.get(Round, rid).items if i.node.code == "B")
        between_rounds.set_item_decision(b, "drop")
        db.session.commit()
    response = coordinator_client.post(f"/studies/{sid}/rounds/new",
                                       data=form_data(scope="carry", drop_consensus_items="y"))
    assert response.status_code == 302
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.number == 2))
        assert [i.node.code for i in nxt.items] == ["C", "D"]


def test_refusals_between_rounds_change_nothing(app, coordinator_client, closed_round):
    sid, rid = closed_round
    base = f"/studies/{sid}/rounds/{rid}"
    with app.app_context():
        rnd = db.session.get(Round, rid)
        add_id, drop_id = [p.id for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
        root_id = rnd.study.root.id
    before = snapshot(app)
    # a code already used
    prefix = f"p{add_id}-"
    response = coordinator_client.post(f"{base}/proposals/{add_id}/accept", data={
        prefix + "code": "A", prefix + "name_en": "Dup", prefix + "parent": str(root_id)})
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)
    # no name at all
    response = coordinator_client.post(f"{base}/proposals/{add_id}/accept", data={
        prefix + "code": "Z", prefix + "parent": str(root_id)})
    assert response.status_code == 400 and "name in Chinese or English" in response.get_data(as_text=True)
    # a parent outside the choices (a level-2 node for a level-1 round)
    with app.app_context():
        a1 = db.session.scalar(select(Node).where(Node.code == "A1")).id
    response = coordinator_client.post(f"{base}/proposals/{add_id}/accept", data={
        prefix + "code": "Z", prefix + "name_en": "Z", prefix + "parent": str(a1)})
    assert response.status_code == 400
    # a stopping rule out of range
    response = coordinator_client.post(f"{base}/stopping", data={"max_rounds": "0", "stability_alpha": "0.05"})
    assert response.status_code == 400
    response = coordinator_client.post(f"{base}/stopping", data={"max_rounds": "3", "stability_alpha": "2"})
    assert response.status_code == 400
    # an unknown decision
    with app.app_context():
        item_id = db.session.get(Round, rid).items[0].id
    response = coordinator_client.post(f"{base}/decisions", data={f"decision-{item_id}": "burn"})
    assert response.status_code == 400
    # a proposal of another round is 404
    assert coordinator_client.post(f"{base}/proposals/99999/reject").status_code == 404
    assert snapshot(app) == before
    # a decided proposal cannot be decided again
    coordinator_client.post(f"{base}/proposals/{drop_id}/reject")
    before = snapshot(app)
    response = coordinator_client.post(f"{base}/proposals/{drop_id}/accept", follow_redirects=True)
    assert "already decided" in response.get_data(as_text=True)
    assert snapshot(app) == before
    # a second "next round" while the first is a draft
    coordinator_client.post(f"{base}/next")
    before = snapshot(app)
    response = coordinator_client.post(f"{base}/next", follow_redirects=True)
    assert "already follows" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_decisions_on_an_open_round_are_refused(app, coordinator_client, make_study, make_expert):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "alice")).id
    sid = make_study(owner)
    make_expert(sid)
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        rid, item_id = rnd.id, rnd.items[0].id
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/decisions",
                                       data={f"decision-{item_id}": "drop"}, follow_redirects=True)
    assert "once the round is closed" in response.get_data(as_text=True)
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next", follow_redirects=True)
    assert "Close the round before preparing the next one" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_stopping_advice_in_plain_words(app, coordinator_client, closed_round):
    sid, rid = closed_round
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/stopping",
                                       data={"max_rounds": "1", "stability_alpha": "0.1"})
    assert response.status_code == 302
    with app.app_context():
        study = db.session.get(Study, sid)
        assert (study.max_rounds, study.stability_alpha) == (1, 0.1)
    html = page(coordinator_client, sid, rid)
    assert "Round limit (1) reached: the study may stop." in html
    assert "2 indicators still without consensus." in html
    zh = page(coordinator_client, sid, rid, "zh")
    assert "轮数上限" in zh


def test_all_consensus_advice(app, coordinator_client, make_study, make_expert):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "alice")).id
    sid = make_study(owner)
    for i in range(3):
        make_expert(sid)
    with app.app_context():
        study = db.session.get(Study, sid)
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        for expert in experts_of(study):
            answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 5} for i in rnd.items])
            answers.submit_response(expert, rnd)
        round_lifecycle.close_round(rnd)
        db.session.commit()
        rid = rnd.id
    html = page(coordinator_client, sid, rid)
    assert "All 4 indicators reached consensus: the study may stop." in html
    assert coordinator_client.post(f"/studies/{sid}/rounds/finish").status_code == 302
    with app.app_context():
        assert db.session.get(Study, sid).status.value == "finished"
        assert db.session.scalar(select(func.count(Round.id))) == 1
