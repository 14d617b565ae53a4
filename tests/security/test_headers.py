"""Security headers on every kind of response, each exactly once (issue 16: they are
added in one ``extend`` instead of seven ``setdefault`` calls, with the same result):
CSP, nosniff, DENY, no-referrer, the permissions and opener policies on pages, JSON,
errors and static files; ``Cache-Control: no-store`` except on static files and where a
view set its own; HSTS only over https. A small JSON reply (an autosave's) is not
gzipped and varies with nothing; a page still says ``Vary: Accept-Encoding``."""
from __future__ import annotations

import pytest

from tests.faults.conftest import open_round_with_panel
from webapp.security import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), browsing-topics=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _check(response, *, cache_control="no-store"):
    for name, value in EXPECTED.items():
        assert response.headers.getlist(name) == [value], name
    if cache_control is not None:
        assert response.headers.getlist("Cache-Control") == [cache_control]


@pytest.fixture
def expert(app, client):
    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    return study


def test_every_kind_of_response_has_each_security_header_once(app, client, expert):
    gz = {"Accept-Encoding": "gzip"}
    page = client.get(f"/expert/rounds/{expert.round_id}", headers=gz)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    _check(page)
    saved = client.post(f"/api/v1/rounds/{expert.round_id}/answers", csrf=False,
                        headers={"X-CSRF-Token": client.token, **gz},
                        json={"answers": [{"node_id": expert.node_ids[0], "value": 3}]})
    assert saved.status_code == 200 and saved.get_json()["answered"] == 1
    assert "Content-Encoding" not in saved.headers and "Accept-Encoding" not in saved.headers.get("Vary", "")
    _check(saved)
    refused = client.post(f"/api/v1/rounds/{expert.round_id}/answers", csrf=False, headers={"X-CSRF-Token": "x"},
                          json={"answers": []})
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    _check(refused)
    _check(client.get("/no/such/page"), cache_control=None)   # no endpoint: as before, no Cache-Control
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200
    _check(static, cache_control=None)
    assert "no-store" not in static.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in page.headers


def test_hsts_only_over_https(app, client):
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"]
    _check(secure)
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_view_that_sets_a_header_keeps_its_own(app):
    from flask import Response

    with app.test_request_context("/login"):
        app.preprocess_request()
        response = app.process_response(Response("x", headers={"Content-Security-Policy": "default-src 'none'",
                                                                "Cache-Control": "public"}))
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("Cache-Control") == ["public"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
