"""Exports of a G1 or BWM round: the answers (long), individual local weights (with BWM's
consistency ratio) and the group weights per block. CSV (UTF-8 with BOM, every text cell
escaped by ``spreadsheet``) and one XLSX. Pure formatting of an analysis already made.
"""
from __future__ import annotations

import io

import numpy as np
from flask_babel import gettext as _
from openpyxl import Workbook

from webapp.services import spreadsheet
from webapp.services.g1bwm_analysis import G1BWMAnalysis

TABLES = ("answers", "individual", "weights")


def table_titles() -> dict:
    return {"answers": _("Answers"), "individual": _("Individual weights"), "weights": _("Group weights")}


def _answers(a: G1BWMAnalysis):
    if a.method == "g1":
        header = [_("Expert number"), _("Block"), _("Place"), _("Indicator"), _("Ratio to the next")]
        rows = [[p, parent, k + 1, c, ans["ratios"][k] if k < len(ans["ratios"]) else None]
                for parent, r in a.blocks.items() for p, ans in zip(r.pseudonyms, r.answers)
                for k, c in enumerate(ans["order"])]
        return header, rows
    header = [_("Expert number"), _("Block"), _("Indicator"), _("Role"), _("Best over it"), _("It over the worst")]
    rows = []
    for parent, r in a.blocks.items():
        for p, ans in zip(r.pseudonyms, r.answers):
            for c in r.children:
                role = _("best") if c == ans["best"] else _("worst") if c == ans["worst"] else ""
                bo = 1 if c == ans["best"] else ans["best_to_others"][c]
                ow = 1 if c == ans["worst"] else ans["best_to_others"][ans["worst"]] if c == ans["best"] \
                    else ans["others_to_worst"][c]
                rows.append([p, parent, c, role, bo, ow])
    return header, rows


def _individual(a: G1BWMAnalysis):
    header = [_("Expert number"), _("Block"), _("Indicator"), _("Weight")]
    if a.method == "bwm":
        header += [_("Consistency ratio"), _("Limit"), _("Consistent")]
    rows = []
    for parent, r in a.blocks.items():
        for k, p in enumerate(r.pseudonyms):
            for i, c in enumerate(r.children):
                row = [p, parent, c, float(r.individual[k, i])]
                if a.method == "bwm":
                    row += [float(r.cr[k]), float(r.threshold[k]), int(bool(r.acceptable[k]))]
                rows.append(row)
    return header, rows


def _weights(a: G1BWMAnalysis):
    header = [_("Block"), _("Indicator"), _("Group weight"), _("Lowest"), _("Median"), _("Highest"), _("Experts")]
    rows = []
    for parent, r in a.blocks.items():
        for i, c in enumerate(r.children):
            ind = r.individual[:, i]
            rows.append([parent, c, None if r.group is None else float(r.group[i]),
                         *([float(np.min(ind)), float(np.median(ind)), float(np.max(ind))] if len(ind) else [None] * 3),
                         len(r.pseudonyms)])
    return header, rows


def table(name: str, analysis: G1BWMAnalysis):
    return globals()[f"_{name}"](analysis)


def csv_export(name: str, analysis: G1BWMAnalysis) -> bytes:
    return spreadsheet.csv_bytes(*table(name, analysis))


def xlsx_export(analysis: G1BWMAnalysis) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name in TABLES:
        sheet = book.create_sheet(table_titles()[name][:31])
        header, rows = table(name, analysis)
        spreadsheet.append_row(sheet, header)
        for row in rows:
            spreadsheet.append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
