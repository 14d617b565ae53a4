"""Exports of an AHP round: judgments (long), individual priorities and CRs, group results
per block and global, and ahpsurvey's respondent-per-row sheet. CSV (UTF-8 with BOM) and
one XLSX. Pure formatting of an analysis already made; every text cell is escaped.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from webapp.services.ahp_analysis import RoundAnalysis, pair_index
from webapp.services import spreadsheet
from webapp.services.spreadsheet import safe_cell  # the one escaping helper

TABLES = ("judgments", "individual", "blocks", "weights", "ahpsurvey")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    name: str
    title: str
    header: list
    rows: list


def table_titles() -> dict:
    return {"judgments": _("Judgments"), "individual": _("Individual priorities"),
            "blocks": _("Blocks"), "weights": _("Group weights"), "ahpsurvey": _("ahpsurvey wide")}


def _n(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def build_table(name: str, analysis: RoundAnalysis) -> Table:
    title = table_titles()[name]
    return Table(name, title, *globals()[f"_{name}"](analysis))


def _judgments(a: RoundAnalysis):
    header = [_("Expert number"), _("Block"), _("Row indicator"), _("Column indicator"), _("Value (signed)"),
              _("a_ij")]
    rows = []
    for parent, r in a.blocks.items():
        pairs = pair_index(len(r.children))
        for k, p in enumerate(a.pseudonyms):
            for m, (i, j) in enumerate(pairs):
                v = r.values[k, m]
                if math.isnan(v):
                    continue
                rows.append([p, parent, r.children[i], r.children[j], int(v), v if v > 0 else 1 / -v])
    return header, rows


def _individual(a: RoundAnalysis):
    header = [_("Expert number"), _("Block"), _("Indicator"), _("Priority"), "CR", "GCI", _("Consistent"),
              _("In the group result"), _("Completed (Harker)")]
    rows = []
    for parent, r in a.blocks.items():
        for k, p in enumerate(a.pseudonyms):
            if not r.answered[k]:
                continue
            for i, code in enumerate(r.children):
                rows.append([p, parent, code, _n(r.individual[k, i]), _n(r.cr[k]), _n(r.gci[k]),
                             int(bool(r.consistent[k])), int(bool(r.included[k])), int(bool(r.completed[k]))])
    return header, rows


def _blocks(a: RoundAnalysis):
    header = [_("Block"), _("Indicators"), _("Experts answered"), _("Experts in the group result"),
              _("Inconsistent experts"), _("Aggregated CR"), _("Aggregated GCI"), "S*", _("Consensus")]
    rows = [[parent, len(r.children), int(r.answered.sum()), int(r.included.sum()),
             int((r.answered & ~r.consistent).sum()), _n(r.aij_cr), _n(r.aij_gci), _n(r.s_star), r.wording]
            for parent, r in a.blocks.items()]
    return header, rows


def _weights(a: RoundAnalysis):
    header = [_("Block"), _("Indicator"), _("Local weight (AIJ)"), _("Local weight (AIP)"),
              _("Global weight (AIJ)"), _("Global weight (AIP)"), _("Geometric SD"),
              _("Interval low"), _("Interval high")]
    rows = []
    intervals = a.bootstrap.intervals if a.bootstrap is not None else {}
    for parent, r in a.blocks.items():
        for i, code in enumerate(r.children):
            lo, hi = intervals.get(code, (None, None))
            rows.append([parent, code, _n(a.local_aij.get(code)), _n(a.local_aip.get(code)),
                         _n(a.global_aij.get(code)), _n(a.global_aip.get(code)),
                         _n(r.geo_sd[i]) if r.geo_sd is not None else None, _n(lo), _n(hi)])
    return header, rows


def _ahpsurvey(a: RoundAnalysis):
    """One row per expert, one column ``A_B`` per pair (atts in block order); positive k:
    the left indicator k times as important, negative: the right one -- ahpsurvey's
    ``ahp.mat(df, atts, negconvert = FALSE)`` convention."""
    header = ["respondent"]
    cols = []
    for parent, r in a.blocks.items():
        for m, (i, j) in enumerate(pair_index(len(r.children))):
            header.append(f"{r.children[i]}_{r.children[j]}")
            cols.append((r, m))
    rows = []
    for k, p in enumerate(a.pseudonyms):
        row = [p]
        for r, m in cols:
            v = r.values[k, m]
            row.append(None if math.isnan(v) else int(v))
        rows.append(row)
    return header, rows


def _csv_number(value):
    """A float written with 15 significant digits and kept a number (a negative value as text
    would be escaped by the formula guard); NaN and infinities as Python writes them."""
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(f"{value:.15g}")
    return value


def csv_export(name: str, analysis: RoundAnalysis) -> bytes:
    """UTF-8 with BOM (Excel then shows Chinese), comma-separated, CRLF line ends
    (:func:`webapp.services.spreadsheet.csv_bytes`, which escapes every text cell)."""
    table = build_table(name, analysis)
    return spreadsheet.csv_bytes(table.header, ([_csv_number(v) for v in row] for row in table.rows))


def xlsx_export(analysis: RoundAnalysis, notes: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in TABLES:
        table = build_table(name, analysis)
        sheet = workbook.create_sheet(table.title[:31])
        sheet.append([safe_cell(h) for h in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([safe_cell(v) for v in row])
        sheet.freeze_panes = "B2"
    sheet = workbook.create_sheet(_("Notes")[:31])
    for key, value in notes:
        sheet.append([safe_cell(key), safe_cell(value)])
    workbook.properties.creator = "Concordia"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
