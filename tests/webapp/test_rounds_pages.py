"""The coordinator's round pages over HTTP: create, edit, open, close, delete, refusals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update
from tests.helpers import snapshot

from webapp.extensions import db
from webapp.models import (
    Rating,
    Response,
    Round,
    RoundItem,
    RoundStatus,
    Study,
    StudyStatus,
    User,
    utcnow,
)
from webapp.services import answers, round_lifecycle, tree
from webapp.services.answers import AnswerError


@pytest.fixture
def study_id(app, coordinator_client, make_study, make_expert):
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice"))
        owner = alice.id
    sid = make_study(owner)
    for i in range(4):
        make_expert(sid, name=f"Expert {i}", email=f"e{i}@example.org")
    return sid


def local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    data = {
        "title": "First round", "instructions": "Rate **each** indicator.", "scale": "1-5",
        "scale_min": "1", "scale_max": "5", "scope": "1", "allow_comments": "y", "allow_proposals": "y",
        "allow_no_opinion": "y", "tz_offset": "0", "opens_at": "", "closes_at": "", "reminder_hours": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def the_round(app, number: int = 1) -> Round:
    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.number == number))
        db.session.expunge_all()
        return rnd


def scale_free_rule(app, sid) -> None:
    """A consensus rule for any scale (the default one is written for 1–5)."""
    import delphi

    with app.app_context():
        db.session.get(Study, sid).consensus_rule = delphi.ConsensusRule.preset("agreement-75").to_dict()
        db.session.commit()


def create(client, sid, **overrides):
    return client.post(f"/studies/{sid}/rounds/new", data=form_data(**overrides))


# --- create and edit ---------------------------------------------------------------------------

def beijing(app, study_id):
    with app.app_context():
        db.session.get(Study, study_id).time_zone = "Asia/Shanghai"
        db.session.commit()


def test_create_a_round_stores_settings_in_utc(app, coordinator_client, study_id):
    beijing(app, study_id)
    page = coordinator_client.get(f"/studies/{study_id}/rounds/new?lang=en")
    assert page.status_code == 200 and b"New Delphi round" in page.data
    scale_free_rule(app, study_id)
    closes_local = (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0, tzinfo=None)
    response = create(coordinator_client, study_id, scale="1-9", tz_offset="480", closes_at=local(closes_local),
                      reminder_hours="24", allow_proposals=None)
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    rnd = the_round(app)
    assert rnd.status is RoundStatus.draft and rnd.title == "First round"
    assert (rnd.scale_min, rnd.scale_max, rnd.rated_level, rnd.reminder_hours) == (1, 9, 1, 24)
    assert rnd.allow_proposals is False and rnd.allow_comments is True
    # typed in the study's zone, Beijing time: the stored UTC moment is 8 hours earlier
    assert rnd.closes_at == closes_local.replace(tzinfo=timezone.utc) - timedelta(hours=8)
    with app.app_context():
        codes = [i.node.code for i in db.session.get(Round, rnd.id).items]
    assert codes == ["A", "B", "C", "D"]


def test_edit_page_shows_items_and_times_in_the_studys_zone(app, coordinator_client, study_id):
    beijing(app, study_id)
    closes_local = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0, tzinfo=None)
    create(coordinator_client, study_id, tz_offset="480", closes_at=local(closes_local))
    rnd = the_round(app)
    html = coordinator_client.get(f"/studies/{study_id}/rounds/{rnd.id}/edit?lang=en").get_data(as_text=True)
    assert local(closes_local) in html  # shown back in Beijing time, as typed
    assert "Asia/Shanghai (UTC+08:00)" in html and 'name="nodes"' in html
    assert html.count('name="nodes"') == 4


def test_edit_draft_settings_and_scope(app, coordinator_client, study_id):
    scale_free_rule(app, study_id)
    create(coordinator_client, study_id)
    rnd = the_round(app)
    response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/edit",
                                       data=form_data(title="Renamed", scope="2", scale="custom",
                                                      scale_min="0", scale_max="7"))
    assert response.status_code == 302
    rnd = the_round(app)
    assert rnd.title == "Renamed" and (rnd.scale_min, rnd.scale_max) == (0, 7) and rnd.rated_level == 2
    with app.app_context():
        items = db.session.get(Round, rnd.id).items
        assert len(items) > 4 and all(i.node.depth == 2 for i in items)


def test_untick_items(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    with app.app_context():
        ids = [i.node_id for i in db.session.get(Round, rnd.id).items]
    response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/items", data={"nodes": ids[:2]})
    assert response.status_code == 302
    with app.app_context():
        assert [i.node_id for i in db.session.get(Round, rnd.id).items] == ids[:2]


def test_markdown_preview_is_sanitised_and_stores_nothing(app, coordinator_client, study_id):
    before = snapshot(app)
    response = coordinator_client.post(
        f"/studies/{study_id}/rounds/new",
        data=form_data(instructions="**Bold** <script>alert(1)</script> <img src=http://x/t.png>", preview="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in html and "<script>alert" not in html and "<img" not in html
    assert snapshot(app) == before


@pytest.mark.parametrize("overrides, message", [
    ({"closes_at": "2020-01-01T10:00"}, "closing time must be in the future"),
    ({"opens_at": "2099-01-02T10:00", "closes_at": "2099-01-01T10:00"}, "open before it closes"),
    ({"scale": "custom", "scale_min": "3", "scale_max": "11"}, "Number must be between"),
    ({"scale": "custom", "scale_min": "5", "scale_max": "2"}, "run upwards"),
    ({"reminder_hours": "0"}, "Number must be between"),
    ({"scope": "galaxy"}, "Not a valid choice"),
])
def test_invalid_round_input_re_renders_and_stores_nothing(app, coordinator_client, study_id, overrides, message):
    scale_free_rule(app, study_id)
    before = snapshot(app)
    response = create(coordinator_client, study_id, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_invalid_edit_stores_nothing(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/edit",
                                       data=form_data(title="Changed", closes_at="2021-05-05T05:05"))
    assert response.status_code == 400 and b"closing time must be in the future" in response.data
    assert snapshot(app) == before
    response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/items", data={})
    assert response.status_code == 400 and b"at least one indicator" in response.data
    assert snapshot(app) == before


def test_forged_post_is_refused(app, coordinator_client, study_id):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/rounds/new", data=form_data(), csrf=False)
    assert response.status_code in (400, 200)
    assert snapshot(app) == before
    create(coordinator_client, study_id)
    rnd = the_round(app)
    before = snapshot(app)
    for action in ("open", "delete", "close"):
        response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/{action}", csrf=False)
        assert response.status_code == 400
    assert snapshot(app) == before


# --- lifecycle -------------------------------------------------------------------------------------

def test_open_then_close_via_the_buttons(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    assert coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open").status_code == 302
    assert the_round(app).status is RoundStatus.open
    with app.app_context():
        assert db.session.get(Study, study_id).status is StudyStatus.running
    # a draft's settings can no longer be edited once open
    response = coordinator_client.get(f"/studies/{study_id}/rounds/{rnd.id}/edit")
    assert response.status_code == 302
    assert coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/close").status_code == 302
    rnd = the_round(app)
    assert rnd.status is RoundStatus.closed and rnd.closed_at is not None


def test_delete_a_draft(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    response = coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Round.id))) == 0
        assert db.session.scalar(select(func.count(RoundItem.id))) == 0


def refused(client, app, url, message, data=None):
    before = snapshot(app)
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code in (200, 400)
    assert message in response.get_data(as_text=True), response.get_data(as_text=True)[:3000]
    assert snapshot(app) == before


def test_refusals_change_nothing(app, coordinator_client, study_id):
    base = f"/studies/{study_id}/rounds"
    create(coordinator_client, study_id)
    rnd = the_round(app)
    # a second round while one is a draft
    refused(coordinator_client, app, f"{base}/new", "not closed yet", data=form_data())
    # a round with no items cannot open
    with app.app_context():
        db.session.execute(delete(RoundItem).where(RoundItem.round_id == rnd.id))
        db.session.commit()
    refused(coordinator_client, app, f"{base}/{rnd.id}/open", "it has no indicators")
    # close a draft
    refused(coordinator_client, app, f"{base}/{rnd.id}/close", "Only an open round can be closed")
    # put items back, open; then a second round while one is open, and delete an open round
    with app.app_context():
        r = db.session.get(Round, rnd.id)
        round_lifecycle.set_round_items(r, tree.rateable_nodes(r.study, 1))
        db.session.commit()
    coordinator_client.post(f"{base}/{rnd.id}/open")
    refused(coordinator_client, app, f"{base}/new", "not closed yet", data=form_data())
    refused(coordinator_client, app, f"{base}/{rnd.id}/delete", "Only a draft round can be deleted")
    refused(coordinator_client, app, f"{base}/{rnd.id}/open", "it is not a draft")
    refused(coordinator_client, app, f"{base}/finish", "Close the open round before finishing")
    coordinator_client.post(f"{base}/{rnd.id}/close")
    # close a closed round, decide on items of a round... of a round that is closed works; open round refused
    refused(coordinator_client, app, f"{base}/{rnd.id}/close", "Only an open round can be closed")
    refused(coordinator_client, app, f"{base}/{rnd.id}/remind", "only while the round is open")


def test_finish_study(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open")
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/close")
    assert coordinator_client.post(f"/studies/{study_id}/rounds/finish").status_code == 302
    with app.app_context():
        assert db.session.get(Study, study_id).status is StudyStatus.finished
    refused(coordinator_client, app, f"/studies/{study_id}/rounds/new", "study is finished", data=form_data())
    refused(coordinator_client, app, f"/studies/{study_id}/rounds/finish", "Only a running study can be finished")


# --- deadlines without a scheduler ------------------------------------------------------------------

def test_the_deadline_holds_without_anyone_closing_the_round(app, coordinator_client, study_id):
    closes = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0, tzinfo=None)
    create(coordinator_client, study_id, closes_at=local(closes))
    rnd = the_round(app)
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open")
    with app.app_context():
        r = db.session.get(Round, rnd.id)
        expert = sorted(r.study.experts, key=lambda e: e.pseudonym)[0]
        answers.save_answers(expert, r, [{"node_id": i.node_id, "value": 4} for i in r.items])
        db.session.commit()
        # time passes: the deadline is now behind us, and no scheduler ran
        r.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert db.session.get(Round, rnd.id).status is RoundStatus.open
        with pytest.raises(AnswerError, match="closed"):
            answers.submit_response(expert, r)
        db.session.rollback()
        assert db.session.scalar(select(func.count(Response.id)).where(
            Response.status == "submitted")) == 0
    # a round's page applies the deadline first
    html = coordinator_client.get(f"/studies/{study_id}/rounds/{rnd.id}?lang=en").get_data(as_text=True)
    assert "closed at its deadline" in html
    assert the_round(app).status is RoundStatus.closed
    with app.app_context():
        assert db.session.scalar(select(Response.status)) .value == "draft"


def test_the_study_page_lists_rounds(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    html = coordinator_client.get(f"/studies/{study_id}?lang=en").get_data(as_text=True)
    assert "Delphi rounds" in html and "First round" in html and "New Delphi round" in html
    assert f"/studies/{study_id}/rounds/{rnd.id}/edit" in html
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open")
    html = coordinator_client.get(f"/studies/{study_id}?lang=en").get_data(as_text=True)
    assert f"/studies/{study_id}/rounds/{rnd.id}/dashboard" in html
    assert "0 of 4 submitted" in html


# --- other coordinators ------------------------------------------------------------------------------

def test_another_coordinator_gets_404_everywhere(app, client, coordinator_client, study_id, make_coordinator):
    from tests.conftest import login

    create(coordinator_client, study_id)
    rnd = the_round(app)
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open")
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/close")
    with app.app_context():
        r = db.session.get(Round, rnd.id)
        item_id = r.items[0].id
    coordinator_client.post("/logout")
    make_coordinator("bob")
    login(client, "bob")
    before = snapshot(app)
    base = f"/studies/{study_id}/rounds"
    gets = [f"{base}/new", f"{base}/{rnd.id}", f"{base}/{rnd.id}/edit"]
    posts = [f"{base}/new", f"{base}/{rnd.id}/edit", f"{base}/{rnd.id}/items", f"{base}/{rnd.id}/open",
             f"{base}/{rnd.id}/close", f"{base}/{rnd.id}/delete", f"{base}/{rnd.id}/remind",
             f"{base}/{rnd.id}/decisions", f"{base}/{rnd.id}/proposals/1/accept",
             f"{base}/{rnd.id}/proposals/1/reject", f"{base}/{rnd.id}/stopping", f"{base}/{rnd.id}/next",
             f"{base}/finish"]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        data = form_data() | {f"decision-{item_id}": "drop", "max_rounds": "5", "stability_alpha": "0.1"}
        assert client.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_a_round_of_another_study_is_404(app, coordinator_client, study_id, make_study):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice")).id
    other = make_study(alice, title="Other")
    assert coordinator_client.get(f"/studies/{other}/rounds/{rnd.id}").status_code == 404
    assert coordinator_client.post(f"/studies/{other}/rounds/{rnd.id}/open").status_code == 404
    assert the_round(app).status is RoundStatus.draft


# --- languages -------------------------------------------------------------------------------------

def test_pages_render_in_both_languages(app, coordinator_client, study_id):
    create(coordinator_client, study_id)
    rnd = the_round(app)
    pages = [f"/studies/{study_id}", f"/studies/{study_id}/rounds/new", f"/studies/{study_id}/rounds/{rnd.id}",
             f"/studies/{study_id}/rounds/{rnd.id}/edit"]
    for lang, words in (("en", ["Delphi rounds", "Rating scale", "Open now"]), ("zh", ["德尔菲", "评分", "立即开放"])):
        html = ""
        for path in pages:
            response = coordinator_client.get(f"{path}?lang={lang}")
            assert response.status_code == 200, path
            html += response.get_data(as_text=True)
        for word in words:
            assert word in html, (lang, word)


def test_a_late_answer_over_http_is_refused_though_nobody_closed_the_round(app, coordinator_client, study_id):
    """The expert's autosave after the deadline: refused, nothing stored, the round closes lazily."""
    closes = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0, tzinfo=None)
    create(coordinator_client, study_id, closes_at=local(closes))
    rnd = the_round(app)
    coordinator_client.post(f"/studies/{study_id}/rounds/{rnd.id}/open")
    with app.app_context():
        r = db.session.get(Round, rnd.id)
        expert = sorted(r.study.experts, key=lambda e: e.pseudonym)[0]
        token = expert.issue_token()
        node_id = r.items[0].node_id
        db.session.commit()
    expert_client = app.test_client()
    assert expert_client.get(f"/i/{token}").status_code in (200, 302)
    url = f"/api/v1/rounds/{rnd.id}/answers"
    ok = expert_client.post(url, json={"answers": [{"node_id": node_id, "value": 4}]})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == rnd.id).values(closes_at=utcnow() - timedelta(seconds=5)))
        db.session.commit()
    before = snapshot(app)
    late = expert_client.post(url, json={"answers": [{"node_id": node_id, "value": 1}]})
    assert late.status_code == 400 and late.get_json()["closed"] is True
    after = snapshot(app)
    assert after["rating"] == before["rating"] and after["response"] == before["response"]
    with app.app_context():
        assert db.session.scalar(select(Rating.value)) == 4
    # the refused request rolled back; the next page of the round applies the deadline and stores it
    coordinator_client.get(f"/studies/{study_id}/rounds/{rnd.id}")
    assert the_round(app).status is RoundStatus.closed
