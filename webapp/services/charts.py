"""Small inline-SVG charts for the dashboard.

Pure functions returning ``Markup``. The Content-Security-Policy forbids ``style=``
attributes and inline scripts, so every colour and size is an SVG presentation
attribute (``fill``, ``width``, ``font-size`` …); sizing on the page is done by
``static/css/dashboard.css`` through the ``class`` of the ``<svg>``. Every text that
comes in is escaped; every chart has ``role="img"`` and an ``aria-label``, and its
marks carry ``<title>`` tooltips.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

INK = "#1b2733"
MUTED = "#6b7a89"
GRID = "#dfe5ec"
BAR = "#2a9d8f"          # inside the interquartile range
BAR_SOFT = "#9fd3c7"     # outside it
EMPTY = "#e6ebf0"
BRAND = "#1f4e79"
OK = "#2f855a"
WARN = "#b7791f"


def _f(x: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def distribution_bar(counts: Sequence[int], scale_min: int, *, q1=None, q3=None, label: str = "",
                     unit: str = "") -> Markup:
    """A tiny histogram: one column per scale point, height ∝ count.

    Columns inside [q1, q3] are darker, so the interquartile range shows at a
    glance; the scale points are written underneath.
    """
    counts = [int(c) for c in counts]
    k = len(counts)
    step, bar_w, plot_h, label_h = 12, 10, 22, 10
    width, height = k * step + 2, plot_h + label_h + 1
    top = max(counts) if counts and max(counts) > 0 else 1
    parts = []
    summary = ", ".join(f"{scale_min + i}: {c}" for i, c in enumerate(counts))
    aria = f"{label} {summary}".strip()
    parts.append(f'<svg class="dist" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(aria)}">')
    parts.append(f'<rect x="0" y="{plot_h}" width="{width}" height="1" fill="{GRID}"/>')
    for i, c in enumerate(counts):
        value = scale_min + i
        x = 1 + i * step
        inside = _finite(q1) and _finite(q3) and q1 - 1e-9 <= value <= q3 + 1e-9
        h = 0 if c == 0 else max(2.0, plot_h * c / top)
        tip = escape(f"{value}: {c}{(' ' + unit) if unit else ''}")
        if c:
            parts.append(f'<rect x="{x}" y="{_f(plot_h - h)}" width="{bar_w}" height="{_f(h)}" '
                         f'fill="{BAR if inside else BAR_SOFT}" rx="1"><title>{tip}</title></rect>')
        else:
            parts.append(f'<rect x="{x}" y="{plot_h - 2}" width="{bar_w}" height="2" fill="{EMPTY}">'
                         f'<title>{tip}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:g}" y="{height - 1}" font-size="8" text-anchor="middle" '
                     f'fill="{MUTED}">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(value, *, threshold=None, label: str = "", maximum: float = 1.0) -> Markup:
    """A thin horizontal bar for a value in [0, maximum] with an optional threshold tick."""
    width, height = 80, 10
    parts = [f'<svg class="meter" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
             f'<rect x="0" y="2" width="{width}" height="6" rx="3" fill="{EMPTY}"/>']
    if _finite(value):
        share = min(max(float(value) / maximum, 0.0), 1.0)
        ok = threshold is None or value >= threshold - 1e-9
        parts.append(f'<rect x="0" y="2" width="{_f(width * share)}" height="6" rx="3" '
                     f'fill="{OK if ok else WARN}"/>')
    if threshold is not None:
        x = width * min(max(threshold / maximum, 0.0), 1.0)
        parts.append(f'<rect x="{_f(x - 0.75)}" y="0" width="1.5" height="{height}" fill="{INK}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(values: Sequence, labels: Sequence[str], *, title: str, value_labels: Sequence[str] | None = None,
                 tooltips: Sequence[str] | None = None, maximum: float = 1.0, ticks: Sequence[float] = (0, .25, .5, .75, 1),
                 tick_format: str = "{:g}", threshold: float | None = None, threshold_label: str = "",
                 colour: str = BRAND, empty_text: str = "") -> Markup:
    """Columns across rounds (e.g. Kendall's W or the consensus share per round).

    ``values`` may hold None (no figure for that round: drawn as a dash).
    """
    n = len(values)
    left, right, top, bottom = 34, 8, 18, 22
    slot = 64
    plot_w = max(n, 3) * slot
    width, height = left + plot_w + right, 180
    plot_h = height - top - bottom
    parts = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]

    def y_of(v: float) -> float:
        return top + plot_h * (1 - min(max(v / maximum, 0.0), 1.0))

    for t in ticks:
        y = y_of(t)
        parts.append(f'<rect x="{left}" y="{_f(y)}" width="{plot_w}" height="1" fill="{GRID}"/>')
        parts.append(f'<text x="{left - 5}" y="{_f(y + 3.5)}" font-size="10" text-anchor="end" '
                     f'fill="{MUTED}">{escape(tick_format.format(t))}</text>')
    if threshold is not None:
        y = y_of(threshold)
        parts.append(f'<rect x="{left}" y="{_f(y - 0.5)}" width="{plot_w}" height="1.5" fill="{WARN}">'
                     f'<title>{escape(threshold_label)}</title></rect>')
    if n == 0 and empty_text:
        parts.append(f'<text x="{left + plot_w / 2:g}" y="{top + plot_h / 2:g}" font-size="12" '
                     f'text-anchor="middle" fill="{MUTED}">{escape(empty_text)}</text>')
    bar_w = 30
    for i, value in enumerate(values):
        cx = left + slot * i + slot / 2
        text = (value_labels[i] if value_labels else None)
        tip = escape(tooltips[i] if tooltips else (text or ""))
        if _finite(value):
            y = y_of(float(value))
            h = top + plot_h - y
            parts.append(f'<rect x="{_f(cx - bar_w / 2)}" y="{_f(y)}" width="{bar_w}" height="{_f(max(h, 1))}" '
                         f'fill="{colour}" rx="2"><title>{tip}</title></rect>')
            parts.append(f'<text x="{_f(cx)}" y="{_f(y - 4)}" font-size="11" text-anchor="middle" '
                         f'fill="{INK}">{escape(text if text is not None else f"{value:.2f}")}</text>')
        else:
            parts.append(f'<text x="{_f(cx)}" y="{top + plot_h - 4}" font-size="11" text-anchor="middle" '
                         f'fill="{MUTED}">–<title>{tip}</title></text>')
        parts.append(f'<text x="{_f(cx)}" y="{height - 6}" font-size="11" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(labels[i])}</text>')
    parts.append(f'<rect x="{left}" y="{top + plot_h}" width="{plot_w}" height="1" fill="{MUTED}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
