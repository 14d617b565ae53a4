"""The cheaper autosave keeps every guarantee (issue 16): the round read as plain
values follows the same rules as the model, the session is looked up without an ORM
object but still refuses revoked and reissued links, the quick CSRF check refuses
what the form refuses, and an unchanged session is not re-signed on a JSON call."""
from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from hashlib import sha1

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from tests.faults.conftest import open_round_with_panel
from tests.helpers import snapshot


def _save(client, round_id, node_id, value, token):
    return client.post(f"/api/v1/rounds/{round_id}/answers", csrf=False, headers={"X-CSRF-Token": token},
                       json={"answers": [{"node_id": node_id, "value": value}]})


@pytest.fixture
def expert(app, client):
    study = open_round_with_panel(app, 2)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    return study


def _ratings(app):
    from webapp.extensions import db
    from webapp.models import Rating

    with app.app_context():
        return {(r.node_id, r.value) for r in db.session.scalars(select(Rating))}


# --- the round as plain values ---------------------------------------------------------------

@pytest.mark.parametrize("status", ["open", "closed"])
@pytest.mark.parametrize("closes_in", [None, timedelta(hours=-1), timedelta(hours=1)])
def test_round_facts_follow_the_models_rules(app, expert, status, closes_in):
    from webapp.extensions import db
    from webapp.models import Round, RoundStatus, utcnow
    from webapp.services.answer_sql import round_facts

    now = utcnow()
    with app.app_context():
        db.session.execute(update(Round).values(status=RoundStatus(status),
                                                closes_at=None if closes_in is None else now + closes_in))
        db.session.commit()
        rnd = db.session.get(Round, expert.round_id)
        facts = round_facts(rnd.study_id, rnd.id)
        assert facts.item_node_ids == expert.node_ids
        assert (facts.accepts_answers(now), facts.is_past_deadline(now)) == \
            (rnd.accepts_answers(now), rnd.is_past_deadline(now))
        assert round_facts(rnd.study_id + 1, rnd.id) is None   # another study's round


