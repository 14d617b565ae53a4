"""CSRF on every POST, security headers, sanitised Markdown."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Study


def count_studies(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Study.id)))


def test_post_without_csrf_token_is_refused_and_changes_nothing(coordinator_client, app):
    before = count_studies(app)
    response = coordinator_client.post("/studies/new", data={"title": "Forged", "default_locale": "zh"},
                                       csrf=False)
    assert response.status_code == 400
    assert count_studies(app) == before


def test_forged_csrf_token_is_refused(coordinator_client, app):
    before = count_studies(app)
    response = coordinator_client.post(
        "/studies/new", data={"title": "Forged", "default_locale": "zh", "csrf_token": "20991231000000##deadbeef"},
        csrf=False)
    assert response.status_code == 400
    assert count_studies(app) == before


def test_csrf_failure_rerenders_the_form_with_the_posted_data(coordinator_client):
    response = coordinator_client.post("/studies/new", data={"title": "My long careful title",
                                                             "description": "Kept text"}, csrf=False)
    assert response.status_code == 400
    assert b"My long careful title" in response.data and b"Kept text" in response.data
    assert b"security token expired" in response.data


def test_token_from_another_session_is_refused(app, client, make_coordinator):
    from tests.conftest import login

    make_coordinator("alice")
    other = app.test_client()
    foreign_token = other.csrf_token()
    login(client)
    before = count_studies(app)
    response = client.post("/studies/new", data={"title": "X", "default_locale": "zh",
                                                 "csrf_token": foreign_token}, csrf=False)
    assert response.status_code == 400
    assert count_studies(app) == before


def test_button_posts_need_the_token_too(coordinator_client):
    assert coordinator_client.post("/logout", csrf=False).status_code == 400
    assert coordinator_client.get("/studies/").status_code == 200  # still logged in


def test_json_posts_need_the_header(client):
    response = client.post("/api/v1/health", json={}, csrf=False)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"


def test_valid_token_creates_the_study(coordinator_client, app):
    before = count_studies(app)
    response = coordinator_client.post("/studies/new", data={"title": "Real", "default_locale": "en"})
    assert response.status_code == 302
    assert count_studies(app) == before + 1


def test_security_headers_on_every_response(client):
    for path in ("/", "/login", "/api/v1/health", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_no_inline_scripts_in_pages(client):
    import re

    for path in ("/", "/login"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, tag
        assert "onclick" not in html and " style=" not in html


def test_markdown_is_rendered_then_sanitised(app):
    from webapp.templating import render_markdown

    with app.test_request_context():
        html = str(render_markdown(
            "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[click](javascript:alert(3)) [ok](https://example.org) 中文"))
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html and "<img" not in html
    assert "javascript:" not in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "中文" in html


def test_study_description_is_sanitised_on_the_page(coordinator_client, app):
    coordinator_client.post("/studies/new", data={"title": "XSS", "default_locale": "en",
                                                  "description": "<script>alert('x')</script>Hello"})
    with app.app_context():
        study_id = db.session.scalar(select(Study.id).where(Study.title == "XSS"))
    page = coordinator_client.get(f"/studies/{study_id}").get_data(as_text=True)
    assert "Hello" in page and "alert('x')" not in page
