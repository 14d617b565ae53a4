"""Access logs without invitation tokens.

An expert's personal link ``/i/<token>`` is a credential: whoever reads it can
answer in the expert's name. Gunicorn (``deploy/gunicorn.conf.py``) writes its
access log through :class:`RedactingLogger`, which logs the path as
``/i/[redacted]``; ``deploy/nginx.conf`` does the same for the proxy's log.
This module imports gunicorn lazily so the app itself does not depend on it.
"""
from __future__ import annotations

import functools
import re

TOKEN_PATH = re.compile(r"(/i/)[^/?#\s\"]+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """``GET /i/abc?x=1 HTTP/1.1`` → ``GET /i/[redacted]?x=1 HTTP/1.1``."""
    return TOKEN_PATH.sub(REDACTED, text) if text else text


@functools.cache
def _logger_class():
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        """Gunicorn's logger with invitation tokens removed from every access-log atom."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "U", "{raw_uri}e", "f"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            for key in list(atoms):
                if key.startswith("{") and isinstance(atoms[key], str) and "/i/" in atoms[key]:
                    atoms[key] = redact(atoms[key])
            return atoms

    return RedactingLogger


def __getattr__(name: str):
    if name == "RedactingLogger":
        return _logger_class()
    raise AttributeError(name)
