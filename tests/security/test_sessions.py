"""Sessions: logout that logs out, one role per browser, a server-side end to every
session (log out everywhere, password change on the web and in the CLI), the CSRF secret
rotated at login, login throttling per account and source, no username discovery by time."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login
from tests.security.world import fingerprint
from webapp.extensions import db


def copy_cookies(source, target) -> None:
    """Another browser holding copies of ``source``'s cookies (a stolen cookie jar)."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# --- logout ----------------------------------------------------------------------------------

def test_logout_with_keep_me_logged_in_really_logs_out(client, make_coordinator):
    make_coordinator("alice")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    assert client.get("/studies/").status_code == 200
    response = client.post("/logout")
    # the remember cookie is deleted, not left to log the browser in again
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/studies/").status_code == 302
    assert client.get("/studies/").status_code == 302


def test_a_coordinator_opening_an_expert_link_is_asked_first(client, make_coordinator, make_study,
                                                             make_expert):
    owner = make_coordinator("alice")
    study = make_study(owner)
    _expert, token = make_expert(study)
    client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    page = client.get(f"/i/{token}")
    assert page.status_code == 200 and b"Log out and continue as the expert" in page.data
    # nothing happened yet: still the coordinator, not the expert
    assert client.get("/studies/").status_code == 200
    assert client.get("/expert/").status_code == 403
    response = client.post(f"/i/{token}")
    assert response.status_code == 302
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/expert/").status_code == 200
    assert client.get("/studies/").status_code == 302  # not both


def test_logging_in_as_coordinator_ends_the_expert_session(client, make_coordinator, make_study, make_expert):
    make_coordinator("alice")
    _expert, token = make_expert(make_study())
    client.get(f"/i/{token}")
    assert client.get("/expert/").status_code == 200
    login(client)
    assert client.get("/studies/").status_code == 200
    assert client.get("/expert/").status_code == 403


# --- a server-side end to sessions ------------------------------------------------------------

def test_log_out_everywhere_ends_copied_session_and_remember_cookies(app, client, make_coordinator):
    make_coordinator("alice")
    client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    thief = app.test_client()
    copy_cookies(client, thief)
    assert thief.get("/studies/").status_code == 200
    # a remember cookie alone (the session cookie expired) also logs in …
    remember_only = app.test_client()
    remember_only.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert remember_only.get("/studies/").status_code == 200
    assert client.post("/account/logout-everywhere").status_code == 302
    for other in (thief, remember_only, client):
        assert other.get("/studies/").status_code == 302


def test_password_change_on_the_web_keeps_this_device_and_ends_the_others(app, client, make_coordinator):
    make_coordinator("alice")
    login(client)
    other_device = app.test_client()
    login(other_device)
    response = client.post("/account/password", data={"current": PASSWORD, "new": "a new long password",
                                                      "confirm": "a new long password"})
    assert response.status_code == 302
    assert client.get("/studies/").status_code == 200
    assert other_device.get("/studies/").status_code == 302
    assert login(app.test_client(), password="a new long password").status_code == 302


@pytest.mark.parametrize("data", [
    {"current": "wrong password!", "new": "a new long password", "confirm": "a new long password"},
    {"current": PASSWORD, "new": "short", "confirm": "short"},
    {"current": PASSWORD, "new": "a new long password", "confirm": "another long password"},
])
def test_a_refused_password_change_changes_nothing(app, coordinator_client, data):
    before = fingerprint(app)
    response = coordinator_client.post("/account/password", data=data)
    assert response.status_code == 400 and b'class="error"' in response.data
    assert fingerprint(app) == before


def test_change_password_cli_ends_every_session(app, client, runner, make_coordinator):
    make_coordinator("alice")
    login(client)
    result = runner.invoke(args=["change-password", "alice", "--password", "another long password"])
    assert result.exit_code == 0, result.output
    assert client.get("/studies/").status_code == 302
    assert login(app.test_client(), password="another long password").status_code == 302
    assert runner.invoke(args=["change-password", "alice", "--password", "short"]).exit_code != 0
    assert runner.invoke(args=["change-password", "nobody", "--password", "long enough pw"]).exit_code != 0


def test_the_csrf_secret_rotates_at_login(client, make_coordinator):
    make_coordinator("alice")
    before_login = client.csrf_token()
    login(client)
    response = client.post("/studies/new", data={"title": "X", "default_locale": "en",
                                                 "csrf_token": before_login}, csrf=False)
    assert response.status_code == 400
    assert client.post("/studies/new", data={"title": "X", "default_locale": "en"}).status_code == 302


# --- throttling and timing --------------------------------------------------------------------

def test_failures_from_elsewhere_do_not_lock_the_owner_out(app, make_coordinator):
    make_coordinator("alice")
    attacker = client_from(app, "203.0.113.9")
    for _ in range(6):
        login(attacker, password="wrong-wrong-wrong")
    assert login(attacker).status_code == 429  # the attacker's source is throttled …
    owner = client_from(app, "198.51.100.7")
    assert login(owner).status_code == 302      # … the owner's is not


def test_parallel_guesses_get_at_most_the_limit_of_password_checks(app, make_coordinator, monkeypatch):
    from webapp.models import User

    make_coordinator("alice")
    checks = []
    original = User.check_password

    def counting(self, password):
        checks.append(password)
        return original(self, password)

    monkeypatch.setattr(User, "check_password", counting)
    clients = [app.test_client() for _ in range(12)]
    for c in clients:
        c.csrf_token()
    barrier = threading.Barrier(len(clients))
    statuses = []

    def guess(c):
        barrier.wait()
        statuses.append(login(c, password="wrong-wrong-wrong").status_code)

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) <= app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    assert set(statuses) <= {401, 429, 503}, statuses  # a subset: refused, throttled or busy


def test_an_unknown_username_costs_a_password_check_too(app, client, make_coordinator, monkeypatch):
    import webapp.services.accounts as accounts

    make_coordinator("alice")
    hashed = []
    original = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: hashed.append(h) or original(h, p))
    assert login(client, username="nobody-here", password="whatever pw").status_code == 401
    assert len(hashed) == 1  # a dummy hash was checked, as long as a real one takes


def test_login_attempts_are_counted_with_the_source(app, make_coordinator):
    from webapp.models import LoginAttempt

    make_coordinator("alice")
    login(client_from(app, "203.0.113.9"), password="nope nope nope")
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1
        attempt = db.session.scalar(select(LoginAttempt))
        assert attempt.username == "alice" and "203.0.113.9" not in attempt.ip_hash
