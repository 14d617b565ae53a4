"""The coordinator's account page: language (the browser's until chosen), e-mail, password."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import login
from tests.security.world import fingerprint
from webapp.extensions import db


ZH, EN = '<html lang="zh-Hans">', '<html lang="en">'


def stored(app, column):
    from webapp.models import User

    with app.app_context():
        return db.session.scalar(select(column).where(User.username == "alice"))


def test_the_language_follows_the_browser_until_the_coordinator_picks_one(app, client, make_coordinator):
    from webapp.models import User

    make_coordinator("alice")
    login(client)
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert ZH in client.get("/studies/", headers=chinese).get_data(as_text=True)
    assert stored(app, User.locale) is None
    page = client.get("/account", headers=chinese).get_data(as_text=True)
    assert "跟随浏览器" in page
    assert client.post("/account/language", data={"locale": "en"}).status_code == 302
    assert stored(app, User.locale) == "en"
    other_device = app.test_client()
    login(other_device)
    assert EN in other_device.get("/studies/", headers=chinese).get_data(as_text=True)
    client.post("/account/language", data={"locale": "browser"})
    assert stored(app, User.locale) is None
    assert ZH in client.get("/studies/", headers=chinese).get_data(as_text=True)


def test_email_is_changed_and_a_bad_one_refused(app, coordinator_client):
    from webapp.models import User

    assert coordinator_client.post("/account/email", data={"email": "alice@example.org"}).status_code == 302
    assert stored(app, User.email) == "alice@example.org"
    before = fingerprint(app)
    response = coordinator_client.post("/account/email", data={"email": "not an address"})
    assert response.status_code == 400 and b"Enter an e-mail address" in response.data
    assert fingerprint(app) == before
    assert coordinator_client.post("/account/language", data={"locale": "fr"}).status_code == 400
    assert fingerprint(app) == before


def test_the_account_page_needs_a_coordinator(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
