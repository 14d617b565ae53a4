"""Every file of a weight set: JSON against docs/weight-set.schema.json, the Data Package with
frictionless, XLSX, and XMCDA 4.0 against the official XSD shipped by the ``xmcda`` package;
the same values in all of them."""
from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from tests.publish.support import build_full
from tests.webapp.test_dashboard_support import alice
from webapp.extensions import db

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def document(app, coordinator_client):
    from webapp.models import Round, Study
    from webapp.services import weight_sets

    full = build_full(app, alice(app))
    with app.app_context():
        ws = weight_sets.publish(db.session.get(Study, full.study_id), db.session.get(Round, full.round_id))
        db.session.commit()
        return ws.document


def with_matrices(document):
    """An AHP-like document: a 2x2 and a 4x4 group matrix, CRs and intervals (shape only)."""
    doc = json.loads(json.dumps(document))
    doc["block_matrices"] = {
        "T": {"codes": ["A", "B", "C", "D"],
              "matrix": [[1, 2, 3, 4], [0.5, 1, 2, 3], [1 / 3, 0.5, 1, 2], [0.25, 1 / 3, 0.5, 1]]},
    }
    for node in doc["nodes"]:
        if node["code"] == doc["nodes"][0]["code"]:
            node["cr"], node["s_star"] = 0.0116, 0.83
        if node["level"] == 1:
            node["interval"] = [node["global_weight"] * 0.9, min(1.0, node["global_weight"] * 1.1)]
    return doc


def schema():
    return json.loads((DOCS / "weight-set.schema.json").read_text())


def test_json_matches_the_schema_and_a_broken_one_does_not(document):
    jsonschema.validate(document, schema())
    jsonschema.validate(with_matrices(document), schema())
    broken = json.loads(json.dumps(document))
    broken["nodes"][1]["local_weight"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())
    missing = {k: v for k, v in document.items() if k != "checksum"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(missing, schema())


def test_csv_has_bom_and_the_same_values(document):
    from webapp.services import weight_files

    data = weight_files.to_csv(document)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["code"] for r in rows] == [n["code"] for n in document["nodes"]]
    for row, node in zip(rows, document["nodes"]):
        assert float(row["global_weight"]) == node["global_weight"]   # exact: repr round-trips
        assert float(row["local_weight"]) == node["local_weight"]
        assert row["name_zh"] == node["name"]["zh"]
        assert row["parent"] == (node["parent"] or "")


def test_datapackage_validates_with_frictionless(document, tmp_path):
    from frictionless import Package, validate

    from webapp.services import weight_files

    with zipfile.ZipFile(io.BytesIO(weight_files.to_datapackage_zip(document))) as archive:
        archive.extractall(tmp_path)
        assert sorted(archive.namelist()) == ["datapackage.json", "weight-set.json", "weights.csv"]
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = Package(str(tmp_path / "datapackage.json"))
    rows = package.get_resource("weights").read_rows()
    assert [r["code"] for r in rows] == [n["code"] for n in document["nodes"]]
    assert [float(r["global_weight"]) for r in rows] == [n["global_weight"] for n in document["nodes"]]
    assert rows[0]["parent"] is None and isinstance(rows[1]["level"], int)
    # a broken file is caught by the same validator (the constraints are real)
    text = (tmp_path / "weights.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = text[2].split(",")
    cells[6] = "1.7"
    text[2] = ",".join(cells)
    (tmp_path / "weights.csv").write_text("\ufeff" + "\r\n".join(text) + "\r\n", encoding="utf-8")
    assert not validate(str(tmp_path / "datapackage.json")).valid


def test_xlsx_rows_and_method_sheet(document):
    from webapp.services import weight_files

    doc = json.loads(json.dumps(document))
    doc["label"] = "=HYPERLINK(\"http://x\")"
    book = load_workbook(io.BytesIO(weight_files.to_xlsx(doc)))
    assert book.sheetnames == ["weights", "method"]
    sheet = book["weights"]
    header = [c.value for c in sheet[1]]
    assert header == list(weight_files.COLUMNS)
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in body] == [n["code"] for n in doc["nodes"]]
    # openpyxl writes 16 significant digits (Excel keeps 15): equal to 1e-15, not bit for bit
    assert [r[6] for r in body] == pytest.approx([n["global_weight"] for n in doc["nodes"]], rel=1e-15, abs=0)
    info = dict(book["method"].iter_rows(min_row=2, values_only=True))
    assert info["checksum"] == doc["checksum"] and info["method.kind"] == "delphi"
    assert info["label"].startswith("'=")          # escaped, never a formula
    assert info["provenance.responses_used"] == 6


def test_xmcda_is_valid_against_the_official_xsd_and_loads_back(document):
    import xmcda
    from lxml import etree
    from xmcda.schemas import XMCDA_4_0_0, _validate
    from xmcda.XMCDA import XMCDA

    from webapp.services import weight_xmcda

    xmcda.set_version(XMCDA_4_0_0)
    doc = with_matrices(document)
    data = weight_xmcda.to_xmcda(doc)
    tree = etree.fromstring(data)
    ok, log = _validate(tree, XMCDA_4_0_0)
    assert ok, str(log)
    loaded = XMCDA().load(io.BytesIO(data))
    ids = [c.id for c in loaded.criteria]
    assert ids == [n["code"] for n in doc["nodes"]]
    by_concept = {cv.mcda_concept: cv for cv in loaded.criteria_values_list}
    weights = by_concept["weights"]
    for node in doc["nodes"]:
        assert weights[node["code"]].values[0].v == node["global_weight"]
    assert by_concept["localWeights"][doc["nodes"][5]["code"]].values[0].v == doc["nodes"][5]["local_weight"]
    matrix = loaded.criteria_matrix_list[0]
    assert matrix.mcda_concept == "pairwiseComparisons"
    assert matrix["A"]["B"][0].v == 2 and math.isclose(matrix["D"]["B"][0].v, 1 / 3)
    hierarchy = loaded.criteria_hierarchy_list[0]
    assert len(hierarchy) == 1 and hierarchy[0].criterion.id == doc["nodes"][0]["code"]
    assert sorted(n.criterion.id for n in hierarchy[0]) == sorted(
        n["code"] for n in doc["nodes"] if n["level"] == 1)
    # and an invalid file is refused by the same XSD
    broken = data.replace(b"<real>", b"<reel>", 1).replace(b"</real>", b"</reel>", 1)
    assert not _validate(etree.fromstring(broken), XMCDA_4_0_0)[0]


def test_the_evaluation_library_reads_a_published_document(document):
    """contracts.md: the evaluation helper reads weight-set/1; its WeightTree takes our document whole."""
    import evaluation as ev

    tree = ev.WeightTree.from_dict(document)
    want = {n["code"]: n["global_weight"] for n in document["nodes"]}
    assert tree.global_weights() == pytest.approx(want, abs=1e-12)
    assert tree.local_weights() == pytest.approx({n["code"]: n["local_weight"] for n in document["nodes"]},
                                                 abs=1e-12)