def test_an_autosave_past_the_deadline_closes_the_round_and_stores_nothing(app, client, expert):
    from webapp.extensions import db
    from webapp.models import Round, RoundStatus, utcnow

    with app.app_context():
        db.session.execute(update(Round).values(closes_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = _save(client, expert.round_id, expert.node_ids[0], 4, client.token)
    assert response.status_code == 400
    assert response.get_json()["closed"] is True
    with app.app_context():
        assert db.session.get(Round, expert.round_id).status is RoundStatus.closed   # the lazy close is kept
    assert _ratings(app) == set()


def test_items_are_read_as_they_are_at_each_save(app, client, expert):
    """Nothing about the round is kept between requests: an item taken out of the
    round (directly in the database) is refused by the very next save."""
    from webapp.extensions import db
    from webapp.models import RoundItem

    assert _save(client, expert.round_id, expert.node_ids[0], 4, client.token).status_code == 200
    with app.app_context():
        db.session.execute(RoundItem.__table__.delete().where(RoundItem.node_id == expert.node_ids[1]))
        db.session.commit()
    before = snapshot(app)
    response = _save(client, expert.round_id, expert.node_ids[1], 4, client.token)
    assert response.status_code == 400 and response.get_json()["error"] == "refused"
    assert snapshot(app) == before
    answered = _save(client, expert.round_id, expert.node_ids[2], 2, client.token).get_json()
    assert answered["total"] == len(expert.node_ids) - 1 and answered["answered"] == 2


# --- the session, without an ORM object --------------------------------------------------------

@pytest.mark.parametrize("change", ["revoke", "reissue"])
def test_a_revoked_or_reissued_link_cannot_save(app, client, expert, change):
    from webapp.extensions import db
    from webapp.models import Expert

    with app.app_context():
        row = db.session.get(Expert, expert.expert_ids[0])
        if change == "revoke":
            row.revoke()
        else:
            row.issue_token()
        db.session.commit()
    before = snapshot(app)
    assert _save(client, expert.round_id, expert.node_ids[0], 4, client.token).status_code == 403
    assert snapshot(app) == before


def test_an_autosave_does_not_resend_an_unchanged_session_cookie(app, client, expert):
    saved = _save(client, expert.round_id, expert.node_ids[0], 4, client.token)
    assert saved.status_code == 200
    assert not [h for h in saved.headers.getlist("Set-Cookie") if h.startswith("session=")]
    page = client.get(f"/expert/rounds/{expert.round_id}")   # pages still slide the expiry
    assert [h for h in page.headers.getlist("Set-Cookie") if h.startswith("session=")]
    fresh = app.test_client()                                 # a JSON call that changes the session sends it
    assert [h for h in fresh.get("/api/v1/csrf-token").headers.getlist("Set-Cookie") if h.startswith("session=")]


# --- the quick CSRF check ------------------------------------------------------------------------

def _token(app, secret: str, expires: str) -> str:
    mac = hmac.new(app.secret_key.encode(), (secret + expires).encode(), digestmod=sha1)
    return f"{expires}##{mac.hexdigest()}"


def _tampered(token: str) -> str:
    """The token with its last digit changed (to another digit: a fixed "0" left one in sixteen as it was)."""
    return token[:-1] + ("1" if token.endswith("0") else "0")


def test_the_quick_csrf_check_refuses_what_the_form_refuses(app, client, expert):
    with client.session_transaction() as session:
        secret = session["csrf"]
    fmt = "%Y%m%d%H%M%S"
    later = (datetime.now() + timedelta(hours=1)).strftime(fmt)
    earlier = (datetime.now() - timedelta(minutes=1)).strftime(fmt)
    other = app.test_client().csrf_token()
    before = snapshot(app)
    for token in (_token(app, secret, earlier),              # expired
                  _tampered(_token(app, secret, later)),     # tampered
                  _token(app, "another secret", later),     # another session's secret
                  other, "", "##", later):
        response = _save(client, expert.round_id, expert.node_ids[0], 4, token)
        assert response.status_code == 400 and response.get_json()["error"] == "csrf", token
    assert snapshot(app) == before
    assert _save(client, expert.round_id, expert.node_ids[0], 4, _token(app, secret, later)).status_code == 200


# --- translations found once per request ---------------------------------------------------------

def test_templates_follow_a_forced_locale_inside_a_request(app):
    from flask import render_template_string
    from flask_babel import force_locale

    page = '{{ _("Submit questionnaire") }}|{{ _("Comment on %(code)s", code="<b>") }}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(page)
        with force_locale("zh"):          # e.g. a message in the expert's language
            chinese = render_template_string(page)
        again = render_template_string(page)
    assert english == again == "Submit questionnaire|Comment on &lt;b&gt;"
    assert chinese.startswith("提交") and "&lt;b&gt;" in chinese and "Comment" not in chinese


# --- the questionnaire form class, built once per shape -------------------------------------------

def test_the_form_class_follows_the_rounds_items_scale_and_comments(app):
    from types import SimpleNamespace

    from webapp.forms.expert import questionnaire_form

    def round_(node_ids, lo=1, hi=5, comments=True, no_opinion=True):
        return SimpleNamespace(items=[SimpleNamespace(node_id=n) for n in node_ids], scale_min=lo, scale_max=hi,
                               allow_comments=comments, allow_no_opinion=no_opinion)

    with app.test_request_context("/"):
        first = questionnaire_form(round_([1, 2]))
        assert first.comment(1) is not None and first.rating(2).name == "rate_2"
        assert type(questionnaire_form(round_([1, 2]))) is type(first)          # built once
        no_comments = questionnaire_form(round_([1, 2], comments=False))
        assert no_comments.comment(1) is None
        wider = questionnaire_form(round_([1, 2], hi=9, no_opinion=False))
        assert [c.value for c in wider.rating(1).choices] == [str(v) for v in range(1, 10)]
        other_items = questionnaire_form(round_([2, 3]))
        assert "rate_1" not in other_items._fields and other_items.rating(3) is not None
        posted = questionnaire_form(round_([1, 2]), formdata=MultiDict({"rate_1": "4"}))
        assert posted.rating(1).data == "4" and first.rating(1).data is None   # instances share no data


def test_a_save_refused_by_a_close_during_the_request_says_closed(app, client, expert, monkeypatch):
    """The round is read (open) before a close commits; the write's guard refuses; the
    answer must say ``closed`` (the page then stops sending), read from the round as it is now."""
    from webapp.extensions import db
    from webapp.models import Round, RoundStatus
    from webapp.services import answer_sql

    read_before_the_close = answer_sql.expert_and_round   # the save's first read: expert and round
    calls = []

    def stale(expert_id, round_id, **options):
        row, facts = read_before_the_close(expert_id, round_id, **options)
        calls.append(facts.status)
        return row, facts.with_status(RoundStatus.open)

    with app.app_context():
        db.session.execute(update(Round).values(status=RoundStatus.closed))
        db.session.commit()
    monkeypatch.setattr(answer_sql, "expert_and_round", stale)
    before = snapshot(app)
    response = _save(client, expert.round_id, expert.node_ids[0], 4, client.token)
    assert response.status_code == 400
    assert response.get_json()["error"] == "refused" and response.get_json()["closed"] is True
    assert calls == [RoundStatus.closed]
    assert snapshot(app) == before


# --- the answered count, taken by the two upserts ------------------------------------------------

def test_the_answered_count_matches_the_database_after_every_kind_of_batch(app, client, expert):
    """``answered`` is added up from the Response upsert (items answered outside the
    batch) and the Ratings upsert (which of the batch's items are answered): it must
    equal a count of the stored ratings after ratings, "no opinion", comments alone
    (which keep the stored rating), a rating taken back, and one item twice in a batch."""
    from webapp.extensions import db
    from webapp.models import Rating

    a, b, c, d = expert.node_ids[:4]
    batches = [
        [{"node_id": a, "value": 3}],
        [{"node_id": b, "no_opinion": True}, {"node_id": c, "comment": "only a comment"}],
        [{"node_id": a, "comment": "keeps the rating"}],
        [{"node_id": c, "value": 2}, {"node_id": c, "value": None}, {"node_id": d, "value": 5}],
        [{"node_id": b, "no_opinion": False}],                       # "no opinion" taken back
        [{"node_id": d, "value": 4}, {"node_id": d, "comment": "and why"}],
        [],
    ]
    for batch in batches:
        response = client.post(f"/api/v1/rounds/{expert.round_id}/answers", csrf=False,
                               headers={"X-CSRF-Token": client.token}, json={"answers": batch})
        assert response.status_code == 200, response.get_json()
        with app.app_context():
            stored = {r.node_id: r for r in db.session.scalars(select(Rating))}
        answered = sum(1 for r in stored.values() if r.value is not None or r.no_opinion)
        assert response.get_json()["answered"] == answered, batch
    assert (stored[a].value, stored[a].comment) == (3, "keeps the rating")
    assert stored[c].value is None and stored[c].comment == "only a comment"
    assert (stored[d].value, stored[d].comment) == (4, "and why")
    assert response.get_json()["answered"] == 2


# --- two workers: nothing one of them remembers outlives a change made by the other -------------

def test_a_deadline_moved_or_a_link_revoked_in_one_worker_holds_in_the_other(app, client, expert, db_url, tmp_path):
    """Two app instances on one database stand for two gunicorn workers, each with its
    own in-process memory (statements built once, verified session cookies). A
    deadline moved into the past, a reopening and a revoked link, each written through
    the second worker, take effect on the first worker's very next save."""
    from tests.conftest import make_app
    from webapp.extensions import db
    from webapp.models import Expert, Round, RoundStatus, utcnow

    other = make_app(db_url, tmp_path)
    other_client = other.test_client()
    other_client.set_cookie("session", client.get_cookie("session").value)
    try:
        for worker in (client, other_client, client):          # both workers have seen this cookie and round
            assert _save(worker, expert.round_id, expert.node_ids[0], 3, client.token).status_code == 200
        with other.app_context():                               # the deadline moved into the past
            db.session.execute(update(Round).values(closes_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        before = _ratings(app)
        refused = _save(client, expert.round_id, expert.node_ids[1], 4, client.token)
        assert refused.status_code == 400 and refused.get_json()["closed"] is True
        assert _ratings(app) == before
        with other.app_context():                               # reopened with a later deadline
            db.session.execute(update(Round).values(status=RoundStatus.open, closed_at=None,
                                                    closes_at=utcnow() + timedelta(hours=1)))
            db.session.commit()
        assert _save(client, expert.round_id, expert.node_ids[1], 4, client.token).status_code == 200
        with other.app_context():                               # the link revoked
            db.session.get(Expert, expert.expert_ids[0]).revoke()
            db.session.commit()
        before = _ratings(app)
        assert _save(client, expert.round_id, expert.node_ids[2], 5, client.token).status_code == 403
        assert _ratings(app) == before
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
