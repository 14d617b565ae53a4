"""Wording versioned per round: reword an indicator between rounds; each round keeps
what it asked; experts see new / reworded (old wording on request) / left items."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import AuditEvent, Expert, Node, Round, Study
from webapp.services import answers, between_rounds, round_lifecycle, round_scope, tree


@pytest.fixture
def closed(app, coordinator_client, make_study, make_expert):
    """Round 1 on A–D, answered by two experts and closed; D is to be reworded, C dropped."""
    sid = make_study(alice_id(app))
    basis = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
    tokens = [make_expert(sid, name=f"E{k}", email=f"e{k}@example.org", familiarity="familiar", basis=basis)[1]
              for k in range(2)]
    with app.app_context():
        study = db.session.get(Study, sid)
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        for expert in db.session.scalars(select(Expert).where(Expert.study_id == sid)):
            answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 4} for i in rnd.items])
            answers.submit_response(expert, rnd)
        db.session.commit()
        rid = rnd.id
        items = {i.node.code: i for i in rnd.items}
        d_id, c_id = items["D"].node_id, items["C"].id
        old_d = (items["D"].node.name_zh, items["D"].node.name_en)
        ids = {code: i.id for code, i in items.items()}
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close")
    data = {f"decision-{ids[c]}": "" for c in "AB"} | {f"note-{ids[c]}": "" for c in "ABCD"}
    data |= {f"decision-{ids['C']}": "drop", f"decision-{ids['D']}": "reword"}
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/decisions", data=data).status_code == 302
    return sid, rid, d_id, old_d, tokens


def test_reword_between_rounds_and_what_each_round_asked(app, coordinator_client, closed):
    sid, rid, d_id, (old_zh, old_en), tokens = closed
    page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert f"/rounds/{rid}/reword/{d_id}" in page and "Reword now" in page
    form = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/reword/{d_id}?lang=en").get_data(as_text=True)
    assert old_en in form
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/reword/{d_id}", data={
        "name_zh": "服务结果与满意度", "name_en": "Service results and satisfaction",
        "description_zh": "", "description_en": "Outcomes and client satisfaction."})
    assert response.status_code == 302
    with app.app_context():
        node = db.session.get(Node, d_id)
        assert node.name_en == "Service results and satisfaction"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "node.reword"))
        assert event.details["old"]["name_en"] == old_en and event.details["new"]["name_zh"] == "服务结果与满意度"
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next").status_code == 302
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.study_id == sid, Round.number == 2))
        nxt_id = nxt.id
        round_lifecycle.open_round(nxt)
        db.session.commit()
    with app.app_context():  # what each round asked
        first = {i.node.code: i.asked() for i in db.session.get(Round, rid).items}
        second = {i.node.code: i.asked() for i in db.session.get(Round, nxt_id).items}
        assert (first["D"]["name_zh"], first["D"]["name_en"]) == (old_zh, old_en)
        assert second["D"]["name_en"] == "Service results and satisfaction"
        assert second["D"]["description_en"] == "Outcomes and client satisfaction."
        assert "C" not in second and set(second) == {"A", "B", "D"}
    # the expert sees what changed; the earlier round's answers page keeps its wording
    expert = app.test_client()
    expert.get(f"/i/{tokens[0]}")
    q = expert.get(f"/expert/rounds/{nxt_id}?lang=en").get_data(as_text=True)
    assert "Reworded" in q and "Wording in round 1" in q and old_en in q
    assert "No longer asked since round 1:" in q
    zh = expert.get(f"/expert/rounds/{nxt_id}?lang=zh").get_data(as_text=True)
    assert "已修改措辞" in zh and "服务结果与满意度" in zh and old_zh in zh
    past = expert.get(f"/expert/rounds/{rid}?lang=en").get_data(as_text=True)
    assert old_en in past and "Service results and satisfaction" not in past


def test_rewording_is_refused_while_a_round_is_open(app, coordinator_client, closed, make_study):
    sid, rid, d_id, (old_zh, old_en), _tokens = closed
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next")
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.study_id == sid, Round.number == 2))
        round_lifecycle.open_round(nxt)
        db.session.commit()
    response = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/reword/{d_id}?lang=en", data={
        "name_zh": "x", "name_en": "y", "description_zh": "", "description_en": ""})
    assert response.status_code == 400 and "a round is open now" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Node, d_id).name_en == old_en
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "node.reword")) is None
