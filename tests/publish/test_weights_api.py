"""The read-only weight-set API: listing, formats, ETag/304, caching, CORS, API keys, what is never served."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from tests.publish.support import build_full
from tests.webapp.test_dashboard_support import alice
from webapp.extensions import db


@pytest.fixture
def published(app, coordinator_client):
    """Study 1 public with v1 (withdrawn) and v2; study 2 private with v1; study 3 nothing published."""
    from webapp.models import Round, Study
    from webapp.services import weight_sets

    owner = alice(app)
    one = build_full(app, owner, title="Public study")
    two = build_full(app, owner, title="Private study", seed=8)
    three = build_full(app, owner, title="Nothing yet", seed=9)
    with app.app_context():
        s1, s2 = db.session.get(Study, one.study_id), db.session.get(Study, two.study_id)
        v1 = weight_sets.publish(s1, db.session.get(Round, one.round_id))
        weight_sets.publish(s1, db.session.get(Round, one.round_id))
        weight_sets.withdraw(v1, reason="superseded")
        weight_sets.set_api_public(s1, True)
        weight_sets.publish(s2, db.session.get(Round, two.round_id))
        key = weight_sets.rotate_api_key(s2)
        db.session.commit()
    return {"public": one.study_id, "private": two.study_id, "empty": three.study_id, "key": key}


def test_listing_newest_first_public_only_without_key(client, published):
    response = client.get("/api/weight-sets")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    sets = response.get_json()["weight_sets"]
    assert [(s["study_id"], s["version"], s["withdrawn"]) for s in sets] == [
        (published["public"], 2, False), (published["public"], 1, True)]
    assert sets[1]["withdrawn_at"] and sets[0]["title"] == "Public study"
    with_key = client.get("/api/weight-sets", headers={"X-API-Key": published["key"]}).get_json()["weight_sets"]
    assert {s["study_id"] for s in with_key} == {published["public"], published["private"]}


def test_version_json_etag_304_and_long_cache(client, published):
    url = f"/api/weight-sets/{published['public']}/2"
    response = client.get(url)
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["schema"] == "weight-set/1" and doc["version"] == 2
    assert response.headers["ETag"] == f'"{doc["checksum"]}"'
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(url, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


def test_every_format_has_the_same_values(client, published):
    base = f"/api/weight-sets/{published['public']}/2"
    doc = client.get(base).get_json()
    globals_ = [n["global_weight"] for n in doc["nodes"]]
    text = client.get(base + ".csv")
    assert text.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert [float(r["global_weight"]) for r in rows] == globals_
    assert client.get(base + ".xlsx").data[:2] == b"PK"
    xml = client.get(base + ".xml")
    assert xml.headers["Content-Type"].startswith("application/xml") and b"mcdaConcept=\"weights\"" in xml.data
    package = client.get(base + "/datapackage.zip")
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        assert json.loads(archive.read("weight-set.json"))["checksum"] == doc["checksum"]
    assert text.headers["ETag"] != xml.headers["ETag"]
    assert client.get(base + ".csv", headers={"If-None-Match": text.headers["ETag"]}).status_code == 304
    assert client.get(base + ".pdf").status_code == 404


def test_withdrawn_version_still_served_and_latest_skips_it(client, published):
    old = client.get(f"/api/weight-sets/{published['public']}/1")
    assert old.status_code == 200 and old.get_json()["version"] == 1
    latest = client.get(f"/api/weight-sets/{published['public']}/latest")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(f"/{published['public']}/2")
    assert "no-cache" in latest.headers["Cache-Control"]


def test_private_sets_need_the_key_and_unknown_things_are_404(app, client, published):
    from webapp.models import Study
    from webapp.services import weight_sets

    url = f"/api/weight-sets/{published['private']}/1"
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"X-API-Key": "cw_wrong"}).status_code == 404
    good = client.get(url, headers={"Authorization": f"Bearer {published['key']}"})
    assert good.status_code == 200 and good.headers["Cache-Control"].startswith("private")
    # another study's key does not open this one
    with app.app_context():
        other = weight_sets.rotate_api_key(db.session.get(Study, published["public"]))
        db.session.commit()
    assert client.get(url, headers={"X-API-Key": other}).status_code == 404
    # rotation: the old key stops working, the new one works
    with app.app_context():
        study = db.session.get(Study, published["private"])
        assert study.api_key_hash != published["key"] and len(study.api_key_hash) == 64  # only the hash
        new = weight_sets.rotate_api_key(study)
        db.session.commit()
    assert client.get(url, headers={"X-API-Key": published["key"]}).status_code == 404
    assert client.get(url, headers={"X-API-Key": new}).status_code == 200
    for missing in (f"/api/weight-sets/{published['empty']}/1", f"/api/weight-sets/{published['empty']}/latest",
                    f"/api/weight-sets/{published['public']}/9", "/api/weight-sets/999999/1",
                    f"/api/weight-sets/{published['private']}/latest"):
        response = client.get(missing)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", missing


def test_no_identity_or_answers_in_any_file(client, published):
    base = f"/api/weight-sets/{published['public']}/2"
    for suffix in ("", ".csv", ".xml"):
        body = client.get(base + suffix).data.decode("utf-8-sig")
        assert "Secret Name" not in body and "example.org" not in body
        assert '"E01"' not in body and ">E01<" not in body and ",E01," not in body
    with zipfile.ZipFile(io.BytesIO(client.get(base + "/datapackage.zip").data)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            assert "Secret Name" not in text and "E01" not in text


def test_api_is_read_only_and_answers_cors_preflight(client, published):
    from webapp.models import WeightSet

    url = f"/api/weight-sets/{published['public']}/2"
    assert client.post(url, csrf=False).status_code in (400, 405)
    assert client.delete(url).status_code in (400, 405)
    preflight = client.options(url, headers={"Origin": "https://elsewhere.example",
                                             "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    with client.application.app_context():
        assert db.session.scalar(select(func.count(WeightSet.id))) == 3


def test_withdrawn_only_study_has_no_latest_but_keeps_its_files(app, client, published):
    from webapp.models import Study
    from webapp.services import weight_sets

    with app.app_context():
        study = db.session.get(Study, published["public"])
        weight_sets.withdraw(weight_sets.version_of(study, 2), reason="both wrong")
        db.session.commit()
    assert client.get(f"/api/weight-sets/{published['public']}/latest").status_code == 404
    assert client.get(f"/api/weight-sets/{published['public']}/2").status_code == 200
    listing = client.get("/api/weight-sets").get_json()["weight_sets"]
    assert [s["withdrawn"] for s in listing] == [True, True]
