"""Imports as coordinators have them: lists pasted with spaces, tabs or commas and the
e-mail anywhere; GBK/GB18030 CSV (Excel on a Chinese Windows) and .xlsx for the panel
and the indicator system."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.webapp.test_setup_support import alice_id, snapshot
from webapp.extensions import db
from webapp.models import Expert, Node


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    return make_study(alice_id(app), seed=False)


def experts(app, study_id):
    with app.app_context():
        return [(e.name, e.email, e.organisation, e.group_code)
                for e in db.session.scalars(select(Expert).where(Expert.study_id == study_id).order_by(Expert.id))]


def paste(client, study_id, text):
    return client.post(f"/studies/{study_id}/panel/import?lang=en", data={"text": text})


@pytest.mark.parametrize("line, expected", [
    ("王芳 wang@example.org 复旦大学", ("王芳", "wang@example.org", "复旦大学", None)),
    ("wang@example.org, 王芳, 复旦大学", ("王芳", "wang@example.org", "复旦大学", None)),
    ("王芳，复旦大学，wang@example.org", ("王芳", "wang@example.org", "复旦大学", None)),
    ("王芳\t复旦大学\twang@example.org\t高校", ("王芳", "wang@example.org", "复旦大学", "academia")),
    ("Olivia Chen <olivia@example.org> Pearl River Instruments enterprise",
     ("Olivia Chen", "olivia@example.org", "Pearl River Instruments", "enterprise")),
    ("张伟   江门海关技术中心", ("张伟", None, "江门海关技术中心", None)),
    ("李秀英 华南理工大学", ("李秀英", None, "华南理工大学", None)),
    ("Olivia Chen", ("Olivia Chen", None, "", None)),
], ids=["spaces", "e-mail first", "chinese commas", "tabs, e-mail last", "spaces with group",
        "runs of spaces", "chinese name then organisation", "just a name"])
def test_a_pasted_line_is_split_with_the_email_found_anywhere(app, study_id, coordinator_client, line, expected):
    response = paste(coordinator_client, study_id, line + "\n")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert experts(app, study_id) == [expected]


def test_a_gbk_csv_from_excel_is_read(app, study_id, coordinator_client):
    text = "姓名,邮箱,单位\r\n王建国,wang@example.org,广州海关技术中心\r\n李秀英,,华南理工大学\r\n"
    raw = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the file really is not UTF-8
    response = coordinator_client.post(f"/studies/{study_id}/panel/import", data={
        "file": (io.BytesIO(raw), "专家名单.csv"), "text": ""}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert experts(app, study_id) == [("王建国", "wang@example.org", "广州海关技术中心", None),
                                      ("李秀英", None, "华南理工大学", None)]


def test_gb18030_beyond_gbk_is_read():
    from webapp.services.uploads import decode_text

    text = "𠀀 专家"  # U+20000 exists in GB18030 only (four bytes), not in GBK
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")
    assert decode_text(("\ufeff" + text).encode("utf-8")) == (text, "utf-8")
    assert decode_text(text.encode("utf-16")) == (text, "utf-16")


def xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_panel_is_read(app, study_id, coordinator_client):
    raw = xlsx([["姓名", "邮箱", "单位", "类别"], ["王建国", "wang@example.org", "广州海关技术中心", "监管部门"],
                ["Olivia Chen", "olivia@example.org", "Pearl River, Ltd.", "enterprise"], [None, None]])
    response = coordinator_client.post(f"/studies/{study_id}/panel/import", data={
        "file": (io.BytesIO(raw), "panel.xlsx"), "text": ""}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert experts(app, study_id) == [("王建国", "wang@example.org", "广州海关技术中心", "regulator"),
                                      ("Olivia Chen", "olivia@example.org", "Pearl River, Ltd.", "enterprise")]


def nodes(app, study_id):
    with app.app_context():
        return sorted((n.code, n.parent.code if n.parent else None, n.name_zh, n.name_en)
                      for n in db.session.scalars(select(Node).where(Node.study_id == study_id)))


TREE = [["code", "parent_code", "name_zh", "name_en"], ["G", None, "服务质量", "Service quality"],
        ["A", "G", "基础条件", "Basic conditions"], ["A1", "A", "检测能力", "Testing capability"],
        ["B", "G", "服务过程", "Service process"]]
EXPECTED_TREE = sorted([("G", None, "服务质量", "Service quality"), ("A", "G", "基础条件", "Basic conditions"),
                        ("A1", "A", "检测能力", "Testing capability"), ("B", "G", "服务过程", "Service process")])


@pytest.mark.parametrize("filename, raw", [
    ("指标体系.xlsx", xlsx(TREE)),
    ("指标体系.csv", "\r\n".join(",".join(c or "" for c in row) for row in TREE).encode("gbk")),
    ("tree.csv", "\r\n".join(",".join(c or "" for c in row) for row in TREE).encode("gb18030")),
], ids=["xlsx", "gbk csv", "gb18030 csv"])
def test_a_hierarchy_from_xlsx_or_gbk_csv(app, study_id, coordinator_client, filename, raw):
    response = coordinator_client.post(f"/studies/{study_id}/indicators/import", data={
        "file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert nodes(app, study_id) == EXPECTED_TREE


def test_a_bad_xlsx_changes_nothing(app, study_id, coordinator_client):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=en", data={
        "file": (io.BytesIO(xlsx([["A", "a@example.org"], ["B", "not-an-address@"]])), "panel.xlsx"), "text": ""},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "Line 2" in response.get_data(as_text=True)
    assert snapshot(app) == before
