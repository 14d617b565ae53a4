"""The dashboard's tables (built by ``export_tables``) as CSV and XLSX files, and their file names.

Pure formatting: everything comes in as a :class:`~webapp.services.dashboard.RoundDashboard`
(built by ``dashboard.round_dashboard``); nothing here queries the database.

- Column headings and sheet names follow the page language (English or Chinese, the
  glossary's terms); indicator codes and pseudonyms are language-neutral.
- Numbers stay numbers: counts are integers, statistics are floats at full precision
  (the XLSX only formats them), shares are fractions 0–1 (formatted as % in XLSX), yes/no
  are 1/0, a missing value is an empty cell. "No opinion" is an empty rating.
- CSV is UTF-8 with a byte-order mark so that Excel shows Chinese, comma-separated, CRLF.
- The XLSX is pseudonymous: contact details are only in the separate ``panel`` CSV.
"""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote

from flask_babel import gettext as _

from webapp.presentation import settings_lines, status_label, table_title, w_basis
from webapp.services import spreadsheet
from webapp.services.export_tables import TABLES, Column, Table, build_table, locale_or_page

__all__ = ["TABLES", "XLSX_TABLES", "CSV_MIMETYPE", "XLSX_MIMETYPE", "Column", "Table", "build_table", "to_csv",
           "csv_export", "xlsx_export", "download_names", "content_disposition"]

XLSX_TABLES = ("ratings", "items", "rounds", "authority", "response", "comments", "groups")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- CSV -----------------------------------------------------------------------------------------

def _csv_cell(value, kind: str):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        # Excel's precision (0.9, not 0.8999999999999999), kept a number: as a string, a negative
        # value would be escaped as text by the formula guard ("'-0.09").
        return Decimal(f"{value:.15g}")
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM (Excel then shows Chinese), comma-separated, CRLF line ends."""
    rows = ([_csv_cell(v, c.kind) for v, c in zip(row, table.columns)] for row in table.rows)
    return spreadsheet.csv_bytes(table.header, rows)


def csv_export(name: str, dashboard, locale: str | None = None) -> bytes:
    return to_csv(build_table(name, dashboard, locale))


# --- XLSX -------------------------------------------------------------------------------------------

_FORMATS = {"int": "0", "num": "0.00", "num3": "0.000", "share": "0.0%", "p": "0.0000", "flag": "0",
            "time": "yyyy-mm-dd hh:mm"}
_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")


def _notes(dashboard, locale) -> list[tuple[str, str]]:
    """The notes sheet: what was analysed and how, with the round's own (frozen) settings."""
    report, rnd = dashboard.report, dashboard.report.round
    w = report.concordance
    notes = [
        (_("Study"), rnd.study.title),
        (_("Round"), str(rnd.number)),
        (_("Status"), status_label(rnd.status.value)),
        (_("Exported (UTC)"), datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")),
        (_("Kendall's W"), (w_basis(w, report.answered) if w is not None else "–")
         + ("; " + _("fewer than %(share)s of respondents", share="70%") if report.w_few else "")),
    ]
    notes += settings_lines(report)
    notes += [
        (_("Full-score frequency"), _("Share of ratings equal to the scale maximum %(max)s.", max=rnd.scale_max)),
        (_("Missing values"), _("An empty rating is a “no opinion” answer; drafts that were not submitted "
                                "are not counted.")),
        (_("Headings"), _("Headings are in the language of the page the file was downloaded from.")),
        (_("Contact details"), _("Not in this workbook: download the panel CSV from the dashboard.")),
    ]
    return notes


def _sheet_title(title: str, used: set[str]) -> str:
    title = _INVALID_SHEET.sub(" ", title).strip()[:31] or "Sheet"
    base, k = title, 2
    while title in used:
        suffix = f" ({k})"
        title, k = base[:31 - len(suffix)] + suffix, k + 1
    used.add(title)
    return title


def xlsx_export(dashboard, locale: str | None = None) -> bytes:
    """One workbook: the pseudonymous tables (see :data:`XLSX_TABLES`) and a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    locale = locale_or_page(locale)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF4")
    for name in XLSX_TABLES:
        table = build_table(name, dashboard, locale)
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        spreadsheet.append_row(sheet, table.header)
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            spreadsheet.append_row(sheet, row)
        for col, column in enumerate(table.columns, start=1):
            letter = get_column_letter(col)
            number_format = _FORMATS.get(column.kind)
            if number_format:
                for cell in sheet[letter][1:]:
                    cell.number_format = number_format
            width = max([len(str(column.header))] + [len(str(r[col - 1])) for r in table.rows[:200]
                                                     if r[col - 1] is not None and column.kind == "text"])
            sheet.column_dimensions[letter].width = min(max(8, width * (1.6 if locale == "zh" else 1.1)), 48)
        sheet.freeze_panes = "C2" if name in ("ratings", "items", "comments") else "B2"
    notes = workbook.create_sheet(_sheet_title(table_title("notes"), used))
    for key, value in _notes(dashboard, locale):
        spreadsheet.append_row(notes, [key, value])
        notes.cell(notes.max_row, 1).font = bold
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 24, 100
    workbook.properties.creator = "Concordia"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- file names ------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def download_names(dashboard, what: str, ext: str) -> tuple[str, str]:
    """(ASCII fallback, Unicode name) for Content-Disposition, e.g. study 3, round 1, items."""
    rnd = dashboard.report.round
    ascii_name = f"concordia-study{rnd.study_id}-round{rnd.number}-{what}.{ext}"
    title = _UNSAFE.sub(" ", unicodedata.normalize("NFC", rnd.study.title)).strip()
    title = re.sub(r"\s+", " ", title)[:40].strip(" .") or "Concordia"
    label = table_title(what) if what in TABLES else _("All tables")
    unicode_name = _("%(study)s – round %(n)s – %(table)s", study=title, n=rnd.number, table=label)
    unicode_name = _UNSAFE.sub(" ", unicode_name) + f".{ext}"
    return ascii_name, unicode_name


def content_disposition(ascii_name: str, unicode_name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266 / 5987)."""
    safe = ascii_name.encode("ascii", "ignore").decode().replace('"', "")
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(unicode_name, safe='')}"
