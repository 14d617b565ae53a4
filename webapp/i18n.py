"""Locale choice and the Chinese catalogue.

Order: an explicit choice (``?lang=`` or the switch, kept in the session),
the coordinator's saved preference, Accept-Language, then English. The
catalogue lives in ``translations/zh`` (not ``zh_Hans``: werkzeug maps
``zh-CN`` to ``zh``). It is written as several ``.po`` parts, one per area of
the product, merged and compiled into ``messages.mo``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l  # noqa: F401  (re-exported for forms)
from jinja2 import pass_eval_context
from markupsafe import Markup

TRANSLATIONS = Path(__file__).parent / "translations"
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and scheduler jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in supported:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in supported:
        return session["lang"]
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
        return current_user.locale
    return request.accept_languages.best_match(supported, default="en")


def catalog_parts(locale: str) -> list[Path]:
    return sorted((TRANSLATIONS / locale / "parts").glob("*.po"))


def merged_catalog(locale: str) -> Catalog:
    merged = Catalog(locale=locale, domain="messages")
    for part in catalog_parts(locale):
        with part.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if message.id:
                merged[message.id] = message
    return merged


def compile_catalogs(locales=("zh",)) -> list[Path]:
    written = []
    for locale in locales:
        target = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, merged_catalog(locale))
        os.replace(tmp, target)  # atomic: several workers may start together
        written.append(target)
    return written


def ensure_catalogs_compiled(app: Flask) -> None:
    """Compile when the .mo is missing or older than a part (fresh clones)."""
    for locale in app.config["LANGUAGES"]:
        parts = catalog_parts(locale)
        if not parts:
            continue
        target = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
        newest = max(p.stat().st_mtime for p in parts)
        if not target.exists() or target.stat().st_mtime < newest:
            try:
                compile_catalogs((locale,))
            except OSError as exc:  # read-only install: `flask translate compile` at build time
                app.logger.warning("could not compile the %s catalogue: %s", locale, exc)


# --- the catalogue once per request ------------------------------------------------------------
# flask-babel finds the locale and the catalogue again on every call (≈ 100 µs: the
# context namespace, the domain, the cache key); the 63-item questionnaire page makes
# 2,000 translation calls. The pair is kept in ``g`` for the locale object it was found
# for: ``force_locale`` (mail in the expert's language) and ``refresh`` put another
# locale object in place, which finds the catalogue again.

def request_translations():
    """``(translations, locale)`` of this request, found once per locale."""
    return _request_catalogue()[:2]


def _request_catalogue() -> tuple:
    """``(translations, locale, locale name)``: the request's ``g`` is unwrapped once and read as a
    plain object (each read through the ``g`` proxy costs about a microsecond, and the
    questionnaire asks for the locale a few dozen times)."""
    if not has_app_context():
        locale = get_locale()
        return get_translations(), locale, str(locale or "en")
    real = g._get_current_object().__dict__
    cached = real.get("_concordia_translations")
    if cached is not None:
        babel_ctx = real.get("_flask_babel")
        if babel_ctx is not None and getattr(babel_ctx, "babel_locale", None) is cached[1]:
            return cached
    translations = get_translations()   # finds (and sets) the locale first
    locale = get_locale()
    cached = (translations, locale, str(locale or "en"))
    real["_concordia_translations"] = cached
    return cached


def request_locale() -> str:
    """``str(get_locale())`` ("en" outside a request), from :func:`request_translations`."""
    return _request_catalogue()[2]


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """Jinja's "newstyle" gettext (autoescaped, always %-formatted), taking the
    evaluation context only: Jinja copies the whole template context for every
    call of a context function inside a loop (163 copies on the questionnaire)."""
    rv = _request_catalogue()[0].ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    rv = _request_catalogue()[0].ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`request_translations` (same catalogue and
    the same newstyle semantics as flask-babel's callables, found once per request)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations()[0].ugettext(s),
        ngettext=lambda s, p, n: request_translations()[0].ungettext(s, p, n),
        pgettext=lambda c, s: request_translations()[0].upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations()[0].unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext)
