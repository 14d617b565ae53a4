"""Access logs without invitation tokens.

An invitation link ``/i/<token>`` is a bearer credential: whoever reads it from a log can
answer as that expert. ``script/server`` runs gunicorn with
``--logger-class webapp.accesslog.RedactingLogger``, which writes ``/i/[redacted]``
instead (request line, path, query, referer, and any header gunicorn would log).
A reverse proxy in front must do the same; see ``docs/security.md``.
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

TOKEN_PATH = re.compile(r"/i/[^/?#\s\"]+")
REDACTED = "/i/[redacted]"


def redact(text):
    """``text`` with every invitation token replaced (non-strings unchanged)."""
    if not isinstance(text, str) or "/i/" not in text:  # most atoms: no regex run at all
        return text
    return TOKEN_PATH.sub(REDACTED, text)


class RedactingLogger(Logger):
    """gunicorn's logger, with invitation tokens removed from every access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        return {key: redact(value) for key, value in super().atoms(resp, req, environ, request_time).items()}
