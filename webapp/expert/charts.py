"""The feedback chart's SVG (``expert/_macros.html``'s ``feedback_chart``) kept between
requests: a round's experts see the same few dozen charts — one per item and own last
answer, in each language — so each is rendered once and reused. The key is everything the
macro reads (the chart's geometry, its title and its element id), so a changed chart can
never be served from the cache; nothing about an expert is in it but the own answer the
geometry already carries.
"""
from __future__ import annotations

from functools import lru_cache

from flask import current_app
from markupsafe import Markup, escape

from webapp.expert.blueprint import bp
from webapp.services.feedback_chart import Chart

MAX_CHARTS = 2048


@lru_cache(maxsize=MAX_CHARTS)
def _rendered(app_id: int, chart: Chart, label_id: str, title: str) -> Markup:
    macro = current_app.jinja_env.get_template("expert/_macros.html").module.feedback_chart
    return Markup(macro(chart, label_id, Markup(title)))


@bp.app_template_global("feedback_chart_svg")
def feedback_chart_svg(chart: Chart, label_id: str, title: str) -> Markup:
    """The chart's SVG, rendered once per (app, chart, id, title)."""
    return _rendered(id(current_app._get_current_object()), chart, str(label_id), str(escape(title)))
