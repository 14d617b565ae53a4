"""Serving with gunicorn: an access log that never records an invitation token.

New invitation links carry the token in the URL fragment (``/i#<token>``), which
browsers do not send, so it never reaches a log. Links issued before that
(``/i/<token>``) still work; this logger class writes their path as
``/i/[redacted]``. ``script/server`` passes ``--logger-class
webapp.serving.RedactingLogger``. Behind a reverse proxy, redact ``/i/`` there too
(nginx: a ``map $request_uri`` to a redacted value used in ``log_format``; see
README "Running it for real").
"""
from __future__ import annotations

import re

_TOKEN_PATH = re.compile(r"(/i/)[^\s?#\"]+")


def redact(text):
    """Replace the token of any ``/i/<token>`` in a log value."""
    if not isinstance(text, str):
        return text
    return _TOKEN_PATH.sub(r"\1[redacted]", text)


try:  # gunicorn is a serving extra; the rest of the app never imports this module
    from gunicorn.glogging import Logger
except ImportError:  # pragma: no cover - only without the [postgres]/[serve] extra
    Logger = object


class RedactingLogger(Logger):
    """gunicorn's logger with the request line, path, query and Referer redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) for key, value in atoms.items()}
