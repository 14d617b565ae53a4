"""The dashboard's tables as CSV and XLSX, and the labels the dashboard shares with them.

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
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote

from flask_babel import gettext as _

from webapp.presentation import (
    decision_label,
    failed_text,
    familiarity_label,
    panel_status_label,
    settings_lines,
    status_label,
    table_title,
    w_basis,
)
from webapp.services import groups, spreadsheet
from webapp.templating import current_locale

TABLES = ("items", "ratings", "rounds", "authority", "response", "panel", "comments", "groups")
XLSX_TABLES = ("ratings", "items", "rounds", "authority", "response", "comments", "groups")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- tables ----------------------------------------------------------------------------------

# kinds: text, int, num (2 decimals shown), num3, share (%), p, flag (1/0), time (UTC)
@dataclass
class Column:
    header: str
    kind: str = "text"


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]


def _num(value):
    """A plain Python number or None (NaN and numpy scalars included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _flag(value):
    return None if value is None else int(bool(value))


def _time(value):
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _locale(locale: str | None) -> str:
    return locale or current_locale()


def build_table(name: str, dashboard, locale: str | None = None) -> Table:
    """One of :data:`TABLES` as a header and rows of plain Python values."""
    if name not in TABLES:
        raise KeyError(name)
    return _BUILDERS[name](dashboard, _locale(locale))


_STAT_COLUMNS = (
    ("n", "int"), ("mean", "num"), ("sd", "num"), ("cv", "num3"), ("median", "num"), ("q1", "num"),
    ("q3", "num"), ("iqr", "num"), ("agreement", "share"), ("full_score", "share"),
)


def _stat_columns(agree_at) -> list[Column]:
    headers = {
        "n": _("n"), "mean": _("Mean"), "sd": _("SD"), "cv": _("CV"), "median": _("Median"),
        "q1": _("Q1"), "q3": _("Q3"), "iqr": _("IQR"),
        "agreement": _("Agreement (share ≥ %(cut)s)", cut=f"{agree_at:g}"),
        "full_score": _("Full-score frequency"),
    }
    return [Column(headers[key], kind) for key, kind in _STAT_COLUMNS]


def _items(dashboard, locale) -> Table:
    report = dashboard.report
    stat_columns = _stat_columns(report.agree_at)
    columns = [Column(_("Code")), Column(_("Indicator")), stat_columns[0], Column(_("No opinion"), "int"),
               *stat_columns[1:],
               Column(_("Consensus (1 = yes)"), "flag"), Column(_("Criteria not met")),
               Column(_("Changed since last round (share)"), "share"), Column(_("CV change"), "num3"),
               Column(_("Wilcoxon p"), "p"), Column(_("Stable (1 = yes)"), "flag"),
               Column(_("Experts in both rounds"), "int"), Column(_("Decision"))]
    table = Table("items", table_title("items"), columns)
    has_stats = report.item_statistics is not None
    for item in report.items:
        s, st = item.stats, item.stability or {}
        stats = [_num(s.get(key)) for key, _kind in _STAT_COLUMNS]
        table.rows.append([
            item.node.code, item.name(locale), stats[0], item.no_opinion, *stats[1:],
            _flag(item.consensus) if has_stats else None,
            failed_text(item.failed),
            _num(st.get("changed")), _num(st.get("cv_change")), _num(st.get("p")),
            _flag(st.get("stable")) if item.stability else None, _num(st.get("n_paired")),
            decision_label(item.decision),
        ])
    return table


def _ratings(dashboard, locale) -> Table:
    matrix = dashboard.report.matrix
    columns = [Column(_("Expert number")), Column(_("Stakeholder group"))]
    columns += [Column(node.code, "int") for node in matrix.nodes]
    table = Table("ratings", table_title("ratings"), columns)
    for i, expert in enumerate(matrix.experts):
        table.rows.append([expert.pseudonym, _group(dashboard, expert),
                           *(None if math.isnan(v) else int(v) for v in matrix.ratings[i])])
    return table


def _group(dashboard, expert) -> str:
    """The expert's stakeholder group, named as the study names it in the page language."""
    return dashboard.group_names.get(groups.key_of(expert), "")


def _rounds(dashboard, locale) -> Table:
    columns = [Column(_("Round"), "int"), Column(_("Status")), Column(_("Invited"), "int"),
               Column(_("Answered (submitted)"), "int"), Column(_("Response rate (positive coefficient)"), "share"),
               Column(_("Drafts not submitted"), "int"), Column(_("Number of indicators"), "int"),
               Column(_("Kendall's W (tie-corrected)"), "num3"), Column(_("Kendall's W (uncorrected)"), "num3"),
               Column("χ²", "num"), Column(_("df"), "int"), Column("p", "p"),
               Column(_("Experts used for W"), "int"),
               Column(_("W with missing ranks at the mid-rank (uncorrected)"), "num3"),
               Column(_("Indicators with consensus"), "int"),
               Column(_("Consensus share"), "share"), Column(_("Mean authority Cr"), "num3")]
    table = Table("rounds", table_title("rounds"), columns)
    for past in dashboard.history:
        w = past.concordance
        table.rows.append([
            past.round.number, status_label(past.round.status.value), past.invited, past.answered,
            _num(past.response_rate) if past.invited else None, past.drafts, len(past.items),
            _num(w.w_corrected) if w else None, _num(w.w_uncorrected) if w else None,
            _num(w.chi2) if w else None, _num(w.df) if w else None, _num(w.p) if w else None,
            _num(w.m_used) if w else None,
            _num(past.concordance_midrank.w) if past.concordance_midrank is not None else None,
            past.consensus.n_reached if past.consensus is not None else None,
            _num(past.consensus_share), _num(past.authority.mean) if past.authority else None,
        ])
    return table


def _authority(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Stakeholder group")), Column(_("Familiarity")),
               Column(_("Judgment basis Ca"), "num"), Column(_("Familiarity Cs"), "num"),
               Column(_("Authority Cr"), "num3"), Column(_("Cr ≥ %(t)s (1 = yes)", t="0.7"), "flag")]
    result = dashboard.report.authority
    if result is not None:
        columns[-1] = Column(_("Cr ≥ %(t)s (1 = yes)", t=f"{result.threshold:g}"), "flag")
    table = Table("authority", table_title("authority"), columns)
    for row in dashboard.authority_rows:
        expert = row.expert
        table.rows.append([
            expert.pseudonym, _group(dashboard, expert),
            familiarity_label(expert.familiarity), _num(row.ca), _num(row.cs), _num(row.cr), _flag(row.acceptable)])
    return table


def _response(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Stakeholder group")), Column(_("Status")),
               Column(_("Indicators answered"), "int"), Column(_("Number of indicators"), "int"),
               Column(_("Submitted at (UTC)"), "time"), Column(_("Last saved (UTC)"), "time"),
               Column(_("Counted as invited (1 = yes)"), "flag")]
    table = Table("response", table_title("response"), columns)
    total = len(dashboard.report.items)
    for member in dashboard.panel:
        expert = member.expert
        table.rows.append([
            expert.pseudonym, _group(dashboard, expert),
            panel_status_label(member.status), member.answered_items, total, _time(member.submitted_at),
            _time(member.saved_at), _flag(member.counted)])
    return table


def _panel(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Name")), Column(_("E-mail")), Column(_("Organisation")),
               Column(_("Stakeholder group")), Column(_("Status")), Column(_("Indicators answered"), "int"),
               Column(_("Number of indicators"), "int"), Column(_("Submitted at (UTC)"), "time"),
               Column(_("Last saved (UTC)"), "time"), Column(_("Last seen (UTC)"), "time"),
               Column(_("Link revoked (1 = yes)"), "flag")]
    table = Table("panel", table_title("panel"), columns)
    total = len(dashboard.report.items)
    for member in dashboard.panel:
        expert = member.expert
        table.rows.append([
            expert.pseudonym, expert.name, expert.email or "", expert.organisation,
            _group(dashboard, expert),
            panel_status_label(member.status), member.answered_items, total, _time(member.submitted_at),
            _time(member.saved_at), _time(expert.last_seen_at), _flag(expert.is_revoked)])
    return table


def _comments(dashboard, locale) -> Table:
    columns = [Column(_("Code")), Column(_("Indicator")), Column(_("Expert number")), Column(_("Kind")),
               Column(_("Rating"), "int"), Column(_("Text"))]
    table = Table("comments", table_title("comments"), columns)
    matrix = dashboard.report.matrix
    values = {(e.pseudonym, node.id): matrix.ratings[i, j]
              for i, e in enumerate(matrix.experts) for j, node in enumerate(matrix.nodes)}
    for item in dashboard.report.items:
        node = item.node
        for pseudonym, text in item.comments_by:
            table.rows.append([node.code, item.name(locale), pseudonym, _("Comment"),
                               _rating(values.get((pseudonym, node.id))), text])
        for reason in dashboard.reasons.get(node.id, []):
            table.rows.append([node.code, item.name(locale), reason.pseudonym, _("Reason outside the IQR"),
                               reason.value, reason.text])
    return table


def _rating(value):
    return None if value is None or math.isnan(value) else int(value)


def _groups(dashboard, locale) -> Table:
    report = dashboard.report
    columns = [Column(_("Stakeholder group")), Column(_("Code")), Column(_("Indicator")),
               *_stat_columns(report.agree_at), Column(_("Consensus (1 = yes)"), "flag")]
    table = Table("groups", table_title("groups"), columns)
    for key, view in dashboard.groups.items():
        for item in view.items:
            table.rows.append([dashboard.group_names.get(key, key), item.node.code, item.name(locale),
                               *(_num(item.stats.get(k)) for k, _kind in _STAT_COLUMNS),
                               None if view.consensus_error else _flag(item.consensus)])
    return table


_BUILDERS = {
    "items": _items, "ratings": _ratings, "rounds": _rounds, "authority": _authority,
    "response": _response, "panel": _panel, "comments": _comments, "groups": _groups,
}


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

    locale = _locale(locale)
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
