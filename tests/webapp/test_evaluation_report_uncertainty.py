"""The evaluation report's uncertainty section (seed 5.2.9 "the scores"; WEIGHTING.md "Uncertainty and
sensitivity": each object's score interval, rank interval and P(each star grade), the number of samples
and the seed stated). Its figures are the results page's (the same seeded samples) in HTML and DOCX,
and an independent percentile computation on the samples agrees; a set without samples says so."""
from __future__ import annotations

import html
import io
import re

import numpy as np
import pytest
from docx import Document
from sqlalchemy import select

from tests.webapp.test_evaluation_report import object_ids
from tests.webapp.test_evaluation_samples_cache import demo  # noqa: F401
from tests.webapp.test_evaluations import CSV_BYTES, evaluation_id, study, upload  # noqa: F401
from webapp.extensions import db
from webapp.models import EvaluatedObject, Evaluation, EvaluationScore
from webapp.services import evaluations as svc
from webapp.services.evaluation_uncertainty import weight_samples


def _words(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def html_rows(page: str) -> list[list[str]]:
    """The rows of the page's uncertainty table, each cell's text with whitespace collapsed."""
    table = re.search(r'<table class="table eval-uncertainty[^"]*">(.*?)</table>', page, re.S)
    assert table, "no uncertainty table"
    body = table.group(1).split("<tbody>")[1]
    return [[_words(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def docx_rows(data: bytes) -> tuple[list[list[str]], str]:
    doc = Document(io.BytesIO(data))
    tables = [t for t in doc.tables if t.rows[0].cells[1].text in ("T interval", "T 的区间")]
    text = "\n".join(p.text for p in doc.paragraphs)
    if not tables:
        return [], text
    return [[" ".join(c.text.split()) for c in r.cells] for r in tables[0].rows[1:]], text


def independent(app, eid) -> dict:
    """{object: (T 5th, T 95th, P(own grade or better))} from the samples with numpy alone."""
    with app.app_context():
        e = db.session.get(Evaluation, eid)
        tree = svc.tree_of(e)
        samples = weight_samples(svc.document_of(e), tree, e.study_id)
        glob = np.array(samples.local, dtype=float)          # local → global: multiply down the tree
        for k in range(1, len(tree.codes)):                 # parents come before their children
            glob[:, k] *= glob[:, tree.parent[k]]
        leaves = [tree.codes.index(c) for c in tree.leaves]
        table = svc.scores_table(e)
        bands = sorted(svc.settings_of(e)["bands"], key=lambda b: -b["min"])
        out = {}
        for name, row in table.items():
            totals = glob[:, leaves] @ np.array([row[c] for c in tree.leaves], dtype=float)
            stars = next(b["stars"] for b in bands if float(np.dot(
                np.array(tree.glob)[leaves], [row[c] for c in tree.leaves])) >= b["min"] - 1e-9)
            floor = next(b["min"] for b in bands if b["stars"] == stars)
            out[name] = (*np.percentile(totals, [5, 95]), float(np.mean(totals >= floor - 1e-9)), samples)
        return out


@pytest.mark.parametrize("which", ["delphi", "ahp"])
def test_report_uncertainty_equals_the_results_page(app, client, demo, which):  # noqa: F811
    sid, eid = demo["study"], demo[which]
    page_rows = html_rows(client.get(f"/studies/{sid}/evaluations/{eid}/results").get_data(as_text=True))
    report = client.get(f"/studies/{sid}/evaluations/{eid}/report").get_data(as_text=True)
    assert "Uncertainty of the grades and ranks" in report
    assert html_rows(report) == page_rows and len(page_rows) == 5
    expected = independent(app, eid)
    smp = next(iter(expected.values()))[3]
    for sentence in (f"{smp.resamples} resamples of {smp.experts} experts", f"seed {smp.seed}"):
        assert sentence in report
    for name, interval, ranks, grades in page_rows:
        low, high, at_least, _ = expected[name]
        assert interval == f"{low:.1f} – {high:.1f}"
        assert grades.endswith(f"or better) = {at_least:.2f}")
        shown = [float(p) for p in re.findall(r"★+ (\d\.\d\d)", grades)]
        assert abs(sum(shown) - 1) < 0.011                      # the grade probabilities sum to 1
    words, text = docx_rows(client.get(f"/studies/{sid}/evaluations/{eid}/report/0.docx").data)
    assert words == page_rows
    assert f"{smp.resamples} resamples of {smp.experts} experts" in text and f"seed {smp.seed}" in text
    # one object's report: that object's line only
    ids = object_ids(app, eid)
    name = page_rows[1][0]
    single = client.get(f"/studies/{sid}/evaluations/{eid}/report/{ids[name]}").get_data(as_text=True)
    assert html_rows(single) == [page_rows[1]]
    assert docx_rows(client.get(f"/studies/{sid}/evaluations/{eid}/report/{ids[name]}.docx").data)[0] \
        == [page_rows[1]]


def test_report_uncertainty_in_chinese(app, client, demo):  # noqa: F811
    sid, eid = demo["study"], demo["ahp"]
    page_rows = html_rows(client.get(f"/studies/{sid}/evaluations/{eid}/results?lang=zh").get_data(as_text=True))
    report = client.get(f"/studies/{sid}/evaluations/{eid}/report?lang=zh").get_data(as_text=True)
    assert "星级与排名的不确定性" in report and "Uncertainty of the grades" not in report
    assert html_rows(report) == page_rows
    rows, text = docx_rows(client.get(f"/studies/{sid}/evaluations/{eid}/report/0.docx?lang=zh").data)
    assert rows == page_rows and "1000" in text and "AHP" in text
    # the PDF is the report page's HTML: the same intervals, in its text layer
    from pypdf import PdfReader

    pdf = client.get(f"/studies/{sid}/evaluations/{eid}/report/0.pdf?lang=zh")
    assert pdf.status_code == 200
    layer = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    for _name, interval, ranks, _grades in page_rows:
        assert interval in layer and ranks in layer


def test_a_set_without_samples_says_so(app, coordinator_client, evaluation_id):  # noqa: F811
    """The fixture's weight set was uploaded, not published from a round: no samples, no crash."""
    sid, eid = evaluation_id
    upload(coordinator_client, sid, eid, CSV_BYTES)
    report = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report")
    assert report.status_code == 200
    text = report.get_data(as_text=True)
    assert "this weight set has no samples of plausible weights" in text and "eval-uncertainty" not in text
    docx = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report/0.docx")
    rows, words = docx_rows(docx.data)
    assert docx.status_code == 200 and rows == [] and "this weight set has no samples" in words
    zh = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/report?lang=zh").get_data(as_text=True)
    assert "不确定性" in zh and "this weight set" not in zh


def test_missing_scores_say_why_there_is_no_uncertainty(app, client, demo):  # noqa: F811
    """An AHP-weighted evaluation (samples exist) with one score removed and re-weighting allowed."""
    sid, eid = demo["study"], demo["ahp"]
    with app.app_context():
        e = db.session.get(Evaluation, eid)
        svc.set_missing_policy(e, "reweight")
        first = db.session.scalars(select(EvaluatedObject).where(EvaluatedObject.evaluation_id == eid)).first()
        db.session.delete(db.session.scalars(select(EvaluationScore).where(
            EvaluationScore.object_id == first.id)).first())
        db.session.commit()
    text = client.get(f"/studies/{sid}/evaluations/{eid}/report").get_data(as_text=True)
    assert "not every object has every score" in text and "eval-uncertainty" not in text
    _, words = docx_rows(client.get(f"/studies/{sid}/evaluations/{eid}/report/0.docx").data)
    assert "not every object has every score" in words
