"""Publishing an evaluation's combined weights as a new weight-set version, over HTTP.

combine → preview → publish → v2 JSON whose provenance names both parts. The leaf weights are
checked against entropy and the game-theory combination computed here with numpy (formulas of
``../shared/WEIGHTING.md``: entropy on min-max normalised data with SPSSAU's +0.01 shift; game theory
(W Wᵀ) α = diag(W Wᵀ), α / Σα — Zhang & Li's game-theory weighting as in WEIGHTING.md), never against
the code's own output. Refusals (no data, unfinished, stale digest) store nothing.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import jsonschema
import numpy as np
from openpyxl import load_workbook

from tests.helpers import snapshot
from tests.webapp.test_evaluations import CSV_BYTES, DOC, evaluation_id, study, upload  # noqa: F401
from tests.webapp.test_evaluation_weights import matrix

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "weight-set.schema.json").read_text())


def independent_game_theory_entropy():
    leaves, x = matrix()
    y = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    y = np.where((y <= 0).any(axis=0), y + 0.01, y)
    p = y / y.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(len(x))
    w_obj = (1 - e) / (1 - e).sum()
    glob = {n["code"]: n["global_weight"] for n in DOC["nodes"]}
    w_sub = np.array([glob[c] for c in leaves])
    W = np.vstack([w_sub, w_obj])
    alpha = np.linalg.solve(W @ W.T, np.diag(W @ W.T))
    alpha = alpha / alpha.sum()
    return leaves, x, alpha, alpha @ W


def preview_digest(client, sid, eid, **args):
    query = "&".join(f"{k}={v}" for k, v in {"objective": "entropy", "combination": "game_theory", **args}.items())
    page = client.get(f"/studies/{sid}/evaluations/{eid}/combined-weights/preview?{query}")
    assert page.status_code == 200, page.data[:500]
    return page, re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', page.data.decode()).group(1)


def publish(client, sid, eid, digest, **over):
    data = {"objective": "entropy", "combination": "game_theory", "digest": digest, "label": "combined 2026"}
    data.update(over)
    return client.post(f"/studies/{sid}/evaluations/{eid}/combined-weights/publish", data=data)


def finished(client, sid, eid):
    assert upload(client, sid, eid, CSV_BYTES).status_code == 302
    assert client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302


def test_combine_preview_publish_gives_v2_with_both_parts(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    finished(coordinator_client, sid, eid)
    results = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results").data.decode()
    assert "Publish these combined weights as a new version" in results
    page, digest = preview_digest(coordinator_client, sid, eid)
    text = page.data.decode()
    assert "Preview of v2" in text and "Combined weights (subjective + objective)" in text
    assert "5 objects × 48 indicators" in text and "Compared with" in text
    response = publish(coordinator_client, sid, eid, digest)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/studies/{sid}/weights")

    raw = coordinator_client.get(f"/studies/{sid}/weights/2.json")
    assert raw.status_code == 200
    doc = json.loads(raw.data)
    jsonschema.validate(doc, SCHEMA)
    body = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == doc["checksum"]
    assert doc["version"] == 2 and doc["label"] == "combined 2026" and doc["method"]["kind"] == "combined"

    from webapp.extensions import db
    from webapp.models import Evaluation
    with app.app_context():
        pinned = db.session.get(Evaluation, eid).weight_set
        pinned_id, pinned_checksum = pinned.id, pinned.checksum
    prov = doc["provenance"]
    assert prov["source"] == "combined"
    assert prov["subjective"] == {"weight_set_id": pinned_id, "version": 1, "checksum": pinned_checksum,
                                  "source": None, "round_ids": []}
    leaves, x, alpha, combined = independent_game_theory_entropy()
    assert prov["objective"]["method"] == "entropy" and prov["objective"]["evaluation_id"] == eid
    assert prov["objective"]["objects"] == 5 and prov["objective"]["indicators"] == 48
    # the data matrix's digest, recomputed from the uploaded CSV
    from evaluation.cli import read_scores_csv
    names = list(read_scores_csv(CSV_BYTES.decode("utf-8-sig")))
    matrix_json = json.dumps({"indicators": leaves, "objects": names, "values": x.tolist()},
                             sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert prov["objective"]["data_sha256"] == hashlib.sha256(matrix_json.encode()).hexdigest()
    assert prov["combination"]["method"] == "game_theory"
    np.testing.assert_allclose(prov["combination"]["coefficients"], alpha, atol=1e-10)

    nodes = {n["code"]: n for n in doc["nodes"]}
    np.testing.assert_allclose([nodes[c]["global_weight"] for c in leaves], combined, atol=1e-12)
    # every parent's global weight is the sum of its children's; locals of each group sum to 1
    for code, node in nodes.items():
        kids = [n for n in doc["nodes"] if n["parent"] == code]
        if kids:
            assert abs(sum(k["global_weight"] for k in kids) - node["global_weight"]) < 1e-12
            assert abs(sum(k["local_weight"] for k in kids) - 1) < 1e-12
    assert [n["code"] for n in doc["nodes"]] == [n["code"] for n in DOC["nodes"]]

    # the other files of v2
    book = load_workbook(io.BytesIO(coordinator_client.get(f"/studies/{sid}/weights/2.xlsx").data))
    info = {r[0]: r[1] for r in book["method"].iter_rows(min_row=2, values_only=True)}
    assert info["provenance.subjective.checksum"] == pinned_checksum
    assert info["provenance.objective.evaluation_id"] == eid and info["method.kind"] == "combined"
    import xmcda
    from lxml import etree
    from xmcda.schemas import XMCDA_4_0_0, _validate
    from xmcda.XMCDA import XMCDA
    xmcda.set_version(XMCDA_4_0_0)
    xml = coordinator_client.get(f"/studies/{sid}/weights/2.xml").data
    ok, log = _validate(etree.fromstring(xml), XMCDA_4_0_0)
    assert ok, str(log)
    weights = {cv.mcda_concept: cv for cv in XMCDA().load(io.BytesIO(xml)).criteria_values_list}["weights"]
    assert weights[leaves[0]].values[0].v == nodes[leaves[0]]["global_weight"]

    # audit: who published what from where
    from webapp.models import AuditEvent
    from sqlalchemy import select
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weights.publish")).all()[-1]
        assert event.details["source"] == "combined" and event.details["version"] == 2


def test_linear_combination_is_the_plain_average(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    finished(coordinator_client, sid, eid)
    _page, digest = preview_digest(coordinator_client, sid, eid, objective="critic", combination="linear")
    assert publish(coordinator_client, sid, eid, digest, objective="critic", combination="linear").status_code == 302
    doc = json.loads(coordinator_client.get(f"/studies/{sid}/weights/2.json").data)
    leaves, x = matrix()
    # CRITIC (Diakoulaki et al. 1995): min-max normalised columns, C_j = σ_j Σ_k (1 − r_jk), w = C / ΣC
    z = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    sd = z.std(axis=0, ddof=1)
    r = np.corrcoef(z, rowvar=False)
    c = sd * (1 - r).sum(axis=0)
    w_obj = c / c.sum()
    glob = {n["code"]: n["global_weight"] for n in DOC["nodes"]}
    expected = 0.5 * np.array([glob[k] for k in leaves]) + 0.5 * w_obj
    nodes = {n["code"]: n for n in doc["nodes"]}
    np.testing.assert_allclose([nodes[k]["global_weight"] for k in leaves], expected, atol=1e-12)
    assert doc["provenance"]["objective"]["method"] == "critic"


def test_refusals_store_nothing(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    before = snapshot(app)
    # no data: the preview is refused with a reason, nothing stored
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/combined-weights/preview", follow_redirects=True)
    assert "Finish the evaluation first" in page.data.decode()
    response = publish(coordinator_client, sid, eid, "0" * 64)
    assert response.status_code == 302
    assert snapshot(app) == before
    # finished with data, but the digest is stale (another method than previewed / tampered)
    finished(coordinator_client, sid, eid)
    _page, digest = preview_digest(coordinator_client, sid, eid)
    before = snapshot(app)
    stale = publish(coordinator_client, sid, eid, digest, objective="critic", follow_redirects=False)
    assert stale.status_code == 302 and "combined-weights/preview" in stale.headers["Location"]
    shown = coordinator_client.get(stale.headers["Location"]).data.decode()
    assert "changed since the preview" in shown
    assert publish(coordinator_client, sid, eid, "f" * 64).status_code == 302
    assert publish(coordinator_client, sid, eid, "not-a-digest").status_code == 302
    assert publish(coordinator_client, sid, eid, digest, objective="magic").status_code == 302
    assert snapshot(app) == before


def test_data_changed_since_preview_is_refused(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    finished(coordinator_client, sid, eid)
    _page, digest = preview_digest(coordinator_client, sid, eid)
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/reopen").status_code == 302
    changed = CSV_BYTES.replace(b",", b",", 1)
    lines = CSV_BYTES.decode("utf-8-sig").splitlines()
    cells = lines[1].split(",")
    cells[1] = "1" if cells[1] != "1" else "2"
    lines[1] = ",".join(cells)
    changed = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    assert upload(coordinator_client, sid, eid, changed).status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302
    before = snapshot(app)
    response = publish(coordinator_client, sid, eid, digest)
    assert "combined-weights/preview" in response.headers["Location"]
    assert snapshot(app) == before


def test_too_few_objects_is_refused(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    lines = CSV_BYTES.decode("utf-8-sig").splitlines()
    two = ("\ufeff" + "\r\n".join(lines[:3]) + "\r\n").encode()
    assert upload(coordinator_client, sid, eid, two).status_code == 302
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302
    before = snapshot(app)
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/combined-weights/preview", follow_redirects=True)
    assert "at least three evaluated objects" in page.data.decode()
    assert "Publish v2" not in page.data.decode()
    assert publish(coordinator_client, sid, eid, "a" * 64).status_code == 302
    assert snapshot(app) == before
