"""The dashboard's downloads: CSV per table (UTF-8 with BOM) and one XLSX workbook, numbers as numbers."""
from __future__ import annotations

import csv
import io
import math
from urllib.parse import unquote

import numpy as np
import pytest
from openpyxl import load_workbook

import delphi
from tests.webapp.test_dashboard_support import (
    CODES,
    ROUND1,
    ROUND2,
    alice,
    build_round,
    build_two_rounds,
    expected_stats,
    matrix,
)
from webapp import presentation
from webapp.services import exports

EN_SHEETS = ["Raw ratings", "Item statistics", "Rounds summary", "Authority per expert", "Response",
             "Comments and reasons", "Statistics by group", "Notes"]
ZH_SHEETS = ["原始评分", "指标统计", "各轮汇总", "专家权威系数", "应答情况", "意见与理由", "分类别统计", "说明"]


@pytest.fixture
def built(app, coordinator_client):
    return build_round(app, alice(app))


def base(built, round_id=None):
    return f"/studies/{built.study_id}/rounds/{round_id or built.round_id}"


def get_csv(client, path) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")           # BOM: Excel shows Chinese
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def as_number(text: str):
    return None if text == "" else float(text)


def test_items_csv_parses_back_to_the_same_numbers(coordinator_client, built):
    rows = get_csv(coordinator_client, base(built) + "/export/items.csv?lang=en")
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Code", "Indicator", "n", "No opinion"]
    assert [r[0] for r in body] == CODES
    want = expected_stats(matrix(ROUND1))
    col = {name: header.index(label) for name, label in [
        ("n", "n"), ("mean", "Mean"), ("sd", "SD"), ("cv", "CV"), ("median", "Median"), ("q1", "Q1"),
        ("q3", "Q3"), ("iqr", "IQR"), ("agreement", "Agreement (share ≥ 4)"),
        ("full_score", "Full-score frequency")]}
    for j, row in enumerate(body):
        for name, index in col.items():
            assert as_number(row[index]) == pytest.approx(want[name][j], rel=1e-13, abs=1e-13), (row[0], name)
    assert [r[header.index("No opinion")] for r in body] == ["0", "0", "0", "1"]
    consensus = [r[header.index("Consensus (1 = yes)")] for r in body]
    assert consensus == ["1" if want["mean"][j] > 3.5 and want["cv"][j] < 0.25 else "0" for j in range(4)]
    assert want["mean"][3] < 3.5 and want["cv"][3] < 0.25          # D: 2, 3, 2 (and E03's "no opinion")
    assert body[3][header.index("Criteria not met")] == "mean too low"
    assert body[0][header.index("Criteria not met")] == ""
    assert body[0][1] == "Basic conditions"


def test_ratings_csv_is_the_raw_matrix_by_pseudonym(coordinator_client, built):
    rows = get_csv(coordinator_client, base(built) + "/export/ratings.csv?lang=en")
    assert rows[0] == ["Expert number", "Stakeholder group", *CODES]
    assert [r[0] for r in rows[1:]] == sorted(ROUND1)            # drafts (E05) are not in it
    for row in rows[1:]:
        assert [None if v == "" else int(v) for v in row[2:]] == ROUND1[row[0]]   # no opinion = empty
    assert rows[1][1] == "Regulator"


def test_rounds_csv_has_response_rate_w_and_consensus_per_round(app, coordinator_client):
    built = build_two_rounds(app, alice(app))
    rows = get_csv(coordinator_client, base(built, built.round2_id) + "/export/rounds.csv?lang=en")
    header, body = rows[0], rows[1:]
    assert [r[0] for r in body] == ["1", "2"]
    get = {label: header.index(label) for label in header}
    w1, w2 = delphi.kendall_w(matrix(ROUND1)), delphi.kendall_w(matrix(ROUND2))
    # E04's link was revoked after round 1: invited to round 1 (answered it), not to round 2
    for row, w, invited, answered in ((body[0], w1, 6, 4), (body[1], w2, 5, 3)):
        assert int(row[get["Invited"]]) == invited and int(row[get["Answered (submitted)"]]) == answered
        assert float(row[get["Response rate (positive coefficient)"]]) == pytest.approx(answered / invited)
        assert float(row[get["Kendall's W (tie-corrected)"]]) == pytest.approx(w.w_corrected, rel=1e-13)
        assert float(row[get["Kendall's W (uncorrected)"]]) == pytest.approx(w.w_uncorrected, rel=1e-13)
        assert float(row[get["χ²"]]) == pytest.approx(w.chi2, rel=1e-13)
        assert int(row[get["df"]]) == 3
        assert float(row[get["p"]]) == pytest.approx(w.p, rel=1e-12)
        assert int(row[get["Experts used for W"]]) == w.m_used
    rule = delphi.ConsensusRule.preset("cn-standard")
    share1 = rule.evaluate(delphi.item_stats(matrix(ROUND1))).reached.mean()
    assert float(body[0][get["Consensus share"]]) == pytest.approx(share1)


