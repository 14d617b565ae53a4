"""Steering a round: preview as an expert sees it (both languages), nothing saved."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import AuditEvent, Rating, Response, Study, utcnow
from webapp.services import answers, between_rounds, round_lifecycle, round_scope, tree


@pytest.fixture
def draft(app, coordinator_client, make_study, make_expert):
    sid = make_study(alice_id(app))
    _, token = make_expert(sid, name="A", email="a@example.org")
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1, instructions="Rate **carefully**.",
                                  closes_at=utcnow() + timedelta(days=3))
        db.session.commit()
        return sid, rnd.id, token


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Response.id))), db.session.scalar(select(func.count(Rating.id))),
                db.session.scalar(select(func.count(AuditEvent.id))))


def test_preview_shows_the_questionnaire_as_experts_see_it_and_saves_nothing(app, coordinator_client, draft):
    sid, rid, _ = draft
    before = counts(app)
    en = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview?lang=en")
    page = en.get_data(as_text=True)
    assert en.status_code == 200 and "Preview: this is the questionnaire as the experts see it" in page
    assert "<strong>carefully</strong>" in page and "How to answer" in page
    assert page.count('name="rate_') >= 4 * 5  # four first-level indicators, five points each
    assert 'method="get"' in page and "js/questionnaire.js" not in page and 'data-save-url=""' in page
    zh = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview?lang=zh").get_data(as_text=True)
    with app.app_context():
        from webapp.models import Round

        names = [(i.node.name_zh, i.node.name_en) for i in db.session.get(Round, rid).items]
    assert "预览：这是专家看到的问卷" in zh and all(name_zh in zh for name_zh, _ in names)
    assert all(name_en in page for _, name_en in names)
    # answering in the preview only reloads it
    again = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/preview", query_string={"action": "submit"})
    assert again.status_code == 200 and counts(app) == before


def test_preview_is_for_the_studys_coordinator_only(app, draft, make_coordinator):
    from tests.conftest import login

    sid, rid, token = draft
    make_coordinator("mallory")
    mallory = app.test_client()
    login(mallory, "mallory")
    assert mallory.get(f"/studies/{sid}/rounds/{rid}/preview").status_code == 404
    expert = app.test_client()
    expert.get(f"/i/{token}")
    assert expert.get(f"/studies/{sid}/rounds/{rid}/preview").status_code in (302, 401, 403)


def test_after_the_last_round_the_expert_page_promises_no_invitation(app, draft):
    sid, rid, token = draft
    with app.app_context():
        study = db.session.get(Study, sid)
        study.max_rounds = 1
        from webapp.models import Round

        rnd = db.session.get(Round, rid)
        round_lifecycle.open_round(rnd)
        round_lifecycle.close_round(rnd)
        db.session.commit()
    expert = app.test_client()
    expert.get(f"/i/{token}")
    page = expert.get("/expert/?lang=en").get_data(as_text=True)
    assert "The consultation is complete" in page and "invited" not in page
    with app.app_context():  # a second round allowed: the page says the next one will come
        db.session.get(Study, sid).max_rounds = 3
        db.session.commit()
    assert "invited when the next one starts" in expert.get("/expert/?lang=en").get_data(as_text=True)


# --- deadlines --------------------------------------------------------------------------------------

def round_state(app, rid):
    from webapp.models import Round

    with app.app_context():
        rnd = db.session.get(Round, rid)
        return rnd.status.value, rnd.closes_at, rnd.closed_at


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_extend_the_deadline_of_an_open_round(app, coordinator_client, draft):
    from datetime import datetime, timezone

    sid, rid, _ = draft
    with app.app_context():
        db.session.get(Study, sid).time_zone = "Asia/Shanghai"
        db.session.commit()
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open")
    _, old_deadline, _ = round_state(app, rid)
    page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "Extend the deadline" in page and "New deadline (Asia/Shanghai)" in page
    before = round_state(app, rid), audit_actions(app)
    for bad in ("", "2020-01-01T10:00", (old_deadline - timedelta(hours=1)).astimezone(
            timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")):
        refused = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/extend?lang=en", data={"until": bad},
                                          follow_redirects=True)
        assert refused.status_code == 200 and ("must be" in refused.get_data(as_text=True)
                                               or "Give the date" in refused.get_data(as_text=True))
        assert (round_state(app, rid), audit_actions(app)) == before
    ok = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/extend?lang=en", data={"until": "2031-03-02T18:00"},
                                 follow_redirects=True)
    assert "The deadline of round 1 is now 2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)." in ok.get_data(as_text=True)
    assert round_state(app, rid)[1] == datetime(2031, 3, 2, 10, 0, tzinfo=timezone.utc)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.extend"))
        assert event.details == {"from": old_deadline.isoformat(), "to": "2031-03-02T10:00:00+00:00"}


def test_reopen_a_closed_round_for_a_set_time(app, coordinator_client, draft, make_expert):
    from webapp.models import Expert, Round

    sid, rid, token = draft
    _, token_b = make_expert(sid, name="B", email="b@example.org")
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open")
    with app.app_context():
        rnd = db.session.get(Round, rid)
        a = db.session.scalar(select(Expert).where(Expert.name == "A"))
        answers.save_answers(a, rnd, [{"node_id": i.node_id, "value": 4} for i in rnd.items])
        answers.submit_response(a, rnd)
        nodes = [i.node_id for i in rnd.items]
        db.session.commit()
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close")
    b = app.test_client()
    b.get(f"/i/{token_b}")
    url = f"/api/v1/rounds/{rid}/answers"
    assert b.post(url, json={"answers": [{"node_id": nodes[0], "value": 3}]}).status_code == 400  # closed
    page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "Reopen this round for a set time" in page
    until = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    ok = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/reopen?lang=en",
                                 data={"until": until.strftime("%Y-%m-%dT%H:%M")}, follow_redirects=True)
    assert "Round 1 is open again until" in ok.get_data(as_text=True)
    status, closes_at, closed_at = round_state(app, rid)
    assert status == "open" and closes_at == until and closed_at is None
    assert b.post(url, json={"answers": [{"node_id": nodes[0], "value": 3}]}).status_code == 200  # in the window
    a_client = app.test_client()
    a_client.get(f"/i/{token}")
    assert a_client.post(url, json={"answers": [{"node_id": nodes[0], "value": 1}]}).status_code == 400  # final
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round.reopen"))
        assert event.details["until"] == until.isoformat()
        db.session.execute(__import__("sqlalchemy").update(Round).where(Round.id == rid)
                           .values(closes_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    # after the window: refused again, without anybody closing the round
    assert b.post(url, json={"answers": [{"node_id": nodes[1], "value": 3}]}).status_code == 400
    # reopening an open round, or with a past time, is refused and changes nothing
    before = round_state(app, rid), audit_actions(app)
    refused = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/reopen?lang=en", data={"until": "2020-01-01T00:00"},
                                      follow_redirects=True)
    assert "must stay open until a time in the future" in refused.get_data(as_text=True)
    assert (round_state(app, rid), audit_actions(app)) == before


def test_opening_a_round_without_active_experts_is_refused(app, coordinator_client, make_study):
    sid = make_study(alice_id(app))
    with app.app_context():
        rid = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1).id
        db.session.commit()
    before = round_state(app, rid), audit_actions(app)
    page = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open?lang=en", follow_redirects=True)
    assert "no expert has an active invitation link" in page.get_data(as_text=True)
    assert (round_state(app, rid), audit_actions(app)) == before


# --- between rounds ------------------------------------------------------------------------------

def test_the_next_round_carries_exactly_what_the_closed_round_leaves(app, coordinator_client, make_study,
                                                                     make_expert):
    """Issue 10: after a round that asked 8 of the 63 indicators, "Prepare round 2" made a
    draft with all 63 (every never-asked indicator counted as new). New items come only
    from accepted proposals (or what the coordinator ticks in the draft)."""
    from webapp.models import Expert, Node, Round

    sid = make_study(alice_id(app))
    make_expert(sid, name="A", email="a@example.org")
    with app.app_context():
        study = db.session.get(Study, sid)
        eight = sorted((n for n in study.nodes if n.parent is not None and n.parent.parent is not None
                        and n.parent.parent.parent is None), key=lambda n: n.code)[:8]
        assert len(eight) == 8 and len(tree.rateable_nodes(study)) == 63
        rnd = round_scope.create_delphi_round(study, nodes=eight)
        round_lifecycle.open_round(rnd)
        expert = db.session.scalar(select(Expert).where(Expert.study_id == sid))
        answers.add_proposal(expert, rnd, kind="add", text="数据安全能力", parent_node_id=eight[0].parent_id)
        db.session.commit()
        rid, codes = rnd.id, [n.code for n in rnd.items and [i.node for i in rnd.items]]
        parent_id = eight[0].parent_id
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/close")
    with app.app_context():
        between_rounds.set_item_decision(db.session.get(Round, rid).items[1], "drop")
        db.session.commit()
    with app.app_context():
        proposal_id = db.session.scalar(select(__import__("webapp.models", fromlist=["Proposal"]).Proposal.id))
    # the accept form puts a Chinese proposal into the Chinese name, even on the English page
    page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert 'value="数据安全能力"' in page.split(f'name="p{proposal_id}-name_zh"', 1)[1][:120]
    assert 'value="数据安全能力"' not in page.split(f'name="p{proposal_id}-name_en"', 1)[1][:120]
    prefix = f"p{proposal_id}-"
    accepted = coordinator_client.post(f"/studies/{sid}/rounds/{rid}/proposals/{proposal_id}/accept", data={
        prefix + "code": "NEW1", prefix + "name_zh": "数据安全能力", prefix + "name_en": "",
        prefix + "parent": str(parent_id), prefix + "description_zh": "", prefix + "description_en": ""})
    assert accepted.status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/rounds/{rid}/next").status_code == 302
    with app.app_context():
        nxt = db.session.scalar(select(Round).where(Round.study_id == sid, Round.number == 2))
        asked = sorted(i.node.code for i in nxt.items)
        new = db.session.scalar(select(Node).where(Node.code == "NEW1"))
        assert new.name_zh == "数据安全能力" and new.name_en == ""
    assert asked == sorted([c for c in codes if c != codes[1]] + ["NEW1"])  # 7 carried + 1 accepted, not 63
