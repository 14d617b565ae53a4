"""The study report as DOCX (python-docx), from the same ``StudyReport`` as the HTML and PDF.

Chinese text uses an East Asian font (Noto Sans CJK SC, falling back in Word to the system's);
the chart is a table of bars, since Word documents take raster images only.
"""
from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

FONT = "Noto Sans CJK SC"


def _plain(html: Markup | str) -> list[str]:
    """Paragraphs of sanitised HTML as text (conclusions, description)."""
    text = re.sub(r"</(p|li|h\d)>", "\n", str(html))
    text = re.sub(r"<li>", "• ", text)
    text = re.sub(r"<[^>]+>", "", text)
    from html import unescape

    return [line.strip() for line in unescape(text).splitlines() if line.strip()]


def _fonts(document) -> None:
    for style in document.styles:
        if style.type == 1 and style.font is not None:  # paragraph styles
            style.font.name = FONT
            rpr = style.element.get_or_add_rPr()
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is None:
                fonts = rpr.makeelement(qn("w:rFonts"), {})
                rpr.append(fonts)
            fonts.set(qn("w:eastAsia"), FONT)
    document.styles["Normal"].font.size = Pt(10.5)


def _table(document, header: list[str], rows: list[list], numeric_from: int = 1):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row)):
            cell.text = "–" if value is None else str(value)
            if i >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table


def _f(value, digits: int = 3, pct: bool = False) -> str | None:
    if value is None:
        return None
    return f"{100 * value:.1f}%" if pct else f"{value:.{digits}f}"


def render_docx(report) -> bytes:
    with force_locale(report.locale):
        return _render(report)


