"""Error pages: HTML for browsers, JSON for the API."""
from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from webapp.security import wants_json


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(500)
    def _server_error(error):  # pragma: no cover - exercised manually
        from webapp.extensions import db

        db.session.rollback()
        return _render(500), 500


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
