"""Error pages: HTML for browsers, JSON for the API (every error under ``/api/``, 500 included).

A database that stays locked past the busy timeout (SQLite "database is locked", a
PostgreSQL lock or statement timeout) is not a bug of the request: it answers
**503 with ``Retry-After``** so that the page's autosave retries, instead of a 500.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.security import wants_json

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# PostgreSQL SQLSTATEs: lock_not_available, query_canceled (statement/lock timeout), deadlock.
_PG_BUSY = {"55P03", "57014", "40P01"}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _operational_error)
    app.register_error_handler(500, _server_error)


def database_busy(error: BaseException) -> bool:
    """True for "the database is busy, try again", not for a broken database."""
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in _PG_BUSY or getattr(original, "pgcode", None) in _PG_BUSY:
        return True
    text = str(original or error).lower()
    return "database is locked" in text or "database table is locked" in text \
        or "lock timeout" in text or "canceling statement due to statement timeout" in text


def _rollback() -> None:
    from webapp.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the answer matters more
        log.exception("rollback after an error failed")


def _operational_error(error: OperationalError):
    if not database_busy(error):
        raise error  # a real fault: the 500 handler (or the test) gets it
    _rollback()
    log.warning("database busy, answered 503: %s", error.orig if error.orig else error)
    response = _respond(503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _server_error(error):
    _rollback()
    return _respond(500)


def _respond(code: int, description: str | None = None):
    """JSON under /api/ (or when JSON is asked for), a page elsewhere; never raises."""
    if wants_json():
        _title, text = _messages().get(code, (str(code), ""))
        response = jsonify(error=_ERROR_NAMES.get(code, str(code)), message=description or text)
        response.status_code = code
        return response
    try:
        body = _render(code, description)
    except Exception:  # noqa: BLE001 - e.g. the template needs the database that just failed
        log.exception("error page could not be rendered")
        body = f"<!doctype html><title>{code}</title><h1>{code}</h1>"
    return make_response(body, code)


_ERROR_NAMES = {500: "internal_server_error", 503: "service_unavailable"}


def _messages():
    return {
        400: (_("Bad request"), _("The request could not be understood. If you were submitting a form, "
                                 "go back, reload the page and try again: nothing was saved.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("Access denied"), _("You do not have access to this page. Experts: open your personal "
                                   "invitation link again.")),
        404: (_("Not found"), _("There is nothing here, or you do not have access to it.")),
        405: (_("Not allowed"), _("This action is not allowed here.")),
        409: (_("Conflict"), _("This change conflicts with the current state. Reload the page.")),
        413: (_("File too large"), _("The upload is larger than allowed (2 MB).")),
        429: (_("Too many attempts"), _("Too many attempts. Please wait a few minutes and try again.")),
        500: (_("Something went wrong"), _("An unexpected error occurred. Nothing was changed.")),
        503: (_("Busy, please retry"), _("The server is busy for a moment and nothing was saved. "
                                          "Try again in a few seconds.")),
    }


def _render(code: int, description: str | None = None):
    title, text = _messages().get(code, (str(code), ""))
    if description == "csrf":
        text = _("The form had expired or did not come from this site. Nothing was saved: "
                 "go back, reload the page and submit again.")
    return render_template("errors/error.html", code=code, title=title, text=text)


def _http_error(error: HTTPException):
    code = error.code or 500
    if wants_json():
        return jsonify(error=error.name.lower().replace(" ", "_"),
                       message=error.description if isinstance(error.description, str) else ""), code
    return _render(code, error.description if isinstance(error.description, str) else None), code
