"""Uploaded tables (hierarchy and panel): CSV in UTF-8 or GBK/GB18030, and .xlsx.

Encoding: what Excel writes on a Chinese Windows is either "CSV UTF-8" (with a BOM)
or plain "CSV", which is the ANSI code page 936 (GBK). The file is decoded as
UTF-8 *strictly* first: UTF-8's byte patterns are so specific that GBK text with
Chinese characters practically never decodes as valid UTF-8 (the multi-byte lead
and continuation ranges rarely line up), so a strict success is a reliable
detection. Otherwise GB18030 (the superset of GBK and GB2312), strictly again; a
file that is neither is refused with a message naming both. This needs no
statistical detector (charset-normalizer guesses from letter frequencies and can
mistake short Chinese lists for other CJK code pages); the two candidates are the
only ones Chinese Excel produces. UTF-16 with a BOM ("Unicode text") is accepted too.

.xlsx: the first worksheet, through openpyxl (already used for exports), read-only
with cached values (no formulas are evaluated); numbers that are whole become
integers ("12", not "12.0"); empty trailing rows are dropped.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile

from flask_babel import gettext as _

MAX_ROWS = 5000
MAX_COLUMNS = 50


class UploadError(ValueError):
    """An upload that cannot be read; the message is shown."""


def decode_text(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) of an uploaded text/CSV file."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    raise UploadError(_("The file is neither UTF-8 nor GBK/GB18030 text. In Excel, save it as “CSV UTF-8” "
                        "or as .xlsx."))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def xlsx_rows(raw: bytes) -> list[list[str]]:
    """The first worksheet's rows as text."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UploadError(_("The .xlsx file cannot be read: %(reason)s", reason=str(exc)[:200])) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= MAX_ROWS:
                raise UploadError(_("The sheet has more than %(n)s rows.", n=MAX_ROWS))
            rows.append([_cell_text(value) for value in row[:MAX_COLUMNS]])
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    for row in rows:
        while row and not row[-1]:
            row.pop()
    return rows


def rows_to_csv(rows: list[list[str]], *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def is_xlsx(filename: str | None, raw: bytes) -> bool:
    return (filename or "").lower().endswith(".xlsx") or raw[:4] == b"PK\x03\x04"


def table_text(filename: str | None, raw: bytes, *, delimiter: str = ",") -> str:
    """An uploaded table as CSV text: .xlsx converted, text files decoded (see above)."""
    if is_xlsx(filename, raw):
        return rows_to_csv(xlsx_rows(raw), delimiter=delimiter)
    return decode_text(raw)[0]
