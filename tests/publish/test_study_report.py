"""The study report in both languages as HTML, PDF (WeasyPrint) and DOCX, its figures checked against
``delphi/`` computed directly from the answers (the same figures the dashboard shows)."""
from __future__ import annotations

import io

import pytest
from docx import Document
from pypdf import PdfReader

import delphi
from tests.webapp.test_dashboard_support import ROUND1, ROUND2, alice, build_two_rounds, matrix
from webapp.extensions import db


@pytest.fixture
def finished(app, coordinator_client):
    """test_dashboard_support's two rounds, both closed, v1 published from round 2, conclusions written."""
    from webapp.models import Round, Study
    from webapp.services import round_lifecycle, study_report, weight_sets

    built = build_two_rounds(app, alice(app))
    with app.app_context():
        rnd2 = db.session.get(Round, built.round2_id)
        round_lifecycle.close_round(rnd2)
        study = db.session.get(Study, built.study_id)
        weight_sets.publish(study, rnd2)
        study_report.set_conclusions(study, "**Adopt** the weights.\n\n<script>alert(1)</script>")
        db.session.commit()
    return built


def expected():
    """Round 1: 4 of 6 invited answered (E04 answered then revoked: still counted; E07 revoked, not invited);
    round 2: 3 answered. W from delphi.kendall_w on the raw matrices (complete rows only)."""
    w1, w2 = delphi.kendall_w(matrix(ROUND1)), delphi.kendall_w(matrix(ROUND2))
    return w1, w2


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_report_html_figures_match_delphi(coordinator_client, finished):
    w1, w2 = expected()
    page = coordinator_client.get(f"/studies/{finished.study_id}/report/view?lang=en")
    assert page.status_code == 200
    text = page.text
    assert f"{w1.w:.3f}" in text and f"{w2.w:.3f}" in text
    assert f"{w1.chi2:.2f} ({w1.df})" in text
    assert "3 of 3" in text and "Secret" not in text and "Name E01" not in text
    assert "<strong>Adopt</strong>" in text and "<script>" not in text
    assert "Kendall" in text and "Appendix A. Methods" in text and "Consensus definition" in text
    assert "<svg" in text and "Global weight" in text
    # weights from round 2's means (E01–E03): A 13/3, B 13/3, C 11/3, D 7/3 → A = 13/44
    assert f"{13 / 44:.4f}" in text and f"{7 / 44:.4f}" in text
    assert "style=" not in text and "<script" not in text          # CSP: no inline style or script


