"""Round 0 (the open proposals round) over HTTP: created, opened, answered by two experts
(one in Chinese), closed; the coordinator accepts, merges and rejects; the hierarchy
then has the new and renamed indicators, and round 1 asks about them. Refusals store
nothing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.helpers import snapshot

from webapp.extensions import db
from webapp.models import (
    Message,
    MessageKind,
    Node,
    NodeStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Rating,
    Response,
    Round,
    RoundKind,
    RoundStatus,
    Study,
    User,
    utcnow,
)
from webapp.services import round_lifecycle, round_zero

BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}


@pytest.fixture
def study_with_panel(app, coordinator_client, make_study, make_expert):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "alice")).id
    sid = make_study(owner)
    tokens = [make_expert(sid, name=f"Expert {i}", email=f"e{i}@example.org", familiarity="very", basis=BASIS)[1]
              for i in range(2)]
    return sid, tokens


def expert(app, token):
    client = app.test_client()
    assert client.get(f"/i/{token}").status_code in (200, 302)
    return client


def node_id(app, sid, code):
    with app.app_context():
        return db.session.scalar(select(Node.id).where(Node.study_id == sid, Node.code == code))


def proposal_id(app, text):
    with app.app_context():
        return db.session.scalar(select(Proposal.id).where(Proposal.text == text))


def create_round_zero(client, sid):
    response = client.post(f"/studies/{sid}/rounds/zero/new",
                           data={"title": "", "instructions": "Which indicators are missing?", "opens_at": "",
                                 "closes_at": "", "reminder_hours": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    rid = int(re.search(r"/rounds/(\d+)", response.headers["Location"]).group(1))
    return rid


def propose(client, rid, **data):
    form = {"kind": "add", "text": "", "description": "", "parent": "", "node": "", "rationale": ""} | data
    return client.post(f"/expert/rounds/{rid}/round-zero/propose", data=form)


def test_round_zero_from_proposals_to_round_one(app, coordinator_client, study_with_panel):
    sid, (t1, t2) = study_with_panel
    home = coordinator_client.get(f"/studies/{sid}?lang=en").get_data(as_text=True)
    assert "Round 0: open proposals" in home
    rid = create_round_zero(coordinator_client, sid)
    with app.app_context():
        rnd = db.session.get(Round, rid)
        assert (rnd.number, rnd.kind, rnd.status) == (0, RoundKind.proposals, RoundStatus.draft)
    draft_page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "Open now" in draft_page and "It has no indicators" not in draft_page
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    with app.app_context():
        assert db.session.get(Round, rid).status is RoundStatus.open
    open_page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "Close now" in open_page and f"/studies/{sid}/rounds/{rid}/round-zero" in open_page

    a, b, a1 = node_id(app, sid, "A"), node_id(app, sid, "B"), node_id(app, sid, "A1")
    e1, e2 = expert(app, t1), expert(app, t2)
    welcome = e1.get("/expert/?lang=en").get_data(as_text=True)
    assert "Round 0: propose indicators and comments before anything is rated." in welcome
    # The expert's link leads to round 0 (one link for every round kind); the page shows the
    # study's aim and the draft indicator system, read-only.
    assert e1.get(f"/expert/rounds/{rid}").headers["Location"].endswith(f"/expert/rounds/{rid}/round-zero")
    page = e1.get(f"/expert/rounds/{rid}/round-zero?lang=zh").get_data(as_text=True)
    assert "检测能力" in page and "A1.1" in page and "Which indicators are missing?" in page

    # Expert 1 (English): a new indicator under A, a reword of A1, a general comment (autosave).
    assert propose(e1, rid, kind="add", text="Data security capability", parent=str(a),
                   description="How client data is protected.").status_code == 302
    assert propose(e1, rid, kind="reword", text="Testing and calibration capability", node=str(a1)).status_code == 302
    saved = e1.post(f"/expert/rounds/{rid}/round-zero/comment", json={"comment": "Add service fees."},
                    headers={"X-CSRF-Token": e1.csrf_token()})
    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    # Expert 2 (Chinese): the same new indicator in Chinese, and a new one under B.
    assert propose(e2, rid, kind="add", text="数据安全能力", parent=str(a)).status_code == 302
    assert propose(e2, rid, kind="add", text="收费合理性", parent=str(b), rationale="收费影响满意度").status_code == 302
    for client in (e1, e2):
        assert client.post(f"/expert/rounds/{rid}/round-zero/submit").status_code == 302
    with app.app_context():
        responses = db.session.scalars(select(Response).where(Response.round_id == rid)).all()
        assert len(responses) == 2 and all(r.is_submitted for r in responses)
        assert db.session.scalar(select(Proposal.text).where(Proposal.kind == ProposalKind.comment)) == \
            "Add service fees."

    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302
    closed_page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "2 of 2 experts submitted." in closed_page
    proposals_page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/round-zero?lang=en")
    html = proposals_page.get_data(as_text=True)
    assert proposals_page.status_code == 200
    assert "E01" in html and "E02" in html and "Expert 0" not in html  # by pseudonym only
    assert "Changes to A1" in html and "New indicators under A" in html and "General comments" in html

    en, zh = proposal_id(app, "Data security capability"), proposal_id(app, "数据安全能力")
    fee, reword = proposal_id(app, "收费合理性"), proposal_id(app, "Testing and calibration capability")
    # Merge the two duplicates (the English one joins the Chinese one).
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{en}/merge",
                                   data={f"p{en}-into": str(zh)}).status_code == 302
    # The accept form of the Chinese proposal: its text fills the Chinese name, the merged
    # duplicate's the English one.
    html = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/round-zero?lang=en").get_data(as_text=True)
    assert f'name="p{zh}-name_zh" type="text" value="数据安全能力"' in html
    assert f'name="p{zh}-name_en" type="text" value="Data security capability"' in html
    accepted = coordinator_client.post(
        f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{zh}/accept",
        data={f"p{zh}-code": "A5", f"p{zh}-parent": str(a), f"p{zh}-name_zh": "数据安全能力",
              f"p{zh}-name_en": "Data security capability", f"p{zh}-description_zh": "",
              f"p{zh}-description_en": "How client data is protected."})
    assert accepted.status_code == 302
    # Accept the reword (renames A1), reject the fee proposal with a note.
    assert coordinator_client.post(
        f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{reword}/accept",
        data={f"p{reword}-name_zh": "检测和校准能力", f"p{reword}-name_en": "Testing and calibration capability"},
    ).status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{fee}/reject",
                                   data={f"p{fee}-note": "Covered by B2."}).status_code == 302

    with app.app_context():
        new = db.session.scalar(select(Node).where(Node.study_id == sid, Node.code == "A5"))
        assert (new.parent_id, new.name_zh, new.name_en) == (a, "数据安全能力", "Data security capability")
        assert new.description_en == "How client data is protected."
        renamed = db.session.get(Node, a1)
        assert (renamed.name_zh, renamed.name_en) == ("检测和校准能力", "Testing and calibration capability")
        status = {p.text: (p.status, p.created_node_id, p.decision_note)
                  for p in db.session.scalars(select(Proposal).where(Proposal.round_id == rid))}
        assert status["数据安全能力"] == (ProposalStatus.accepted, new.id, "")
        assert status["Data security capability"] == (ProposalStatus.merged, new.id, "")
        assert status["收费合理性"] == (ProposalStatus.rejected, None, "Covered by B2.")
        assert status["Testing and calibration capability"][0] is ProposalStatus.accepted
        assert not db.session.scalar(select(Node.id).where(Node.study_id == sid, Node.name_zh == "收费合理性"))

    # Round 1: created as usual, numbered 1, asks about the new and the renamed indicators.
    response = coordinator_client.post(f"/studies/{sid}/rounds/new", data={
        "title": "", "instructions": "", "scale": "1-5", "scale_min": "1", "scale_max": "5", "scope": "2",
        "allow_comments": "y", "allow_proposals": "y", "allow_no_opinion": "y", "prefill_answers": "y",
        "opens_at": "", "closes_at": "", "reminder_hours": ""})
    assert response.status_code == 302
    with app.app_context():
        first = db.session.scalar(select(Round).where(Round.study_id == sid, Round.number == 1))
        assert first.kind is RoundKind.delphi
        asked = {item.node.code for item in first.items}
        assert {"A5", "A1"} <= asked
        first_id = first.id
    assert coordinator_client.post(f"/studies/{sid}/rounds/{first_id}/open").status_code == 302
    questionnaire = e2.get(f"/expert/rounds/{first_id}?lang=zh").get_data(as_text=True)
    assert "数据安全能力" in questionnaire and "检测和校准能力" in questionnaire
    # Once round 1 has opened, round 0's decisions are final.
    before = snapshot(app)
    refused = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{reword}/reject",
                                      data={f"p{reword}-note": "late"})
    assert refused.status_code == 302 and snapshot(app) == before


def test_round_zero_is_refused_once_round_one_has_opened(app, coordinator_client, study_with_panel):
    sid, _tokens = study_with_panel
    with app.app_context():
        study = db.session.get(Study, sid)
        first = round_lifecycle.create_round(study, nodes=[n for n in study.nodes if n.parent_id is not None][:3])
        round_lifecycle.open_round(first)
        round_lifecycle.close_round(first)
        db.session.commit()
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{sid}/rounds/zero/new",
                                       data={"title": "Too late", "instructions": "", "opens_at": "",
                                             "closes_at": "", "reminder_hours": ""})
    assert response.status_code == 400
    assert "Round 0 comes before round 1" in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert "Round 0: open proposals</a>" not in coordinator_client.get(f"/studies/{sid}").get_data(as_text=True)


def test_only_one_round_zero(app, coordinator_client, study_with_panel):
    sid, _tokens = study_with_panel
    rid = create_round_zero(coordinator_client, sid)
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{sid}/rounds/zero/new",
                                       data={"title": "Again", "instructions": "", "opens_at": "",
                                             "closes_at": "", "reminder_hours": ""})
    assert response.status_code == 400 and "already has a round 0" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.fixture
def open_round_zero(app, coordinator_client, study_with_panel):
    sid, tokens = study_with_panel
    rid = create_round_zero(coordinator_client, sid)
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    return sid, rid, tokens


def test_rating_endpoints_on_round_zero_store_nothing(app, open_round_zero):
    sid, rid, (t1, _t2) = open_round_zero
    client = expert(app, t1)
    a = node_id(app, sid, "A")
    before = snapshot(app)
    saved = client.post(f"/api/v1/rounds/{rid}/answers", json={"answers": [{"node_id": a, "value": 5}]},
                        headers={"X-CSRF-Token": client.csrf_token()})
    assert saved.status_code in (400, 404)
    posted = client.post(f"/expert/rounds/{rid}", data={f"rating-{a}": "5", "action": "save"})
    assert posted.status_code in (302, 404)
    judged = client.post(f"/api/v1/rounds/{rid}/judgments", json={"judgments": []},
                         headers={"X-CSRF-Token": client.csrf_token()})
    assert judged.status_code in (400, 404)
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(Rating.id)) is None


def test_bad_proposals_are_refused_and_store_nothing(app, open_round_zero):
    sid, rid, (t1, _t2) = open_round_zero
    client = expert(app, t1)
    before = snapshot(app)
    # A new indicator needs a place; a change needs its indicator; an indicator of no study.
    assert propose(client, rid, kind="add", text="Something").status_code == 400
    assert propose(client, rid, kind="drop", text="Drop it").status_code == 400
    assert propose(client, rid, kind="add", text="X", parent="999999").status_code == 400
    assert propose(client, rid, kind="comment", text="X", parent=str(node_id(app, sid, "A"))).status_code == 400
    bad_json = client.post(f"/expert/rounds/{rid}/round-zero/comment", json={"comment": 5},
                           headers={"X-CSRF-Token": client.csrf_token()})
    assert bad_json.status_code == 400
    # Submitting nothing is refused.
    assert client.post(f"/expert/rounds/{rid}/round-zero/submit").status_code == 400
    assert snapshot(app) == before


def test_decisions_wait_for_the_close_and_a_submitted_expert_cannot_add(app, coordinator_client, open_round_zero):
    sid, rid, (t1, _t2) = open_round_zero
    client = expert(app, t1)
    assert propose(client, rid, kind="add", text="Energy use", parent=str(node_id(app, sid, "A"))).status_code == 302
    pid = proposal_id(app, "Energy use")
    before = snapshot(app)
    refused = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{pid}/reject",
                                      data={f"p{pid}-note": "no"})
    assert refused.status_code == 302 and snapshot(app) == before  # round 0 is still open
    assert client.post(f"/expert/rounds/{rid}/round-zero/submit").status_code == 302
    before = snapshot(app)
    assert propose(client, rid, kind="add", text="Late", parent=str(node_id(app, sid, "A"))).status_code == 302
    assert client.post(f"/expert/rounds/{rid}/round-zero/proposals/{pid}/withdraw").status_code == 302
    assert snapshot(app) == before


def test_a_drop_accepted_in_round_zero_leaves_round_one(app, coordinator_client, open_round_zero):
    sid, rid, (t1, _t2) = open_round_zero
    client = expert(app, t1)
    d = node_id(app, sid, "D")
    assert propose(client, rid, kind="drop", text="D overlaps with C", node=str(d)).status_code == 302
    pid = proposal_id(app, "D overlaps with C")
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{pid}/accept").status_code == 302
    with app.app_context():
        assert db.session.get(Node, d).status is NodeStatus.dropped
        study = db.session.get(Study, sid)
        assert round_zero.round_zero_of(study).id == rid


def test_round_zero_uses_the_shared_deadline_reminder_and_notice_machinery(app, coordinator_client,
                                                                            study_with_panel):
    sid, _tokens = study_with_panel
    closes = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = coordinator_client.post(f"/studies/{sid}/rounds/zero/new", data={
        "title": "Round 0", "instructions": "", "opens_at": "", "closes_at": closes, "reminder_hours": "24"})
    rid = int(re.search(r"/rounds/(\d+)", response.headers["Location"]).group(1))
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    with app.app_context():  # "round 0 is open" went to both experts (no mail server: not sent, kept to copy)
        notices = db.session.scalars(select(Message).where(Message.round_id == rid)).all()
        assert sorted(m.kind for m in notices) == [MessageKind.round_open] * 2
    later = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/extend", data={"until": later}).status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/remind").status_code == 302
    with app.app_context():
        rnd = db.session.get(Round, rid)
        assert rnd.closes_at.strftime("%Y-%m-%dT%H:%M") == later
        kinds = sorted(m.kind.value for m in db.session.scalars(select(Message).where(Message.round_id == rid)))
        assert kinds == ["reminder", "reminder", "round_open", "round_open"]
