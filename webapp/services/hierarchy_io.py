"""Read an indicator hierarchy from ``hierarchy/1`` JSON or CSV.

Parsing is separate from storing: a file is read and checked completely
into plain ``ParsedNode`` objects before anything touches the database, so
a malformed upload stores nothing. Every error names the line or the node.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _

from webapp.services import uploads

MAX_NODES = 2000
MAX_CODE = 40


class HierarchyError(ValueError):
    """A malformed hierarchy file; the message says where."""


@dataclass
class ParsedNode:
    code: str
    name_zh: str = ""
    name_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    children: list["ParsedNode"] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _text(value, where: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HierarchyError(_("%(where)s: %(what)s must be text.", where=where, what=what))
    return value.strip()


def _localised(value, where: str, what: str) -> tuple[str, str]:
    """``{"zh": ..., "en": ...}`` or a plain string (taken as both)."""
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value.strip(), value.strip()
    if not isinstance(value, dict):
        raise HierarchyError(_("%(where)s: %(what)s must be an object with zh and en.",
                               where=where, what=what))
    return _text(value.get("zh"), where, what + ".zh"), _text(value.get("en"), where, what + ".en")


def parse_json(raw: bytes | str) -> ParsedNode:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise HierarchyError(_("The file is not valid JSON (line %(line)s).", line=line or "?")) from exc
    if not isinstance(data, dict):
        raise HierarchyError(_("The file must contain one JSON object, the goal (root) indicator."))
    schema = data.get("schema")
    if schema is not None and schema != "hierarchy/1":
        raise HierarchyError(_("Unknown schema %(schema)s: expected hierarchy/1.", schema=str(schema)))
    return _json_node(data, "root")


def _json_node(data, path: str, depth: int = 0) -> ParsedNode:
    if depth > 10:
        raise HierarchyError(_("%(where)s: the hierarchy is deeper than 10 levels.", where=path))
    if not isinstance(data, dict):
        raise HierarchyError(_("%(where)s: each indicator must be a JSON object.", where=path))
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise HierarchyError(_("%(where)s: an indicator has no code.", where=path))
    code = code.strip()
    where = _("indicator %(code)s", code=code)
    name_zh, name_en = _localised(data.get("name"), where, "name")
    if not (name_zh or name_en):
        raise HierarchyError(_("%(where)s: the name is missing.", where=where))
    desc_zh, desc_en = _localised(data.get("description"), where, "description")
    children = data.get("children") or []
    if not isinstance(children, list):
        raise HierarchyError(_("%(where)s: children must be a list.", where=where))
    node = ParsedNode(code, name_zh, name_en, desc_zh, desc_en)
    node.children = [_json_node(child, f"{code}/{i + 1}", depth + 1) for i, child in enumerate(children)]
    return node


CSV_COLUMNS = ("code", "parent_code", "name_zh", "name_en", "description")


def parse_csv(raw: bytes | str) -> ParsedNode:
    """Columns: code, parent_code, name_zh, name_en, description (optional:
    description_zh, description_en). One row has no parent: the goal."""
    if isinstance(raw, bytes):
        try:
            raw = uploads.decode_text(raw)[0]  # UTF-8, else GBK/GB18030 (Excel on Chinese Windows)
        except uploads.UploadError as exc:
            raise HierarchyError(str(exc)) from exc
    reader = csv.DictReader(io.StringIO(raw))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("code", "parent_code") if c not in header]
    if missing:
        raise HierarchyError(_("The CSV header lacks the column(s): %(cols)s.", cols=", ".join(missing)))
    reader.fieldnames = header
    nodes: dict[str, ParsedNode] = {}
    parents: dict[str, tuple[str, int]] = {}
    order: list[str] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise HierarchyError(_("Line %(line)s has more cells than the header.", line=line))
        code = (row.get("code") or "").strip()
        if not code:
            raise HierarchyError(_("Line %(line)s: the code is empty.", line=line))
        if code in nodes:
            raise HierarchyError(_("Line %(line)s: the code %(code)s appears twice.", line=line, code=code))
        name_zh, name_en = (row.get("name_zh") or "").strip(), (row.get("name_en") or "").strip()
        if not (name_zh or name_en):
            raise HierarchyError(_("Line %(line)s: indicator %(code)s has no name.", line=line, code=code))
        description = (row.get("description") or "").strip()
        nodes[code] = ParsedNode(
            code, name_zh, name_en,
            (row.get("description_zh") or description).strip(),
            (row.get("description_en") or description).strip(),
        )
        parents[code] = ((row.get("parent_code") or "").strip(), line)
        order.append(code)
    roots = [c for c in order if not parents[c][0]]
    if len(roots) != 1:
        raise HierarchyError(_("The CSV must have exactly one row without a parent (the goal); "
                               "found %(n)s.", n=len(roots)))
    for code in order:
        parent, line = parents[code]
        if parent:
            if parent not in nodes:
                raise HierarchyError(_("Line %(line)s: the parent %(parent)s of %(code)s does not exist.",
                                       line=line, parent=parent, code=code))
            nodes[parent].children.append(nodes[code])
    root = nodes[roots[0]]
    reached = {n.code for n in root.walk()}
    if len(reached) != len(nodes):
        stray = next(c for c in order if c not in reached)
        raise HierarchyError(_("Line %(line)s: indicator %(code)s is part of a cycle.",
                               line=parents[stray][1], code=stray))
    return root


def validate_tree(root: ParsedNode) -> ParsedNode:
    seen: set[str] = set()
    count = 0
    for node in root.walk():
        count += 1
        if len(node.code) > MAX_CODE:
            raise HierarchyError(_("indicator %(code)s: the code is longer than %(n)s characters.",
                                   code=node.code[:50], n=MAX_CODE))
        if node.code in seen:
            raise HierarchyError(_("indicator %(code)s: the code appears twice.", code=node.code))
        seen.add(node.code)
    if count > MAX_NODES:
        raise HierarchyError(_("The hierarchy has more than %(n)s indicators.", n=MAX_NODES))
    if not root.children:
        raise HierarchyError(_("The goal %(code)s has no indicators below it.", code=root.code))
    return root


def parse_upload(filename: str, raw: bytes) -> ParsedNode:
    name = (filename or "").lower()
    if name.endswith(".json"):
        return validate_tree(parse_json(raw))
    if name.endswith(".csv"):
        return validate_tree(parse_csv(raw))
    if name.endswith(".xlsx"):
        try:
            text = uploads.table_text(filename, raw)
        except uploads.UploadError as exc:
            raise HierarchyError(str(exc)) from exc
        return validate_tree(parse_csv(text))  # the sheet has the CSV's columns
    raise HierarchyError(_("Upload a .json (hierarchy/1), .csv or .xlsx file."))


# --- export (set-up pages): the study's tree as hierarchy/1 JSON or CSV ------------------
# Both read back with parse_json / parse_csv into the same tree (codes, names,
# descriptions, order).

EXPORT_CSV_COLUMNS = ("code", "parent_code", "name_zh", "name_en", "description_zh", "description_en")


def _sorted_children(node) -> list:
    return sorted(node.children, key=lambda child: (child.position, child.id or 0))


def export_tree(node) -> dict:
    """A stored ``Node`` (and its subtree) as a ``hierarchy/1`` object."""
    out: dict = {"code": node.code, "name": {"zh": node.name_zh or "", "en": node.name_en or ""}}
    if node.description_zh or node.description_en:
        out["description"] = {"zh": node.description_zh or "", "en": node.description_en or ""}
    children = _sorted_children(node)
    if children:
        out["children"] = [export_tree(child) for child in children]
    return out


def export_json(root) -> str:
    data = {"schema": "hierarchy/1", **export_tree(root)}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def export_csv(root) -> str:
    """CSV text (the caller adds a BOM for Excel); parents always come before their children."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_CSV_COLUMNS)

    def write(node, parent_code: str) -> None:
        writer.writerow([node.code, parent_code, node.name_zh or "", node.name_en or "",
                         node.description_zh or "", node.description_en or ""])
        for child in _sorted_children(node):
            write(child, node.code)

    write(root, "")
    return buffer.getvalue()
