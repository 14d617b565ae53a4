"""Read an indicator hierarchy from ``hierarchy/1`` JSON or CSV.

Parsing is separate from storing: a file is read and checked completely
into plain ``ParsedNode`` objects before anything touches the database, so
a malformed upload stores nothing. Every error names the line or the node.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from importlib import resources

from flask_babel import gettext as _

from webapp.services import spreadsheet, uploads
from webapp.services.inputs import JsonInputError, clean_line, clean_text, loads_json

MAX_NODES = 2000
MAX_CODE = 40
MAX_DEPTH = 10  # levels below the goal
MAX_NAME = 300
MAX_DESCRIPTION = 5000
_CODE_OK = re.compile(r"^\S+$")


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
        """Every node of the subtree, parents first (no recursion: any depth is safe)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


# --- the rules every indicator obeys, imported or edited (hierarchy_edit uses them too) ----

def check_code(code: str) -> str:
    """The code, stripped; refused when empty, too long or with spaces."""
    code = clean_line(code or "").strip()
    if not code:
        raise HierarchyError(_("Every indicator needs a code."))
    if len(code) > MAX_CODE:
        raise HierarchyError(_("The code %(code)s is longer than %(n)s characters.", code=code[:50], n=MAX_CODE))
    if not _CODE_OK.match(code):
        raise HierarchyError(_("The code %(code)s contains spaces; use e.g. A1.2.", code=code))
    return code


def check_names(code: str, name_zh: str, name_en: str) -> None:
    if not (name_zh or name_en):
        raise HierarchyError(_("Indicator %(code)s needs a name (Chinese, English or both).", code=code))
    if len(name_zh) > MAX_NAME or len(name_en) > MAX_NAME:
        raise HierarchyError(_("Indicator %(code)s: a name may have at most 300 characters.", code=code))


def check_descriptions(code: str, description_zh: str, description_en: str) -> None:
    if len(description_zh) > MAX_DESCRIPTION or len(description_en) > MAX_DESCRIPTION:
        raise HierarchyError(_("Indicator %(code)s: a description may have at most %(n)s characters.",
                               code=code, n=MAX_DESCRIPTION))


def check_node(node: "ParsedNode") -> None:
    """The editor's rules for one imported node (code, names, descriptions)."""
    node.code = check_code(node.code)
    check_names(node.code, node.name_zh, node.name_en)
    check_descriptions(node.code, node.description_zh, node.description_en)


def _text(value, where: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HierarchyError(_("%(where)s: %(what)s must be text.", where=where, what=what))
    return clean_text(value).strip()


def _localised(value, where: str, what: str) -> tuple[str, str]:
    """``{"zh": ..., "en": ...}`` or a plain string (taken as both)."""
    if value is None:
        return "", ""
    if isinstance(value, str):
        value = clean_text(value).strip()
        return value, value
    if not isinstance(value, dict):
        raise HierarchyError(_("%(where)s: %(what)s must be an object with zh and en.",
                               where=where, what=what))
    return _text(value.get("zh"), where, what + ".zh"), _text(value.get("en"), where, what + ".en")


def parse_json(raw: bytes | str) -> ParsedNode:
    try:
        # Deep enough for MAX_DEPTH levels (two JSON levels each, plus names); the
        # tree walk below then names the indicator that goes too deep.
        data = loads_json(raw, max_depth=4 * (MAX_DEPTH + 2))
    except JsonInputError as exc:
        raise HierarchyError(str(exc)) from exc
    if not isinstance(data, dict):
        raise HierarchyError(_("The file must contain one JSON object, the goal (root) indicator."))
    schema = data.get("schema")
    if schema is not None and schema != "hierarchy/1":
        raise HierarchyError(_("Unknown schema %(schema)s: expected hierarchy/1.", schema=str(schema)))
    return _json_node(data, "root")


def _json_node(data, path: str, depth: int = 0) -> ParsedNode:
    if depth > MAX_DEPTH:
        raise HierarchyError(_("%(where)s: the hierarchy is deeper than 10 levels.", where=path))
    if not isinstance(data, dict):
        raise HierarchyError(_("%(where)s: each indicator must be a JSON object.", where=path))
    code = data.get("code")
    if not isinstance(code, str) or not clean_line(code).strip():
        raise HierarchyError(_("%(where)s: an indicator has no code.", where=path))
    code = clean_line(code).strip()
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
# The csv module's default field limit, checked here too: a library may raise the module's
# global limit (frictionless does on import), and the import must refuse the same cells anyway.
MAX_CELL_CHARS = 131_072


def parse_csv(raw: bytes | str) -> ParsedNode:
    """Columns: code, parent_code, name_zh, name_en, description (optional:
    description_zh, description_en). One row has no parent: the goal."""
    if isinstance(raw, bytes):
        try:
            raw = uploads.decode_text(raw)[0]  # UTF-8, else GBK/GB18030 (Excel on Chinese Windows)
        except uploads.UploadError as exc:
            raise HierarchyError(str(exc)) from exc
    try:
        return _parse_csv_text(clean_text(raw))
    except csv.Error as exc:  # e.g. a cell over the csv module's field limit
        raise HierarchyError(_("The CSV file cannot be read: %(reason)s", reason=str(exc)[:200])) from exc


def _cell(row: dict, key: str) -> str:
    """A cell as text: cleaned, and a formula guard from our own export removed."""
    return spreadsheet.unescape_cell((row.get(key) or "").strip())


def _parse_csv_text(raw: str) -> ParsedNode:
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
        if any(len(value) > MAX_CELL_CHARS for value in row.values() if value):
            raise HierarchyError(_("The CSV file cannot be read: %(reason)s",
                                   reason=f"line {line}: a cell is longer than {MAX_CELL_CHARS} characters"))
        code = clean_line(_cell(row, "code"))
        if not code:
            raise HierarchyError(_("Line %(line)s: the code is empty.", line=line))
        if code in nodes:
            raise HierarchyError(_("Line %(line)s: the code %(code)s appears twice.", line=line, code=code))
        name_zh, name_en = _cell(row, "name_zh"), _cell(row, "name_en")
        if not (name_zh or name_en):
            raise HierarchyError(_("Line %(line)s: indicator %(code)s has no name.", line=line, code=code))
        description = _cell(row, "description")
        nodes[code] = ParsedNode(
            code, name_zh, name_en,
            _cell(row, "description_zh") or description,
            _cell(row, "description_en") or description,
        )
        parents[code] = (clean_line(_cell(row, "parent_code")), line)
        if len(nodes) > MAX_NODES:
            raise HierarchyError(_("The hierarchy has more than %(n)s indicators.", n=MAX_NODES))
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
    reached = set()
    stack = [(root, 0)]
    while stack:  # depth-first without recursion: a 1,500-level chain is refused, not a crash
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise HierarchyError(_("%(where)s: the hierarchy is deeper than 10 levels.",
                                   where=_("indicator %(code)s", code=node.code)))
        reached.add(node.code)
        stack.extend((child, depth + 1) for child in node.children)
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
        if count > MAX_NODES:
            break
        check_node(node)
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
        writer.writerow([spreadsheet.safe_cell(v) for v in (
            node.code, parent_code, node.name_zh or "", node.name_en or "",
            node.description_zh or "", node.description_en or "")])
        for child in _sorted_children(node):
            write(child, node.code)

    write(root, "")
    return buffer.getvalue()


def seed_hierarchy_bytes() -> bytes:
    """The seed standard's indicator system (``webapp/data/seed-indicators.json``, hierarchy/1)."""
    return resources.files("webapp").joinpath("data/seed-indicators.json").read_bytes()
