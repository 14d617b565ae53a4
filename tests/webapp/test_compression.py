"""Responses are gzipped when the client accepts it (issue 9: 240 KB of questionnaire HTML)."""
import gzip
import re

import pytest

from webapp.compression import accepts_gzip


def same_page(a: bytes, b: bytes) -> bool:
    """Equal but for the per-request CSRF tokens."""
    token = re.compile(rb'((?:name="csrf[-_]token"|csrf-token")[^>]*?(?:value|content)=")[^"]*')
    return token.sub(rb"\1", a) == token.sub(rb"\1", b)


@pytest.mark.parametrize("header, expected", [
    ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True), ("*", True), ("gzip;q=0", False),
    ("identity", False), ("", False), (None, False),
])
def test_accept_encoding_is_read_as_http_says(header, expected):
    assert accepts_gzip(header) is expected


def test_a_page_is_gzipped_only_for_a_client_that_accepts_it(coordinator_client, make_study):
    plain = coordinator_client.get("/studies/?lang=en")
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    packed = coordinator_client.get("/studies/?lang=en", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    assert same_page(gzip.decompress(packed.data), plain.data)


def test_the_seed_study_page_shrinks_several_times(coordinator_client, app):
    from tests.webapp.test_dashboard_support import alice, build_round

    built = build_round(app, alice(app))
    url = f"/studies/{built.study_id}/rounds/{built.round_id}/dashboard?lang=en"
    plain = coordinator_client.get(url)
    packed = coordinator_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert same_page(gzip.decompress(packed.data), plain.data)
    assert len(packed.data) * 4 < len(plain.data)


def test_small_and_binary_responses_are_left_alone(client):
    token = client.get("/api/v1/csrf-token", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in token.headers  # a few bytes: not worth it
    assert token.get_json()["csrf_token"]
