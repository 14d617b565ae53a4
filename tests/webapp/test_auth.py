"""Coordinator login, logout, throttling, open redirects; expert invitation links."""
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login, make_app
from webapp.extensions import db


def test_login_and_logout(client, make_coordinator):
    make_coordinator("alice")
    assert client.get("/studies/").status_code == 302  # not logged in
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/studies/")
    assert client.get("/studies/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/studies/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_coordinator):
    make_coordinator("alice")
    response = login(client, password="not the password")
    assert response.status_code == 401
    assert b"wrong password" in response.data
    assert client.get("/studies/").status_code == 302


def test_session_cookie_is_httponly(client, make_coordinator):
    make_coordinator("alice")
    response = login(client)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_throttle_after_five_failures_even_with_the_right_password(client, make_coordinator, app):
    make_coordinator("alice")
    for _ in range(5):
        assert login(client, password="wrong-wrong-wrong").status_code == 401
    response = login(client)  # right password, but throttled
    assert response.status_code == 429
    assert client.get("/studies/").status_code == 302
    # Every attempt is counted before its password is checked (the throttled one too).
    from webapp.models import LoginAttempt

    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 6


def test_throttle_holds_across_workers(db_url, tmp_path, app, make_coordinator):
    """Two app instances on one database stand for two gunicorn workers."""
    make_coordinator("alice")
    worker_a = app.test_client()
    worker_b = make_app(db_url, tmp_path).test_client()
    for client in (worker_a, worker_b, worker_a, worker_b, worker_a):
        login(client, password="nope-nope-nope")
    assert login(worker_b).status_code == 429


def test_next_must_be_local(client, make_coordinator):
    make_coordinator("alice")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": target})
        assert response.headers["Location"].endswith("/studies/"), target
        client.post("/logout")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": "/studies/new"})
    assert response.headers["Location"].endswith("/studies/new")


def test_password_change_ends_other_sessions(client, make_coordinator, app):
    uid = make_coordinator("alice")
    login(client)
    assert client.get("/studies/").status_code == 200
    from webapp.models import User

    with app.app_context():
        db.session.get(User, uid).set_password("a brand new password")
        db.session.commit()
    assert client.get("/studies/").status_code == 302


def test_coordinator_cannot_reach_another_coordinators_study(client, make_coordinator, make_study):
    bob = make_coordinator("bob")
    bobs_study = make_study(bob)
    make_coordinator("alice")
    login(client)
    assert client.get(f"/studies/{bobs_study}").status_code == 404
    assert b"Seed study" not in client.get("/studies/").data


# --- invitation links ------------------------------------------------------------

def test_invitation_link_signs_in_and_redirects_to_a_token_free_url(client, make_study, make_expert):
    study = make_study()
    _expert, token = make_expert(study, name="Ada")
    response = client.get(f"/i/{token}")
    assert response.status_code == 302
    assert token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "E01".encode() in page.data
    assert token.encode() not in page.data


def test_token_is_stored_only_as_its_hash(app, make_study, make_expert):
    import hashlib

    study = make_study()
    expert_id, token = make_expert(study)
    from webapp.models import Expert

    with app.app_context():
        expert = db.session.get(Expert, expert_id)
        assert expert.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert len(token) >= 43


def test_unknown_token_is_a_404(client):
    assert client.get("/i/not-a-real-token").status_code == 404
    assert client.get("/expert/").status_code == 403


def test_revoked_link_is_refused_and_ends_the_session(client, app, make_study, make_expert):
    study = make_study()
    expert_id, token = make_expert(study)
    client.get(f"/i/{token}")
    assert client.get("/expert/").status_code == 200
    from webapp.models import Expert
    from webapp.services import studies

    with app.app_context():
        studies.revoke_link(db.session.get(Expert, expert_id))
        db.session.commit()
    assert client.get("/expert/").status_code == 403
    assert client.get(f"/i/{token}").status_code == 403


def test_reissued_link_replaces_the_old_one(client, app, make_study, make_expert):
    study = make_study()
    expert_id, old = make_expert(study)
    client.get(f"/i/{old}")
    from webapp.models import Expert
    from webapp.services import studies

    with app.app_context():
        new = studies.reissue_link(db.session.get(Expert, expert_id))
        db.session.commit()
    assert client.get("/expert/").status_code == 403      # the old session ended
    assert client.get(f"/i/{old}").status_code == 404
    assert client.get(f"/i/{new}").status_code == 302
    assert client.get("/expert/").status_code == 200


def test_an_expert_sees_only_their_own_study(client, make_study, make_expert):
    study_a = make_study(title="Study A")
    study_b = make_study(title="Study B")
    _e, token_a = make_expert(study_a)
    make_expert(study_b)
    client.get(f"/i/{token_a}")
    page = client.get("/expert/")
    assert b"Study A" in page.data and b"Study B" not in page.data
    # and an expert session opens no coordinator page
    assert client.get(f"/studies/{study_a}").status_code == 302
    assert client.get(f"/studies/{study_b}").status_code == 302
