"""The small chart beside each indicator from round 2 on: the group's counts per scale
point, the IQR band, the median and the expert's own last answer — its geometry computed
here once per item, as formatted numbers the template writes into SVG attributes (the CSP
forbids ``style=``). The template used to do this arithmetic itself, a few dozen filter
calls per indicator; the numbers are the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

WIDTH, HEIGHT, PAD, TOP, BASE = 260, 92, 8, 16, 74


def _f(x: float) -> str:
    return "%.1f" % x


def figure(x: float | None) -> str:
    """A median or quartile as the page shows it: at most two decimals, no trailing zeros
    (``'%g'`` of the value rounded to 2 places), "–" for none."""
    return "–" if x is None else "%g" % round(x, 2)


@dataclass(frozen=True)
class Bar:
    value: int          # the scale point
    count: int          # how many experts chose it
    own: bool           # the expert's own last answer
    x: str              # centre of the slot (labels)
    rect_x: str
    rect_y: str
    rect_height: str
    count_y: str        # the count above the bar


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    bar_width: str
    summary: str                    # "1 → 0; 2 → 3; …" for the chart's title
    iqr_x: str | None = None        # the IQR band (None: no quartiles)
    iqr_width: str | None = None
    median_x: str | None = None     # the median line (None: no median)
    median_mark_x: str | None = None
    median_text: str = "–"          # the figures beside the chart (see :func:`figure`)
    q1_text: str = "–"
    q3_text: str = "–"

    width = WIDTH
    height = HEIGHT
    pad = PAD
    base = BASE
    axis_end = WIDTH - PAD
    band_y = TOP - 4
    band_height = BASE - TOP + 4
    label_y = BASE + 13


def chart_of(fb) -> Chart:
    """The chart of one :class:`~webapp.services.feedback.ItemFeedback` (not withheld)."""
    return _chart(fb.scale_min, fb.scale_max, tuple(fb.counts), fb.q1, fb.q3, fb.median, fb.own_value)


@lru_cache(maxsize=4096)
def _chart(lo: int, hi: int, counts: tuple[int, ...], q1, q3, median, own_value) -> Chart:
    """A pure function of its arguments, kept for the next page: every expert of a round
    sees the same few dozen charts (one per item and own answer)."""
    slot = (WIDTH - 2 * PAD) / (hi - lo + 1)
    peak = max(max(counts, default=0), 1)
    bw = min(slot * 0.62, 34)
    bars = []
    for i, count in enumerate(counts):
        value = lo + i
        x = _f(PAD + i * slot + slot / 2)
        h = (count / peak) * (BASE - TOP - 6)
        shown = max(h, 1.5)
        bars.append(Bar(value=value, count=count, own=own_value == value, x=x,
                        rect_x=_f(float(x) - bw / 2), rect_y=_f(BASE - shown), rect_height=_f(shown),
                        count_y=_f(BASE - h - 3)))
    summary = "; ".join(f"{bar.value} → {bar.count}" for bar in bars)
    iqr_x = iqr_width = median_x = median_mark_x = None
    if q1 is not None and q3 is not None:
        x1 = PAD + (q1 - lo + 0.5) * slot - bw / 2 - 4
        x2 = PAD + (q3 - lo + 0.5) * slot + bw / 2 + 4
        iqr_x, iqr_width = _f(x1), _f(x2 - x1)
    if median is not None:
        mx = PAD + (median - lo + 0.5) * slot
        median_x, median_mark_x = _f(mx), _f(mx - 5)
    return Chart(bars=tuple(bars), bar_width=_f(bw), summary=summary, iqr_x=iqr_x, iqr_width=iqr_width,
                 median_x=median_x, median_mark_x=median_mark_x, median_text=figure(median),
                 q1_text=figure(q1), q3_text=figure(q3))