def test_authority_csv(coordinator_client, built):
    rows = get_csv(coordinator_client, base(built) + "/export/authority.csv?lang=en")
    assert rows[0] == ["Expert number", "Stakeholder group", "Familiarity", "Judgment basis Ca", "Familiarity Cs",
                       "Authority Cr", "Cr ≥ 0.7 (1 = yes)"]
    by = {r[0]: r for r in rows[1:]}
    assert sorted(by) == ["E01", "E02", "E03", "E04"]
    ca = 0.5 + 0.2 + 0.1 + 0.1
    assert float(by["E01"][5]) == pytest.approx((ca + 1.0) / 2) and by["E01"][6] == "1"
    assert float(by["E04"][5]) == pytest.approx((ca + 0.6) / 2) and by["E04"][6] == "1"
    assert by["E02"][3:] == ["", "", "", ""]                       # no self-assessment


def test_panel_csv_has_contacts_and_the_response_csv_does_not(coordinator_client, built):
    panel = get_csv(coordinator_client, base(built) + "/export/panel.csv?lang=en")
    by = {r[0]: r for r in panel[1:]}
    assert by["E05"][1:4] == ["Name E05", "e05@example.org", "Org E05"]
    assert by["E05"][panel[0].index("Status")] == "Draft in progress"
    assert by["E06"][panel[0].index("Status")] == "Not started"
    assert by["E07"][panel[0].index("Link revoked (1 = yes)")] == "1"
    response = get_csv(coordinator_client, base(built) + "/export/response.csv?lang=en")
    flat = "".join("".join(r) for r in response)
    assert "example.org" not in flat and "Name E0" not in flat
    counted = {r[0]: r[-1] for r in response[1:]}
    assert counted["E04"] == "1" and counted["E07"] == "0"


def test_comments_and_groups_csv(app, coordinator_client):
    built = build_two_rounds(app, alice(app))
    rows = get_csv(coordinator_client, base(built, built.round2_id) + "/export/comments.csv?lang=en")
    assert rows[0] == ["Code", "Indicator", "Expert number", "Kind", "Rating", "Text"]
    assert ["A", "Basic conditions", "E01", "Comment", "5", "Keep as it is."] in rows
    assert ["D", "Service results", "E01", "Reason outside the IQR", "1", "Only a formality for us."] in rows
    groups = get_csv(coordinator_client, base(built) + "/export/groups.csv?lang=en")
    header = groups[0]
    regulator_a = next(r for r in groups[1:] if r[0] == "Regulator" and r[1] == "A")
    assert float(regulator_a[header.index("Mean")]) == ROUND1["E01"][0]
    assert regulator_a[header.index("SD")] == ""                   # one expert: SD undefined, empty cell


def test_headers_follow_the_page_language(coordinator_client, built):
    rows = get_csv(coordinator_client, base(built) + "/export/items.csv?lang=zh")
    assert rows[0][:7] == ["编码", "指标", "例数 n", "不熟悉，不评价", "均数", "标准差", "变异系数"]
    assert rows[1][1] == "基础条件"
    assert float(rows[1][4]) == pytest.approx(17 / 4)


def test_downloads_have_a_sensible_file_name(coordinator_client, built):
    response = coordinator_client.get(base(built) + "/export/items.csv?lang=zh")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="concordia-study{built.study_id}-round1-items.csv"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert all(ord(c) < 128 for c in disposition)
    assert unquote(encoded) == "看板研究 · Dashboard study – 第1轮 – 指标统计.csv"
    response = coordinator_client.get(base(built) + "/export.xlsx?lang=en")
    assert response.headers["Content-Type"] == exports.XLSX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert f'filename="concordia-study{built.study_id}-round1-all.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]).endswith("round 1 – All tables.xlsx")