def _render(r) -> bytes:
    document = Document()
    _fonts(document)
    document.add_paragraph(_("Expert consultation report")).runs[0].font.color.rgb = RGBColor(0x6B, 0x7A, 0x89)
    document.add_heading(r.study.title, level=0)
    meta = _("Coordinator: %(name)s", name=r.coordinator)
    if r.weight_set is not None:
        meta += " · " + _("Weight set v%(v)s, published %(date)s", v=r.weight_set.version,
                          date=r.weight_set.published_at.strftime("%Y-%m-%d %H:%M UTC"))
    document.add_paragraph(meta)

    document.add_heading("1 " + _("Objective and content"), level=1)
    for line in _plain(r.description) or [_("No description was given.")]:
        document.add_paragraph(line)

    document.add_heading("2 " + _("The expert panel"), level=1)
    document.add_paragraph(_("%(invited)s experts were invited; %(answered)s returned at least one questionnaire.",
                             invited=r.invited, answered=r.answered_any))
    for label, counts in r.makeup:
        document.add_paragraph(label).runs[0].bold = True
        _table(document, [_("Category"), _("Experts"), "%"],
               [[c, n, f"{100 * n / (r.invited or 1):.1f}"] for c, n in counts])

    document.add_heading("3 " + _("Rounds and their statistics"), level=1)
    if r.round_zero is not None:
        document.add_heading(_("Round 0: open proposals"), level=2)
        document.add_paragraph(r.round_zero.sentence())
    if r.rounds:
        _table(document, [_("Round"), _("Sent / returned"), _("Positive coefficient"), _("Authority Cr"),
                          _("Kendall's W"), "χ² (df)", "P", _("Experts in W"), _("Consensus share"),
                          _("Kept / dropped / reworded")],
               [[_("Round %(n)s", n=row.number), f"{row.invited} / {row.answered}",
                 _f(row.response_rate, pct=True), _f(row.authority), _w(row),
                 f"{row.chi2:.2f} ({row.df})" if row.chi2 is not None else None,
                 ("< 0.001" if row.p < 0.001 else f"{row.p:.3f}") if row.p is not None else None,
                 _("%(m)s of %(n)s", m=row.m_used, n=row.answered) if row.m_used is not None else None,
                 _f(row.consensus_share, pct=True), f"{row.kept} / {row.dropped} / {row.reworded}"]
                for row in r.rounds])
        document.add_paragraph(_("Positive coefficient: questionnaires returned ÷ sent. Authority Cr = (Ca + Cs) / 2, "
                                 "acceptable from 0.7. Kendall's W with the χ² test of the experts who rated every "
                                 "indicator (tie-corrected)."))
    else:
        document.add_paragraph(_("No closed Delphi round yet."))
    if r.blocks:
        document.add_heading(_("AHP: consistency and consensus per block"), level=2)
        _table(document, [_("Block (parent indicator)"), _("Group CR"), _("Consensus S*")],
               [[(_("Round %(n)s", n=b["round"]) + " · " if b.get("round") else "") + f"{b['code']} {b['name']}",
                 _f(b["cr"], 4), _f(b["s_star"])] for b in r.blocks])

    document.add_heading("4 " + _("The indicator system and its weights"), level=1)
    if r.nodes:
        document.add_paragraph(f"{_('Method')}: {r.method_text or r.weight_set.payload['method'].get('kind')}. "
                               + _("Global weight = the parent's global weight × the local weight.")
                               + f" {_('Checksum (SHA-256)')}: {r.weight_set.checksum}")
        document.add_paragraph(_("Global weights of the first- and second-level indicators")).runs[0].bold = True
        chart_rows = [n for n in r.nodes if 1 <= n["level"] <= 2]
        top = max(n["global_weight"] for n in chart_rows) or 1.0
        _table(document, [_("Indicator"), _("Global weight"), ""],
               [[("" if n["level"] == 1 else "  ") + f"{n['code']} {n['display_name']}", f"{n['global_weight']:.4f}",
                 "█" * max(1, round(24 * n["global_weight"] / top))] for n in chart_rows])
        document.add_paragraph()
        _table(document, [_("Code"), _("Indicator"), _("Local weight"), _("Global weight")],
               [[n["code"], n["display_name"], f"{n['local_weight']:.4f}", f"{n['global_weight']:.4f}"]
                for n in r.nodes if n["level"] > 0], numeric_from=2)
    else:
        document.add_paragraph(_("No weight set has been published yet."))

    document.add_heading("5 " + _("Conclusions"), level=1)
    for line in _plain(r.conclusions) or [_("The coordinator has not written conclusions yet.")]:
        document.add_paragraph(line)

    document.add_heading(_("Appendix A. Methods"), level=1)
    for heading, text in r.methods:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    if r.worked_delphi or r.worked_ahp:
        document.add_heading(_("Appendix B. Worked calculations"), level=1)
    if r.worked_delphi:
        d = r.worked_delphi
        document.add_heading(_("One Delphi item: %(code)s %(name)s (round %(n)s)", code=d["code"], name=d["name"],
                               n=d["round"]), level=2)
        document.add_paragraph(f"{_('Ratings')}: " + ", ".join("–" if v is None else str(v) for v in d["ratings"]))
        document.add_paragraph(
            f"n = {d['n']}; {_('mean')} = {d['sum']:g} / {d['n']} = {d['mean']:.4f}; "
            f"{_('standard deviation')} SD = {d['sd']:.4f}; CV = SD / {_('mean')} = "
            f"{'–' if d['cv'] is None else format(d['cv'], '.4f')}; {_('full-score frequency')} = {d['full_score']:.3f}")
    if r.worked_ahp:
        a = r.worked_ahp
        document.add_heading(_("One AHP block: %(code)s", code=a["parent"]), level=2)
        document.add_paragraph(_("Step 1: the group judgment matrix A and its column sums."))
        _table(document, [""] + a["codes"], [[c] + [f"{v:.4f}" for v in row] for c, row in zip(a["codes"], a["matrix"])]
               + [["Σ"] + [f"{v:.4f}" for v in a["column_sums"]]])
        document.add_paragraph(_("Step 2: each column divided by its sum; step 3: the weights are the row means."))
        _table(document, [""] + a["codes"] + ["w"],
               [[c] + [f"{v:.4f}" for v in row] + [f"{a['weights'][i]:.4f}"]
                for i, (c, row) in enumerate(zip(a["codes"], a["normalised"]))])
        document.add_paragraph(_("Step 4: λmax = (1/n) Σ (Aw)ᵢ / wᵢ = %(l)s; CI = (λmax − n) / (n − 1) = %(ci)s; "
                                 "RI = %(ri)s; CR = CI / RI = %(cr)s.", l=f"{a['lambda_max']:.4f}",
                                 ci=f"{a['ci']:.4f}", ri=f"{a['ri']:.2f}", cr=f"{a['cr']:.4f}"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _w(row) -> str | None:
    """Kendall's W with whom it counts ("0.412 from 3 of 8 experts"), warned below 70 %."""
    if row.w is None:
        return None
    text = f"{_f(row.w)} {row.w_basis}"
    if row.w_few:
        text += " · " + _("fewer than %(share)s of respondents", share="70%")
    return text
