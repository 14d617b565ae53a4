"""Inline-SVG charts of the evaluation results (no style= attributes: the CSP forbids them)."""
from __future__ import annotations

from markupsafe import Markup, escape

from webapp.services.charts import BRAND, GRID, INK, MUTED, WARN, _f, _finite


def element_chart(elements, *, names: dict, title: str, maximum: float = 100.0, bands=()) -> Markup:
    """Horizontal bars, one per element: ``elements`` = [{"code", "score" or None}], ``names`` {code: name}.

    Band minima are drawn as thin vertical lines so the stars can be read off the bars.
    """
    rows = [(e["code"], names.get(e["code"], ""), e["score"]) for e in elements]
    label_w, bar_w, row_h, top = 118, 190, 26, 8
    width = label_w + bar_w + 44
    height = top + row_h * len(rows) + 16
    parts = [f'<svg class="eval-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for b in bands:
        x = label_w + bar_w * min(max(b / maximum, 0), 1)
        parts.append(f'<rect x="{_f(x)}" y="{top - 4}" width="1" height="{row_h * len(rows) + 4}" fill="{GRID}"/>')
        parts.append(f'<text x="{_f(x)}" y="{height - 3}" font-size="9" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(f"{b:g}")}</text>')
    for i, (code, name, score) in enumerate(rows):
        y = top + i * row_h
        label = f"{code} {name}"
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(f'<text x="0" y="{y + 15}" font-size="11" fill="{INK}">{escape(short)}'
                     f"<title>{escape(label)}</title></text>")
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="12" fill="{GRID}" rx="2"/>')
        if _finite(score):
            w = bar_w * min(max(score / maximum, 0), 1)
            parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{_f(max(w, 1))}" height="12" fill="{BRAND}" rx="2">'
                         f"<title>{escape(label)}: {score:.2f}</title></rect>")
            parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="11" fill="{INK}">{score:.1f}</text>')
        else:
            parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="11" fill="{WARN}">–</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