def test_content_disposition_strips_what_could_break_the_header():
    ascii_name, unicode_name = 'a"b.csv', '研究/"x"; y\r\n.csv'
    value = exports.content_disposition(ascii_name, unicode_name)
    assert value.startswith('attachment; filename="ab.csv"; filename*=UTF-8\'\'')
    assert "\r" not in value and "\n" not in value and '"x"' not in value.split("filename*=")[1]


def test_xlsx_has_the_sheets_and_numeric_cells(coordinator_client, built):
    response = coordinator_client.get(base(built) + "/export.xlsx?lang=en")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == EN_SHEETS
    ratings = workbook["Raw ratings"]
    assert [c.value for c in ratings[1]] == ["Expert number", "Stakeholder group", *CODES]
    for row in ratings.iter_rows(min_row=2, values_only=True):
        assert list(row[2:]) == ROUND1[row[0]]                      # ints; None (empty) for no opinion
        assert all(v is None or isinstance(v, int) for v in row[2:])
    items = workbook["Item statistics"]
    header = [c.value for c in items[1]]
    want = expected_stats(matrix(ROUND1))
    for j, row in enumerate(items.iter_rows(min_row=2, values_only=True)):
        assert row[0] == CODES[j]
        mean, cv, agreement = (row[header.index(h)] for h in ("Mean", "CV", "Agreement (share ≥ 4)"))
        assert isinstance(mean, (int, float)) and mean == pytest.approx(want["mean"][j], rel=1e-15)
        assert isinstance(cv, float) and cv == pytest.approx(want["cv"][j], rel=1e-15)
        assert agreement == pytest.approx(want["agreement"][j])
        assert isinstance(row[header.index("n")], int)
    assert items.cell(2, header.index("Agreement (share ≥ 4)") + 1).number_format == "0.0%"
    rounds = workbook["Rounds summary"]
    summary = dict(zip([c.value for c in rounds[1]], [c.value for c in rounds[2]]))
    w = delphi.kendall_w(matrix(ROUND1))
    assert summary["Round"] == 1 and summary["Invited"] == 6 and summary["Answered (submitted)"] == 4
    assert summary["Kendall's W (tie-corrected)"] == pytest.approx(w.w_corrected, rel=1e-15)
    assert summary["p"] == pytest.approx(w.p, rel=1e-15)
    assert isinstance(summary["Mean authority Cr"], float)
    authority = workbook["Authority per expert"]
    crs = {r[0]: r[5] for r in authority.iter_rows(min_row=2, values_only=True)}
    assert crs["E02"] is None and isinstance(crs["E01"], float)
    everything = [v for ws in workbook for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert not any("example.org" in str(v) for v in everything)     # pseudonymous
    notes = {r[0]: r[1] for r in workbook["Notes"].iter_rows(values_only=True)}
    assert "R type 7" in notes["Quartiles"] and "Mean > 3.5 and Coefficient of variation (CV) < 0.25" in notes["Consensus rule"]


def test_xlsx_in_chinese(coordinator_client, built):
    workbook = load_workbook(io.BytesIO(coordinator_client.get(base(built) + "/export.xlsx?lang=zh").data))
    assert workbook.sheetnames == ZH_SHEETS
    header = [c.value for c in workbook["指标统计"][1]]
    assert {"均数", "标准差", "变异系数", "中位数", "四分位数间距", "满分频率"} <= set(header)


def test_formatters_are_pure_and_keep_numbers(app):
    """exports.to_csv on a hand-made table: floats at Excel's precision, None empty, ints as ints."""
    table = exports.Table("t", "T", [exports.Column("a"), exports.Column("b", "num"), exports.Column("c", "int")],
                          [["x", 0.1 + 0.2, 3], ["y", None, None], ["z", float(np.float64(1 / 3)), 0]])
    text = exports.to_csv(table).decode("utf-8-sig")
    assert text.splitlines() == ["a,b,c", "x,0.3,3", "y,,", "z,0.333333333333333,0"]
    assert presentation.format_p(0.0004) == "< 0.001" and presentation.format_p(0.0123) == "0.012"
    assert presentation.format_p(None) == "–" and presentation.format_p(math.nan) == "–"
