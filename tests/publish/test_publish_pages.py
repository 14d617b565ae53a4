"""Coordinator pages: publish (preview → publish), versions, withdraw, API access and key rotation."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.publish.support import build_full
from tests.webapp.test_dashboard_support import alice
from webapp.extensions import db


@pytest.fixture
def full(app, coordinator_client):
    return build_full(app, alice(app))


def counts(app):
    from webapp.models import AuditEvent, WeightSet, WeightSetWithdrawal

    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id))) for m in (WeightSet, WeightSetWithdrawal, AuditEvent))


def _preview(client, full):
    page = client.get(f"/studies/{full.study_id}/weights/preview?round_id={full.round_id}")
    assert page.status_code == 200
    digest = re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', page.text) or \
        re.search(r'value="([0-9a-f]{64})"[^>]*name="digest"', page.text)
    return page, digest.group(1)


def test_publish_flow_preview_then_publish_then_again(app, coordinator_client, full):
    index = coordinator_client.get(f"/studies/{full.study_id}/weights")
    assert index.status_code == 200 and "Nothing published yet." in index.text
    assert f'value="{full.round_id}"' in index.text
    page, digest = _preview(coordinator_client, full)
    assert "Preview of v1" in page.text and "A1.1" in page.text and "&#34;schema&#34;: &#34;weight-set/1&#34;" in page.text
    response = coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                                       data={"round_id": full.round_id, "digest": digest, "label": "after round 1"})
    assert response.status_code == 302
    index = coordinator_client.get(f"/studies/{full.study_id}/weights")
    assert "Weight set v1 published." in index.text and "after round 1" in index.text
    page, digest2 = _preview(coordinator_client, full)
    assert "Preview of v2" in page.text and "Before" in page.text
    assert digest2 == digest   # same answers, same content
    coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                            data={"round_id": full.round_id, "digest": digest2})
    for fmt in ("json", "csv", "xlsx", "xml", "zip"):
        download = coordinator_client.get(f"/studies/{full.study_id}/weights/1.{fmt}")
        assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    with app.app_context():
        from webapp.models import Study
        from webapp.services import weight_sets

        assert [ws.version for ws in weight_sets.versions_of(db.session.get(Study, full.study_id))] == [2, 1]


def test_stale_or_forged_preview_is_refused_and_nothing_stored(app, coordinator_client, full):
    before = counts(app)
    response = coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                                       data={"round_id": full.round_id, "digest": "0" * 64})
    assert response.status_code == 302 and "/preview" in response.headers["Location"]
    assert counts(app) == before
    response = coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                                       data={"round_id": full.round_id, "digest": "not hex"})
    assert response.status_code == 302 and counts(app) == before
    no_csrf = coordinator_client.post(f"/studies/{full.study_id}/weights/publish", csrf=False,
                                      data={"round_id": full.round_id, "digest": "0" * 64})
    assert no_csrf.status_code == 400 and counts(app) == before


def test_withdraw_needs_a_reason_and_marks_the_version(app, coordinator_client, full):
    _page, digest = _preview(coordinator_client, full)
    coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                            data={"round_id": full.round_id, "digest": digest})
    before = counts(app)
    refused = coordinator_client.post(f"/studies/{full.study_id}/weights/1/withdraw", data={"reason": ""})
    assert refused.status_code == 302 and counts(app) == before
    done = coordinator_client.post(f"/studies/{full.study_id}/weights/1/withdraw", data={"reason": "typo in D"})
    assert done.status_code == 302
    page = coordinator_client.get(f"/studies/{full.study_id}/weights")
    assert "Withdrawn" in page.text and "typo in D" in page.text
    assert coordinator_client.get(f"/studies/{full.study_id}/weights/1.json").status_code == 200
    again = coordinator_client.post(f"/studies/{full.study_id}/weights/1/withdraw", data={"reason": "twice"})
    assert again.status_code == 302 and counts(app)[1] == before[1] + 1


def test_api_access_and_key_rotation_from_the_page(app, coordinator_client, full):
    from webapp.models import Study

    _page, digest = _preview(coordinator_client, full)
    coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                            data={"round_id": full.round_id, "digest": digest})
    api = f"/api/weight-sets/{full.study_id}/1"
    assert coordinator_client.get(api).status_code == 404          # private by default
    page = coordinator_client.post(f"/studies/{full.study_id}/weights/key")
    key = re.search(r'class="api-key">([^<]+)<', page.text).group(1)
    assert coordinator_client.get(api, headers={"X-API-Key": key}).status_code == 200
    with app.app_context():
        assert db.session.get(Study, full.study_id).api_key_hash != key
    assert key not in coordinator_client.get(f"/studies/{full.study_id}/weights").text   # shown once
    coordinator_client.post(f"/studies/{full.study_id}/weights/access", data={"access": "public"})
    assert coordinator_client.get(api).status_code == 200
    bad = coordinator_client.post(f"/studies/{full.study_id}/weights/access", data={"access": "everyone"})
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.get(Study, full.study_id).api_public is True


def test_other_coordinators_get_404(app, full, make_coordinator):
    make_coordinator("bob")
    client = app.test_client()
    assert login(client, "bob").status_code == 302
    for url in (f"/studies/{full.study_id}/weights", f"/studies/{full.study_id}/weights/preview?round_id={full.round_id}",
                f"/studies/{full.study_id}/weights/1.json"):
        assert client.get(url).status_code == 404, url
    before = counts(app)
    assert client.post(f"/studies/{full.study_id}/weights/key").status_code == 404
    assert client.post(f"/studies/{full.study_id}/weights/publish",
                       data={"round_id": full.round_id, "digest": "0" * 64}).status_code == 404
    assert counts(app) == before


def test_pages_in_chinese(coordinator_client, full):
    page = coordinator_client.get(f"/studies/{full.study_id}/weights?lang=zh")
    assert page.status_code == 200
    page = coordinator_client.get(f"/studies/{full.study_id}/weights", headers={"Accept-Language": "zh"})
    assert "权重集" in page.text


def test_a_version_number_taken_meanwhile_is_refused_cleanly(app, coordinator_client, full, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from webapp.coordinator import weights as views

    def taken(*args, **kwargs):
        raise IntegrityError("INSERT INTO weight_set", {}, Exception("UNIQUE constraint failed"))

    _page, digest = _preview(coordinator_client, full)
    before = counts(app)
    monkeypatch.setattr(views.weight_sets, "publish", taken)
    response = coordinator_client.post(f"/studies/{full.study_id}/weights/publish",
                                       data={"round_id": full.round_id, "digest": digest})
    assert response.status_code == 302 and "/preview" in response.headers["Location"]
    assert "Another version was published meanwhile." in coordinator_client.get(response.headers["Location"]).text
    assert counts(app) == before
