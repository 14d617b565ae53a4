"""A published weight set as files: CSV (UTF-8 with BOM), Frictionless Data Package, XLSX.

Pure formatting of ``WeightSet.document`` (no queries). Column names are part
of the published format (``docs/weight-set-format.md``): keep them.
The XMCDA 4.0 file is in ``weight_xmcda``.
"""
from __future__ import annotations

import io
import json
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Font

from webapp.services.spreadsheet import append_row, csv_bytes

COLUMNS = ("code", "parent", "name_zh", "name_en", "level", "local_weight", "global_weight",
           "cr", "s_star", "interval_lo", "interval_hi")

TABLE_SCHEMA = {
    "fields": [
        {"name": "code", "type": "string", "title": "Indicator code",
         "constraints": {"required": True, "unique": True}},
        {"name": "parent", "type": "string", "title": "Parent's code (empty for the goal)"},
        {"name": "name_zh", "type": "string", "title": "Name (Chinese)"},
        {"name": "name_en", "type": "string", "title": "Name (English)"},
        {"name": "level", "type": "integer", "title": "Level (0 = goal)",
         "constraints": {"required": True, "minimum": 0}},
        {"name": "local_weight", "type": "number", "title": "Local weight (siblings sum to 1)",
         "constraints": {"required": True, "minimum": 0, "maximum": 1}},
        {"name": "global_weight", "type": "number", "title": "Global weight (parent global x local)",
         "constraints": {"required": True, "minimum": 0, "maximum": 1}},
        {"name": "cr", "type": "number", "title": "Group consistency ratio of the block this node heads",
         "constraints": {"minimum": 0}},
        {"name": "s_star", "type": "number", "title": "Group consensus S* of the block this node heads",
         "constraints": {"minimum": 0, "maximum": 1}},
        {"name": "interval_lo", "type": "number", "title": "Bootstrap interval of the global weight, lower",
         "constraints": {"minimum": 0, "maximum": 1}},
        {"name": "interval_hi", "type": "number", "title": "Bootstrap interval of the global weight, upper",
         "constraints": {"minimum": 0, "maximum": 1}},
    ],
    "missingValues": [""],
    "primaryKey": ["code"],
    "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["code"]}}],
}

def rows(document: dict) -> list[list]:
    """One row per node, in the document's order, values as in the JSON (full precision)."""
    out = []
    for node in document["nodes"]:
        interval = node.get("interval") or [None, None]
        out.append([node["code"], node["parent"], node["name"]["zh"], node["name"]["en"], node["level"],
                    node["local_weight"], node["global_weight"], node["cr"], node["s_star"],
                    interval[0], interval[1]])
    return out


def to_csv(document: dict) -> bytes:
    """``weights.csv``: UTF-8 with BOM (Excel shows Chinese), CRLF, a header of ``COLUMNS``;
    floats as Python writes them (the shortest text that reads back as the same double),
    every cell through the shared spreadsheet escaping."""
    return csv_bytes(COLUMNS, rows(document))


def base_name(document: dict) -> str:
    return f"weight-set-study{document['study']['id']}-v{document['version']}"


def datapackage(document: dict) -> dict:
    """``datapackage.json`` (Frictionless Data Package v1 with a Table Schema)."""
    study = document["study"]
    return {
        "profile": "tabular-data-package",
        "name": base_name(document),
        "title": f"{study['title']} — weight set v{document['version']}",
        "version": f"{document['version']}.0.0",
        "created": document["published_at"],
        "description": ("Consensus indicator weights published by Concordia (weight-set/1). "
                        "weight-set.json holds the same values with the method, panel and provenance."),
        "weight_set": {"schema": document["schema"], "study_id": study["id"],
                       "version": document["version"], "checksum": document["checksum"]},
        "resources": [{
            "name": "weights",
            "path": "weights.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
            "schema": TABLE_SCHEMA,
        }],
    }


def to_datapackage_zip(document: dict) -> bytes:
    """``datapackage.json`` + ``weights.csv`` + ``weight-set.json`` in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(datapackage(document), ensure_ascii=False, indent=2))
        archive.writestr("weights.csv", to_csv(document))
        archive.writestr("weight-set.json", json.dumps(document, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def _flatten(prefix: str, value, out: list) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    elif isinstance(value, list) and not all(isinstance(v, (int, float, str)) for v in value):
        out.append((prefix, json.dumps(value, ensure_ascii=False)))
    elif isinstance(value, list):
        out.append((prefix, ", ".join(str(v) for v in value)))
    else:
        out.append((prefix, value))


def to_xlsx(document: dict) -> bytes:
    """Sheet ``weights`` (the CSV's rows) and sheet ``method`` (method, panel, provenance)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "weights"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(document):
        append_row(sheet, row)
    for column in "FGHIJK":
        for cell in sheet[column][1:]:
            cell.number_format = "0.000000"
    sheet.column_dimensions["C"].width = 28
    sheet.column_dimensions["D"].width = 36
    sheet.freeze_panes = "A2"
    info = book.create_sheet("method")
    info.append(["key", "value"])
    for cell in info[1]:
        cell.font = Font(bold=True)
    pairs: list = []
    for key in ("schema", "study", "version", "label", "published_at", "checksum", "method", "panel",
                "provenance"):
        if key in document:
            _flatten(key, document[key], pairs)
    for key, value in pairs:
        if value is not None and not isinstance(value, (int, float, str, bool)):
            value = str(value)
        append_row(info, [key, value])
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
