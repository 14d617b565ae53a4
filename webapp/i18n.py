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
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l  # noqa: F401  (re-exported for forms)

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
