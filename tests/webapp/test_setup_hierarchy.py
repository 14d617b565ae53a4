"""The indicator system page: import (JSON, CSV, the example), export, edit nodes, refusals."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from tests.helpers import snapshot
from tests.webapp.test_setup_support import alice_id, answer_a_round, children_codes, node_id, tree
from webapp.extensions import db

SEED = "webapp/data/seed-indicators.json"


def seed_bytes() -> bytes:
    with open(SEED, "rb") as fh:
        return fh.read()


def seed_as_csv() -> bytes:
    """The seed hierarchy written as a CSV by hand (not by our exporter)."""
    data = json.loads(seed_bytes())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["code", "parent_code", "name_zh", "name_en", "description_zh", "description_en"])

    def write(node, parent):
        desc = node.get("description") or {}
        writer.writerow([node["code"], parent, node["name"]["zh"], node["name"]["en"],
                         desc.get("zh", ""), desc.get("en", "")])
        for child in node.get("children", []):
            write(child, node["code"])

    write(data, "")
    return buffer.getvalue().encode("utf-8")


def count_nodes(app, study_id: int) -> int:
    from webapp.models import Node

    with app.app_context():
        return db.session.scalar(select(func.count(Node.id)).where(Node.study_id == study_id))


def upload(client, study_id: int, filename: str, content: bytes, **kwargs):
    return client.post(f"/studies/{study_id}/indicators/import",
                       data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data", **kwargs)


@pytest.fixture
def empty_study(app, coordinator_client, make_study):
    return make_study(alice_id(app), seed=False)


@pytest.fixture
def seeded_study(app, coordinator_client, make_study):
    return make_study(alice_id(app))


# --- import and export --------------------------------------------------------------------

def test_import_the_seed_as_json(app, coordinator_client, empty_study):
    response = upload(coordinator_client, empty_study, "seed-indicators.json", seed_bytes())
    assert response.status_code == 302
    assert count_nodes(app, empty_study) == 64
    page = coordinator_client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Imported 64 indicators" in page and "Testing capability" in page
    assert tree(app, empty_study)["A1.2"] == ("A1", 1)


def test_import_the_seed_as_csv(app, coordinator_client, empty_study):
    response = upload(coordinator_client, empty_study, "indicators.CSV", seed_as_csv())
    assert response.status_code == 302
    assert count_nodes(app, empty_study) == 64
    from webapp.models import Node

    with app.app_context():
        node = db.session.scalar(select(Node).where(Node.study_id == empty_study, Node.code == "A2.4"))
        assert node.name_zh == "专家人才" and node.parent.code == "A2"
        assert node.description_zh.startswith("专家人才在本专业") and node.description_en.startswith("Technical")


def test_import_replaces_the_previous_tree(app, coordinator_client, seeded_study):
    small = "code,parent_code,name_zh,name_en,description\nG,,目标,Goal,\nX,G,甲,X,\nY,G,乙,Y,\n".encode()
    assert upload(coordinator_client, seeded_study, "small.csv", small).status_code == 302
    assert tree(app, seeded_study) == {"G": (None, 0), "X": ("G", 0), "Y": ("G", 1)}


def test_use_the_example_hierarchy(app, coordinator_client, empty_study):
    page = coordinator_client.get(f"/studies/{empty_study}/indicators?lang=en").get_data(as_text=True)
    assert "Use the example indicator system" in page
    response = coordinator_client.post(f"/studies/{empty_study}/indicators/seed")
    assert response.status_code == 302
    assert count_nodes(app, empty_study) == 64


def test_download_json_and_csv_read_back_to_the_same_tree(app, coordinator_client, seeded_study, make_study):
    from webapp.services.hierarchy_io import parse_csv, parse_json

    as_json = coordinator_client.get(f"/studies/{seeded_study}/indicators/export.json")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["Content-Disposition"]
    as_csv = coordinator_client.get(f"/studies/{seeded_study}/indicators/export.csv")
    assert as_csv.data.startswith("\ufeff".encode("utf-8"))  # Excel reads the Chinese names
    with app.app_context():
        from_json, from_csv = parse_json(as_json.data), parse_csv(as_csv.data)
        original = parse_json(seed_bytes())

    def flat(root):
        return [(n.code, n.name_zh, n.name_en, n.description_zh, n.description_en,
                 [c.code for c in n.children]) for n in root.walk()]

    assert flat(from_json) == flat(original) == flat(from_csv)
    # and the download imports into another study unchanged
    other = make_study(alice_id(app), seed=False)
    assert upload(coordinator_client, other, "copy.csv", as_csv.data).status_code == 302
    assert tree(app, other) == tree(app, seeded_study)


MALFORMED = [
    ("bad JSON", "tree.json", b'{"code": "SQ",\n "name": "x",\n "children": [}', "line 3"),
    ("missing parent", "tree.csv",
     b"code,parent_code,name_zh,name_en\nG,,Goal,Goal\nA,G,A,A\nA1,ZZ,A1,A1\n", "Line 4: the parent ZZ of A1"),
    ("duplicate code", "tree.csv",
     b"code,parent_code,name_zh,name_en\nG,,Goal,Goal\nA,G,A,A\nA,G,B,B\n", "Line 4: the code A appears twice"),
    ("duplicate code in JSON", "tree.json",
     json.dumps({"code": "G", "name": "Goal", "children": [{"code": "A", "name": "a"}, {"code": "A", "name": "b"}]}
                ).encode(), "indicator A: the code appears twice"),
    ("cycle", "tree.csv",
     b"code,parent_code,name_zh,name_en\nG,,Goal,Goal\nA,G,A,A\nX,Y,X,X\nY,X,Y,Y\n", "Line 4: indicator X is part of a cycle"),
    ("wrong extension", "tree.txt", b"code,parent_code", "Upload a .json (hierarchy/1), .csv or .xlsx file."),
    ("broken xlsx", "tree.xlsx", b"PK\x03\x04 not a workbook", "The .xlsx file cannot be read"),
    ("neither UTF-8 nor GBK", "tree.csv", b"code,parent_code,name_zh\nG,,\x81\x20\xff\n",
     "neither UTF-8 nor GBK/GB18030"),
    ("no name", "tree.json", json.dumps({"code": "G", "name": "Goal", "children": [{"code": "A"}]}).encode(),
     "indicator A: the name is missing"),
]


@pytest.mark.parametrize("what, filename, content, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_upload_names_the_place_and_stores_nothing(app, coordinator_client, seeded_study,
                                                               what, filename, content, message):
    before = snapshot(app)
    response = upload(coordinator_client, seeded_study, filename, content, query_string={"lang": "en"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_upload_without_a_file_is_refused(app, coordinator_client, empty_study):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{empty_study}/indicators/import?lang=en", data={},
                                       content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a .json, .csv or .xlsx file" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_malformed_upload_message_in_chinese(app, coordinator_client, seeded_study):
    response = upload(coordinator_client, seeded_study, "tree.csv",
                      b"code,parent_code,name_zh,name_en\nG,,Goal,Goal\nA1,ZZ,A1,A1\n", query_string={"lang": "zh"})
    assert response.status_code == 400
    assert "第 3 行" in response.get_data(as_text=True)


# --- editing nodes ------------------------------------------------------------------------

def test_add_a_child(app, coordinator_client, seeded_study):
    a1 = node_id(app, seeded_study, "A1")
    page = coordinator_client.get(f"/studies/{seeded_study}/indicators/{a1}/add")
    assert page.status_code == 200 and 'value="A1.4"' in page.get_data(as_text=True)  # suggested code
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/add", data={
        "code": "A1.4", "name_zh": "检测周期", "name_en": "Turnaround time", "description_zh": "",
        "description_en": "Days from sample to report"})
    assert response.status_code == 302
    assert tree(app, seeded_study)["A1.4"] == ("A1", 3)
    assert count_nodes(app, seeded_study) == 65


def test_add_needs_a_name_and_a_free_code(app, coordinator_client, seeded_study):
    a1 = node_id(app, seeded_study, "A1")
    before = snapshot(app)
    taken = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/add?lang=en", data={
        "code": "B2", "name_zh": "重复", "name_en": "Duplicate"})
    assert taken.status_code == 400
    assert "The code B2 is already used by the indicator" in taken.get_data(as_text=True)
    nameless = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/add?lang=en", data={
        "code": "A1.9", "name_zh": "", "name_en": " "})
    assert nameless.status_code == 400 and "Give a name" in nameless.get_data(as_text=True)
    spaced = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/add?lang=en", data={
        "code": "A1 9", "name_en": "x"})
    assert spaced.status_code == 400 and "contains spaces" in spaced.get_data(as_text=True)
    assert snapshot(app) == before


def test_the_database_keeps_codes_unique_too(app, seeded_study, monkeypatch):
    """A duplicate that slips past the friendly check (a parallel edit) still gets a friendly message."""
    from webapp.models import Node
    from webapp.services import hierarchy_edit
    from webapp.services.hierarchy_io import HierarchyError

    before = snapshot(app)
    monkeypatch.setattr(hierarchy_edit, "_check_code", lambda study, code, node=None: code)
    with app.test_request_context():
        a1 = db.session.get(Node, node_id(app, seeded_study, "A1"))
        with pytest.raises(HierarchyError, match="B2 is already used by another indicator"):
            hierarchy_edit.add_child(a1, code="B2", name_en="Duplicate")
        db.session.rollback()
    assert snapshot(app) == before


def test_rename_both_languages_and_the_code(app, coordinator_client, seeded_study):
    a1 = node_id(app, seeded_study, "A1")
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/edit", data={
        "code": "A1x", "name_zh": "检测与校准能力", "name_en": "Testing and calibration capability",
        "description_zh": "含校准", "description_en": "Including calibration",
        "parent": node_id(app, seeded_study, "A")})
    assert response.status_code == 302
    from webapp.models import Node

    with app.app_context():
        node = db.session.get(Node, a1)
        assert (node.code, node.name_zh, node.name_en, node.description_en) == (
            "A1x", "检测与校准能力", "Testing and calibration capability", "Including calibration")
        assert node.parent.code == "A" and node.position == 0
    en = coordinator_client.get(f"/studies/{seeded_study}/indicators?lang=en").get_data(as_text=True)
    assert "Testing and calibration capability" in en


def test_move_to_another_parent(app, coordinator_client, seeded_study):
    a11 = node_id(app, seeded_study, "A1.1")
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a11}/edit", data={
        "code": "A1.1", "name_zh": "资质认证或许可情况", "name_en": "Accreditations",
        "parent": node_id(app, seeded_study, "B1")})
    assert response.status_code == 302
    assert children_codes(app, seeded_study, "B1") == ["B1.1", "B1.2", "B1.3", "B1.4", "A1.1"]
    assert children_codes(app, seeded_study, "A1") == ["A1.2", "A1.3"]
    assert tree(app, seeded_study)["A1.2"] == ("A1", 0)  # positions renumbered


def test_move_below_itself_is_refused(app, coordinator_client, seeded_study):
    a = node_id(app, seeded_study, "A")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a}/edit?lang=en", data={
        "code": "A", "name_zh": "基础条件", "name_en": "Basic conditions",
        "parent": node_id(app, seeded_study, "A1")})
    assert response.status_code == 400  # not among the offered parents
    assert snapshot(app) == before
    from webapp.models import Node
    from webapp.services import hierarchy_edit
    from webapp.services.hierarchy_io import HierarchyError

    with app.test_request_context():
        node = db.session.get(Node, a)
        with pytest.raises(HierarchyError, match="below itself"):
            hierarchy_edit.move_node(node, db.session.get(Node, node_id(app, seeded_study, "A1.1")))
        root = node.parent
        with pytest.raises(HierarchyError, match="cannot be moved"):
            hierarchy_edit.move_node(root, node)


def test_order_up_and_down(app, coordinator_client, seeded_study):
    a12 = node_id(app, seeded_study, "A1.2")
    assert coordinator_client.post(f"/studies/{seeded_study}/indicators/{a12}/move/up").status_code == 302
    assert children_codes(app, seeded_study, "A1") == ["A1.2", "A1.1", "A1.3"]
    coordinator_client.post(f"/studies/{seeded_study}/indicators/{a12}/move/up")  # already first: no change
    assert children_codes(app, seeded_study, "A1") == ["A1.2", "A1.1", "A1.3"]
    coordinator_client.post(f"/studies/{seeded_study}/indicators/{a12}/move/down")
    coordinator_client.post(f"/studies/{seeded_study}/indicators/{a12}/move/down")
    assert children_codes(app, seeded_study, "A1") == ["A1.1", "A1.3", "A1.2"]
    assert coordinator_client.post(f"/studies/{seeded_study}/indicators/{a12}/move/sideways").status_code == 404


def test_delete_a_node_and_its_subtree(app, coordinator_client, seeded_study):
    a1 = node_id(app, seeded_study, "A1")
    page = coordinator_client.get(f"/studies/{seeded_study}/indicators/{a1}/edit?lang=en").get_data(as_text=True)
    assert "also deletes its 3 sub-indicators" in page
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{a1}/delete", follow_redirects=True,
                                       query_string={"lang": "en"})
    assert "Indicator A1 deleted (4 indicators in all)" in response.get_data(as_text=True)
    assert count_nodes(app, seeded_study) == 60
    assert children_codes(app, seeded_study, "A") == ["A2", "A3", "A4"]
    assert tree(app, seeded_study)["A2"] == ("A", 0)


def test_the_root_cannot_be_deleted(app, coordinator_client, seeded_study):
    root = node_id(app, seeded_study, "SQ")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{root}/delete", follow_redirects=True,
                                       query_string={"lang": "en"})
    assert "The goal (root) SQ cannot be deleted" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_draft_round_loses_a_deleted_item_an_open_round_refuses(app, coordinator_client, seeded_study):
    from webapp.models import Round, RoundItem, RoundStatus, Study

    with app.app_context():
        study = db.session.get(Study, seeded_study)
        draft = Round(study=study, number=1)
        db.session.add(draft)
        db.session.flush()
        db.session.add(RoundItem(round=draft, node_id=node_id(app, seeded_study, "A1.1"), position=0))
        db.session.add(RoundItem(round=draft, node_id=node_id(app, seeded_study, "B1"), position=1))
        db.session.commit()
    coordinator_client.post(f"/studies/{seeded_study}/indicators/{node_id(app, seeded_study, 'A1')}/delete")
    with app.app_context():
        assert db.session.scalar(select(func.count(RoundItem.id))) == 1
        draft = db.session.scalar(select(Round).where(Round.study_id == seeded_study))
        draft.status = RoundStatus.open
        db.session.commit()
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{seeded_study}/indicators/{node_id(app, seeded_study, 'B')}/delete",
                                       follow_redirects=True, query_string={"lang": "en"})
    assert "cannot be deleted: round 1 asks about it" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_every_edit_is_refused_once_a_round_has_answers(app, coordinator_client, seeded_study):
    answer_a_round(app, seeded_study)
    before = snapshot(app)
    base = f"/studies/{seeded_study}/indicators"
    a1, a12 = node_id(app, seeded_study, "A1"), node_id(app, seeded_study, "A1.2")
    locked = "already has answers"
    page = coordinator_client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "the indicator system is locked" in page and f"{base}/{a1}/edit" not in page

    response = coordinator_client.post(f"{base}/{a1}/add?lang=en", data={"code": "A1.9", "name_en": "New"})
    assert response.status_code == 400 and locked in response.get_data(as_text=True)
    response = coordinator_client.post(f"{base}/{a1}/edit?lang=en", data={
        "code": "A1", "name_zh": "x", "name_en": "Renamed", "parent": node_id(app, seeded_study, "A")})
    assert response.status_code == 400 and locked in response.get_data(as_text=True)
    response = coordinator_client.post(f"{base}/{a1}/edit?lang=en", data={
        "code": "A1", "name_zh": "检测能力", "name_en": "Testing capability", "parent": node_id(app, seeded_study, "B")})
    assert response.status_code == 400 and locked in response.get_data(as_text=True)
    for path in (f"{base}/{a12}/move/up", f"{base}/{a12}/delete", f"{base}/seed"):
        response = coordinator_client.post(path, follow_redirects=True, query_string={"lang": "en"})
        assert "already has answers" in response.get_data(as_text=True), path
    response = upload(coordinator_client, seeded_study, "seed.json", seed_bytes(), query_string={"lang": "en"})
    assert response.status_code == 400 and "a round already has answers" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_import_form_offered_only_while_editable_and_a_fresh_study_shows_the_example(app, coordinator_client,
                                                                                    empty_study):
    page = coordinator_client.get(f"/studies/{empty_study}/indicators?lang=zh").get_data(as_text=True)
    assert "使用示例指标体系" in page and "从文件导入" in page
    assert coordinator_client.get(f"/studies/{empty_study}/indicators/export.json").status_code == 404