def test_pdf_in_both_languages_with_the_same_figures(coordinator_client, finished):
    w1, w2 = expected()
    en = coordinator_client.get(f"/studies/{finished.study_id}/report.pdf?lang=en")
    assert en.status_code == 200 and en.data.startswith(b"%PDF")
    text = pdf_text(en.data)
    assert "Rounds and their statistics" in text
    assert f"{w1.w:.3f}" in text and f"{w2.w:.3f}" in text and f"{13 / 44:.4f}" in text
    zh = coordinator_client.get(f"/studies/{finished.study_id}/report.pdf?lang=zh")
    text_zh = pdf_text(zh.data)
    assert "专家" in text_zh and "肯德尔" in text_zh and f"{w1.w:.3f}" in text_zh
    fonts = {str(font.get_object()["/BaseFont"]) for page in PdfReader(io.BytesIO(zh.data)).pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    assert any("Noto-Sans-CJK-SC" in name for name in fonts), fonts


def test_docx_in_both_languages_with_the_same_figures(coordinator_client, finished):
    w1, w2 = expected()
    en = coordinator_client.get(f"/studies/{finished.study_id}/report.docx?lang=en")
    assert en.status_code == 200 and en.data[:2] == b"PK"
    text = docx_text(en.data)
    assert f"{w1.w:.3f}" in text and f"{w2.w:.3f}" in text and f"{13 / 44:.4f}" in text
    assert "Adopt the weights." in text and "Appendix A. Methods" in text
    zh = docx_text(coordinator_client.get(f"/studies/{finished.study_id}/report.docx?lang=zh").data)
    assert "专家" in zh and f"{w2.w:.3f}" in zh


def test_conclusions_form_and_access(app, coordinator_client, finished, make_coordinator):
    from tests.conftest import login
    from webapp.models import Study

    page = coordinator_client.get(f"/studies/{finished.study_id}/report")
    assert page.status_code == 200 and "Adopt" in page.text
    too_long = coordinator_client.post(f"/studies/{finished.study_id}/report", data={"conclusions": "x" * 20001})
    assert too_long.status_code == 400
    with app.app_context():
        assert db.session.get(Study, finished.study_id).conclusions.startswith("**Adopt**")
    saved = coordinator_client.post(f"/studies/{finished.study_id}/report", data={"conclusions": "New text"})
    assert saved.status_code == 302
    make_coordinator("bob")
    other = app.test_client()
    login(other, "bob")
    for url in ("/report", "/report/view", "/report.pdf", "/report.docx"):
        assert other.get(f"/studies/{finished.study_id}{url}").status_code == 404


def test_worked_ahp_steps_by_hand():
    """Saaty's 3x3 example matrix [[1,3,5],[1/3,1,3],[1/5,1/3,1]]: column sums 23/15, 13/3, 9;
    column-normalised row means (0.6333, 0.2605, 0.1062); λmax ≈ 3.0385, CI ≈ 0.0193, CR ≈ 0.0332 (RI 0.58)."""
    from webapp.services.study_report import worked_ahp

    a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    steps = worked_ahp({"block_matrices": {"T": {"codes": ["A", "B", "C"], "matrix": a}}})
    assert steps["column_sums"] == pytest.approx([23 / 15, 13 / 3, 9])
    w = [(15 / 23 + 9 / 13 + 5 / 9) / 3, (5 / 23 + 3 / 13 + 3 / 9) / 3, (3 / 23 + 1 / 13 + 1 / 9) / 3]
    assert steps["weights"] == pytest.approx(w)
    aw = [sum(a[i][j] * w[j] for j in range(3)) for i in range(3)]
    lam = sum(aw[i] / w[i] for i in range(3)) / 3
    assert steps["lambda_max"] == pytest.approx(lam)
    assert steps["ci"] == pytest.approx((lam - 3) / 2)
    assert steps["cr"] == pytest.approx((lam - 3) / 2 / 0.58)
    assert steps["cr"] == pytest.approx(0.033, abs=0.001)


def test_ahp_blocks_and_worked_steps_come_from_the_ahp_source(app, coordinator_client, finished, monkeypatch):
    """With an AHP source registered (contracts.md), the report shows each block's CR and S* and one
    block's steps; the source here is a stand-in dict with Saaty's 3x3 example for the block 'A'."""
    from webapp.models import Round, RoundKind, Study
    from webapp.services import study_report, weight_sets

    saaty = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    source = {"kind": "ahp", "local_weights": {}, "block_cr": {"A": 0.0332}, "block_s_star": {"A": 0.81},
              "block_matrices": {"A": {"codes": ["A1", "A2", "A3"], "matrix": saaty}}}
    monkeypatch.setitem(weight_sets.SOURCES, "ahp", lambda rnd: source)
    with app.app_context():
        rnd = db.session.get(Round, finished.round2_id)
        monkeypatch.setattr(rnd, "kind", RoundKind.ahp)
        report = study_report.build(db.session.get(Study, finished.study_id), locale="en")
        assert report.blocks == [{"round": 2, "code": "A", "name": report.blocks[0]["name"], "cr": 0.0332,
                                  "s_star": 0.81}]
        assert report.worked_ahp["parent"] == "A"
        assert report.worked_ahp["cr"] == pytest.approx(0.033, abs=0.001)
        from webapp.services.report_render import render_html

        with app.test_request_context():
            html = render_html(report)
        assert "0.0332" in html and "0.810" in html and "λmax" in html
        db.session.rollback()


def test_a_study_without_rounds_or_weights_still_has_a_report(app, coordinator_client, make_study):
    study_id = make_study(alice(app), title="Empty study")
    page = coordinator_client.get(f"/studies/{study_id}/report/view?lang=en")
    assert page.status_code == 200
    assert "No closed Delphi round yet." in page.text and "No weight set has been published yet." in page.text
    assert coordinator_client.get(f"/studies/{study_id}/report.pdf?lang=zh").data.startswith(b"%PDF")
    assert "尚未发布权重集" in docx_text(coordinator_client.get(f"/studies/{study_id}/report.docx?lang=zh").data)
