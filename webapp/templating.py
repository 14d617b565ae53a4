"""Template filters and globals: sanitised Markdown, locale helpers."""
from __future__ import annotations

import functools

import markdown as md
import nh3
from flask import Flask, request, url_for
from jinja2 import pass_context
from markupsafe import Markup

from webapp.i18n import HTML_LANG, request_locale
from webapp.presentation import status_label, title_after_number

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote",
    "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
# No <img>: a remote image would be a tracking pixel that de-anonymises experts.


def render_markdown(text: str | None) -> Markup:
    """Python-Markdown, then nh3 with an allow list: never the other way round."""
    return Markup(_clean_html_of(text or ""))


@functools.lru_cache(maxsize=512)
def _clean_html_of(text: str) -> str:
    """The sanitised HTML of a Markdown text, remembered by the text itself (a pure function:
    a study's description or a round's instructions on every expert's page cost about 1 ms each)."""
    html = md.markdown(text, extensions=["tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return clean


def current_locale() -> str:
    return request_locale()


def switch_language_url(lang: str) -> str:
    """The current page in another language (GET pages); otherwise home."""
    if request.endpoint and request.method == "GET" and request.endpoint != "static":
        args = dict(request.view_args or {})
        args.update(request.args.to_dict())
        args["lang"] = lang
        try:
            return url_for(request.endpoint, **args)
        except Exception:  # noqa: BLE001 - fall back to the home page
            pass
    return url_for("auth.index", lang=lang)


def precompile_templates(app: Flask) -> int:
    """Compile every template into the Jinja environment's cache now; the number compiled.

    gunicorn's master calls this once the app is loaded, before it forks the workers
    (``deploy/gunicorn.conf.py``, ``when_ready``). Each worker, and each one restarted by
    ``max_requests`` later, then starts with the templates compiled, shared with the
    master's memory: a fresh worker's first expert page cost ~0.2 s of CPU more than the
    next ones, ~0.3 s in all for an expert's pages, taken from the requests of the other
    workers on the same cores (``bench/load.py``: at 1,000 experts on PostgreSQL, 7 workers
    restarting within 12 s of each other put one 20-second window's save p95 at 819 ms).
    Production never reloads a template (``TEMPLATES_AUTO_RELOAD`` is off), so what is
    compiled here is what is served."""
    names = app.jinja_env.list_templates(extensions=["html"])
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    # "Round n · {{ rnd.title|title_after_number(rnd.number) }}": the number said once.
    app.jinja_env.filters["title_after_number"] = lambda title, number: title_after_number(number, title)
    app.jinja_env.globals.update(
        current_locale=current_locale,
        html_lang=lambda: HTML_LANG.get(current_locale(), "en"),
        switch_language_url=switch_language_url,
        status_label=status_label,
    )
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")
    from webapp.services import timezones

    # A time in the study's time zone, the zone named: {{ rnd.closes_at|study_time(study) }}.
    app.jinja_env.filters["study_time"] = lambda value, study: timezones.format_in(
        value, getattr(study, "time_zone", None))

    @app.template_filter("local_name")
    def local_name(node):
        return node.name(current_locale())

    @app.template_filter("local_description")
    def local_description(node):
        return node.description(current_locale())

    @app.template_filter("fmt")
    def fmt_number(value, digits=2):
        if value is None:
            return "–"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        if number != number:  # NaN
            return "–"
        return f"{number:.{digits}f}"

    @app.template_filter("pct")
    def fmt_percent(value, digits=0):
        if value is None or value != value:
            return "–"
        return f"{100 * float(value):.{digits}f}%"

    @app.template_filter("when")
    @pass_context
    def fmt_when(context, value, study=None):
        """Like ``datetime`` inside a <time> that static/js/localtime.js completes with the
        reader's own local time when their zone differs (experts abroad, travelling)."""
        from flask_babel import gettext

        study = study if study is not None else context.get("study")
        zone = getattr(study, "time_zone", None) or "UTC"
        if value is None:
            return "–"
        offset = timezones.to_local(value, zone).utcoffset()
        return Markup('<time datetime="{iso}" data-local-time data-zone-offset="{off}" data-local-label="{label}">'
                      '{text}</time>').format(
            iso=value.isoformat(), off=int(offset.total_seconds() // 60) if offset is not None else 0,
            label=gettext("your time: %(time)s", time="{time}"), text=timezones.format_in(value, zone))

    @app.template_filter("datetime")
    @pass_context
    def fmt_datetime(context, value, study=None):
        """In the study's time zone (the template's ``study`` unless given), the zone named;
        UTC where no study is in sight."""
        study = study if study is not None else context.get("study")
        return timezones.format_in(value, getattr(study, "time_zone", None) or "UTC")
