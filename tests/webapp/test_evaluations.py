"""Evaluations over HTTP: a pinned published weight set, objects, scores upload, results, refusals."""
from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db

DATA = Path(__file__).resolve().parents[1] / "evaluation" / "data"
DOC = json.loads((DATA / "seed-weight-set.json").read_text(encoding="utf-8"))
CSV_BYTES = (DATA / "seed-scores.csv").read_bytes()          # UTF-8 with BOM, 5 platforms × 48 leaves


def publish(app, study_id: int, version: int, payload: dict) -> int:
    """A published weight set row (what the publishing service stores)."""
    from webapp.models import Study, WeightSet

    with app.app_context():
        ws = WeightSet.freeze(study=db.session.get(Study, study_id), version=version, payload=payload)
        db.session.add(ws)
        db.session.commit()
        return ws.id


def counts(app) -> tuple:
    from webapp.models import AuditEvent, EvaluatedObject, Evaluation, EvaluationScore

    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id))) for m in
                     (Evaluation, EvaluatedObject, EvaluationScore, AuditEvent))


def library_totals() -> dict:
    """T per platform straight from the library on the fixture files (the CLI's numbers)."""
    import evaluation
    from evaluation.cli import read_scores_csv

    res = evaluation.score(DOC, read_scores_csv(CSV_BYTES.decode("utf-8-sig")))
    return dict(zip(res.objects, res.total.tolist()))


@pytest.fixture()
def study(app, coordinator_client, make_study):
    sid = make_study(alice_id(app))
    ws_id = publish(app, sid, 1, DOC)
    return sid, ws_id


def create(client, sid, ws_id, **over):
    data = {"weight_set": ws_id, "title": "Platforms 2026", "kind": "third_party",
            "purpose": "Annual service-quality review", "period_start": "2026-01-01", "period_end": "2026-06-30"}
    data.update(over)
    return client.post(f"/studies/{sid}/evaluations", data=data)


def upload(client, sid, eid, content: bytes, filename="scores.csv"):
    return client.post(f"/studies/{sid}/evaluations/{eid}/scores", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


@pytest.fixture()
def evaluation_id(app, coordinator_client, study):
    sid, ws_id = study
    response = create(coordinator_client, sid, ws_id)
    assert response.status_code == 302, response.data
    return sid, int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_no_published_version_no_evaluation(app, coordinator_client, make_study):
    sid = make_study(alice_id(app))
    page = coordinator_client.get(f"/studies/{sid}/evaluations")
    assert page.status_code == 200 and b"Publish a weight set of this study first" in page.data
    before = counts(app)
    assert create(coordinator_client, sid, 999).status_code == 400
    assert counts(app) == before


def test_upload_then_results_match_the_library(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    response = upload(coordinator_client, sid, eid, CSV_BYTES)
    assert response.status_code == 302, response.data
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results")
    text = page.data.decode()
    assert page.status_code == 200
    for name, total in library_totals().items():
        assert name in text and f"{total:.2f}" in text
    assert "★★★★★" in text and "★☆☆☆☆" in text
    assert "How stable is the verdict?" in text and "<svg" in text
    detail = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}").data.decode()
    assert "48 / 48" in detail


def test_xlsx_upload(app, coordinator_client, evaluation_id):
    from openpyxl import Workbook

    sid, eid = evaluation_id
    rows = list(csv.reader(io.StringIO(CSV_BYTES.decode("utf-8-sig"))))
    book = Workbook()
    sheet = book.active
    for row in rows[:3]:
        sheet.append([row[0], *(float(v) for v in row[1:])] if row is not rows[0] else row)
    buf = io.BytesIO()
    book.save(buf)
    assert upload(coordinator_client, sid, eid, buf.getvalue(), "scores.xlsx").status_code == 302
    assert counts(app)[1:3] == (2, 96)


@pytest.mark.parametrize("mutate, message", [
    (lambda h, r: (h + ["Z9"], [row + ["50"] for row in r]), "Z9 is not an indicator of this weight set"),
    (lambda h, r: (h + ["A1"], [row + ["50"] for row in r]), "A1 is not scored directly"),
    (lambda h, r: (h, [[row[0], "150", *row[2:]] for row in r]), "150 is off the scale 0–100"),
    (lambda h, r: (h, [[row[0], "good", *row[2:]] for row in r]), "is not a number"),
])
def test_refused_uploads_store_nothing(app, coordinator_client, evaluation_id, mutate, message):
    sid, eid = evaluation_id
    rows = list(csv.reader(io.StringIO(CSV_BYTES.decode("utf-8-sig"))))
    header, body = mutate(rows[0], rows[1:])
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *body])
    before = counts(app)
    response = upload(coordinator_client, sid, eid, buf.getvalue().encode("utf-8"))
    assert response.status_code == 400
    assert "Nothing was imported." in response.data.decode()
    assert message in response.data.decode().replace("&#34;", '"')
    assert counts(app) == before


