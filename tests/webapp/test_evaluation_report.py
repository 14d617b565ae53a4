"""The evaluation report (seed 5.2.9): texts, per-object and summary reports over HTTP."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.webapp.test_evaluations import CSV_BYTES, DOC, evaluation_id, library_totals, study, upload  # noqa: F401
from webapp.extensions import db


def object_ids(app, eid):
    from webapp.models import EvaluatedObject

    with app.app_context():
        return {o.name: o.id for o in db.session.scalars(select(EvaluatedObject).where(
            EvaluatedObject.evaluation_id == eid))}


def test_report_has_the_seed_contents(app, coordinator_client, evaluation_id):  # noqa: F811
    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    saved = coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/report/contents", data={
        "evaluating_body": "Inspection Institute **X**", "participants": "Two assessors",
        "guidance": "Keep the calibration logs.", "conclusions": "**Improve** response times.<script>alert(1)</script>"})
    assert saved.status_code == 302
    ids = object_ids(app, eid)
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects/{ids['Platform Beta 乙']}/description",
                            data={"description": "A municipal platform"})
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/{ids['Platform Beta 乙']}")
    text = page.data.decode()
    assert page.status_code == 200
    for heading in ("1. The evaluating body and the evaluated party", "2. Objective", "3. Content and methods",
                    "4. Scores of the four elements and of every indicator",
                    "5. Guidance of the experts and the evaluating body", "6. Evaluation time",
                    "7. Conclusions and recommendations"):
        assert heading in text
    assert "<strong>Improve</strong>" in text and "<script>alert" not in text
    assert "A municipal platform" in text and "Annual service-quality review" in text
    assert f"{library_totals()['Platform Beta 乙']:.2f}" in text and "★★★★☆" in text
    # every node of the weight set has a row with its weights
    for node in DOC["nodes"][1:]:
        assert f'<span class="code">{node["code"]}</span>' in text
    assert len(re.findall(r'<tr class="level-\d">', text)) == len(DOC["nodes"])
    assert "provisional" in text
    summary = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report").data.decode()
    assert "Summary of 5 evaluated objects" in summary
    for name, total in library_totals().items():
        assert name in summary and f"{total:.2f}" in summary
    zh = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report?lang=zh").data.decode()
    assert "评价报告" in zh and "评价结论及建议" in zh


def test_report_refusals(app, coordinator_client, evaluation_id, make_study):  # noqa: F811
    sid, eid = evaluation_id
    # no scores yet: back to the results page with a message
    response = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report")
    assert response.status_code == 302
    upload(coordinator_client, sid, eid, CSV_BYTES)
    assert coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/99999").status_code == 404
    assert coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/objects/99999/description",
                                   data={"description": "x"}).status_code == 404


def test_report_as_docx_and_pdf(app, coordinator_client, evaluation_id):  # noqa: F811
    import io

    from docx import Document

    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    coordinator_client.post(f"/studies/{sid}/evaluations/{eid}/report/contents", data={
        "evaluating_body": "Institute X", "participants": "", "guidance": "", "conclusions": "- Improve turnaround"})
    ids = object_ids(app, eid)
    oid = ids["Platform Gamma 丙"]
    response = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/{oid}.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "7. Conclusions and recommendations" in text and "Improve turnaround" in text and "Institute X" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert f"{library_totals()['Platform Gamma 丙']:.2f}" in cells
    assert sum(1 for c in cells if c.strip().split(" ")[0] in {n["code"] for n in DOC["nodes"]}) >= len(DOC["nodes"]) - 1
    summary = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/0.docx?lang=zh")
    zh = "\n".join(p.text for p in Document(io.BytesIO(summary.data)).paragraphs)
    assert "评价结论及建议" in zh
    pdf = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/{oid}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and len(pdf.data) > 10_000
    assert coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/{oid}.txt").status_code == 404
