"""The study report as printable HTML and as PDF (WeasyPrint, Noto CJK fonts), from one template.

WeasyPrint needs Debian's pango (libpango-1.0-0, libpangoft2-1.0-0, installed by script/test and
script/server) and finds the Noto CJK fonts through fontconfig; the stylesheet is
``static/css/report.css`` for both the browser and the PDF.
"""
from __future__ import annotations

from importlib import resources

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

from webapp.services.charts import BRAND, GRID, INK, MUTED, _f

FIRST = BRAND
SECOND = "#2a9d8f"


def weights_chart(nodes: list[dict], *, title: str, max_level: int = 2) -> Markup:
    """Horizontal bars of the global weights of the levels 1..max_level, in tree order."""
    rows = [n for n in nodes if 1 <= n["level"] <= max_level]
    if not rows:
        return Markup("")
    top = max(n["global_weight"] for n in rows) or 1.0
    label_w, bar_w, row_h, pad = 230, 330, 18, 6
    width, height = label_w + bar_w + 70, pad * 2 + row_h * len(rows)
    parts = [f'<svg class="weights-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, node in enumerate(rows):
        y = pad + i * row_h
        indent = 0 if node["level"] == 1 else 14
        name = node.get("display_name") or node["code"]
        label = f'{node["code"]} {name}'
        if len(label) > 24:
            label = label[:23] + "…"
        colour = FIRST if node["level"] == 1 else SECOND
        length = bar_w * node["global_weight"] / top
        weight = "bold" if node["level"] == 1 else "normal"
        parts.append(f'<text x="{indent}" y="{_f(y + 12.5)}" font-size="11" font-weight="{weight}" '
                     f'fill="{INK}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{_f(y + 3)}" width="{bar_w}" height="{row_h - 6}" fill="{GRID}"/>')
        parts.append(f'<rect x="{label_w}" y="{_f(y + 3)}" width="{_f(max(length, 1))}" height="{row_h - 6}" '
                     f'fill="{colour}"><title>{escape(label)}: {node["global_weight"]:.4f}</title></rect>')
        parts.append(f'<text x="{_f(label_w + bar_w + 6)}" y="{_f(y + 12.5)}" font-size="11" '
                     f'fill="{MUTED}">{node["global_weight"]:.4f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render_html(report, *, for_pdf: bool = False) -> str:
    from flask_babel import gettext as _

    with force_locale(report.locale):
        chart = weights_chart(report.nodes, title=_("Global weights of the first- and second-level indicators"))
        return render_template("report/study.html", report=report, chart=chart, for_pdf=for_pdf,
                               lang=report.locale)


def stylesheet_text() -> str:
    return resources.files("webapp").joinpath("static/css/report.css").read_text(encoding="utf-8")


def render_pdf(report) -> bytes:
    from weasyprint import CSS, HTML

    html = render_html(report, for_pdf=True)
    return HTML(string=html, base_url=None).write_pdf(stylesheets=[CSS(string=stylesheet_text())])