def test_pinned_version_is_kept_when_a_new_one_is_published(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    changed = copy.deepcopy(DOC)
    for n in changed["nodes"]:                    # swap the weights of A and D in version 2
        if n["code"] in ("A", "D"):
            n["local_weight"] = 0.1 if n["code"] == "A" else 0.4
    glob = {}
    for n in changed["nodes"]:
        glob[n["code"]] = 1.0 if n["parent"] is None else glob[n["parent"]] * n["local_weight"]
        n["global_weight"] = glob[n["code"]]
    publish(app, sid, 2, changed)
    text = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results").data.decode()
    for total in library_totals().values():
        assert f"{total:.2f}" in text
    assert "weight set version 1" in text


def test_weight_set_not_matching_the_hierarchy_is_refused(app, coordinator_client, study):
    sid, _ = study
    other = copy.deepcopy(DOC)
    for n in other["nodes"]:
        if n["code"] == "A1.1":
            n["code"] = "X9"
    bad_id = publish(app, sid, 2, other)
    before = counts(app)
    response = create(coordinator_client, sid, bad_id)
    assert response.status_code == 400
    assert "does not match the study" in response.data.decode()
    assert counts(app) == before


def test_objects_added_one_by_one_or_as_list_duplicates_refused(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    ok = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab A\nLab B\n\n"})
    assert ok.status_code == 302
    before = counts(app)
    dup = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "Lab C\nLab A"})
    assert dup.status_code == 400 and "already in the list: Lab A" in dup.data.decode()
    assert counts(app) == before


def test_template_csv_escapes_formulas(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects", data={"names": "=HYPERLINK(1)\nLab B"})
    response = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/template.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][1:4] == ["A1.1", "A1.2", "A1.3"] and len(rows[0]) == 49
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[2][0] == "Lab B"


def test_missing_scores_refused_then_reweighted(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    text = CSV_BYTES.decode("utf-8-sig").splitlines()
    cells = text[1].split(",")
    cells[1] = ""                                           # Platform Alpha without A1.1
    upload(coordinator_client, sid, eid, "\n".join([text[0], ",".join(cells), *text[2:]]).encode())
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results").data.decode()
    assert "Some scores are missing" in page
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/settings",
                                   data={"missing": "reweight"}).status_code == 302
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/results").data.decode()
    assert "without a score: A1.1" in page and "Shown when every object has every score." in page


def test_finish_freezes_and_reopen(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/finish").status_code == 302
    before = counts(app)
    refused = upload(coordinator_client, sid, eid, CSV_BYTES)
    assert refused.status_code == 400 and "finished" in refused.data.decode()
    assert counts(app) == before
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/reopen").status_code == 302
    assert upload(coordinator_client, sid, eid, CSV_BYTES).status_code == 302


def test_finish_without_scores_is_refused(app, coordinator_client, evaluation_id):
    sid, eid = evaluation_id
    response = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/finish", follow_redirects=True)
    assert "no scores" in response.data.decode()
    from webapp.models import Evaluation
    with app.app_context():
        assert not db.session.get(Evaluation, eid).is_finished


def test_another_coordinator_gets_404(app, client, evaluation_id, make_coordinator):
    from tests.conftest import login

    sid, eid = evaluation_id
    client.post("/logout")
    make_coordinator("bob")
    login(client, "bob")
    for path in ("", "/results", "/template.csv"):
        assert client.get(f"/studies/{sid}/evaluations/{eid}{path}").status_code == 404
    assert upload(client, sid, eid, CSV_BYTES).status_code == 404
