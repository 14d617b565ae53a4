"""One cleaning step for text that comes in, and one strict JSON reader.

Every form field (through ``BaseForm``), every JSON answer and every import cell passes
through :func:`clean_text`: lone UTF-16 surrogates (which no database can store) become
U+FFFD, and NUL and the other control characters (which PostgreSQL refuses, and which
hide text in e-mail headers and spreadsheets) are removed; tab, line feed and carriage
return stay.

:func:`loads_json` is the one JSON parser for request bodies and uploads: a depth limit,
no ``NaN`` / ``Infinity`` / numbers that overflow to infinity (``1e400``), and every
string (keys too) cleaned. It raises :class:`JsonInputError` with a translated message.
"""
from __future__ import annotations

import json
import math
import re

from flask_babel import gettext as _

# C0 controls except \t \n \r, DEL, C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
DEFAULT_MAX_DEPTH = 32


def clean_text(value):
    """``value`` without control characters and lone surrogates; non-strings unchanged."""
    if not isinstance(value, str):
        return value
    if _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return _CONTROL.sub("", value)


def clean_line(value):
    """Like :func:`clean_text`, and line breaks and tabs become spaces (one-line fields)."""
    value = clean_text(value)
    if isinstance(value, str):
        value = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return value


class JsonInputError(ValueError):
    """A JSON body or upload Concordia does not accept; the message says why."""


def _constant(name):
    raise JsonInputError(_("The JSON contains %(value)s, which is not a number Concordia accepts.",
                           value=name))


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(_("The JSON contains a number too large to store (%(value)s).",
                               value=text[:40]))
    return value


def _pairs(pairs):
    return {clean_text(key): value for key, value in pairs}


def loads_json(raw: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH):
    """Parse ``raw`` strictly.

    Refused (:class:`JsonInputError`): text that is not UTF-8 JSON, ``NaN``, ``Infinity``,
    numbers that overflow a double, nesting deeper than ``max_depth`` arrays/objects.
    Every string in the result, keys included, has passed :func:`clean_text`.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonInputError(_("The JSON is not UTF-8 encoded.")) from exc
    # Nothing to clean or check when ``raw`` has no escape sequence (every string is then text of
    # ``raw`` itself), no control character or lone surrogate, and fewer brackets than the depth
    # limit, strings' own included: an autosave's body. Same result, 2x cheaper.
    plain = (raw.count("[") + raw.count("{") <= max_depth and "\\" not in raw and not _CONTROL.search(raw)
             and not _SURROGATE.search(raw))
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_float,
                          object_pairs_hook=None if plain else _pairs)
    except RecursionError as exc:
        raise JsonInputError(_("The JSON is nested more than %(n)s levels deep.", n=max_depth)) from exc
    except json.JSONDecodeError as exc:
        raise JsonInputError(_("The JSON could not be read (line %(line)s, column %(col)s).",
                               line=exc.lineno, col=exc.colno)) from exc
    return data if plain else _check_and_clean(data, max_depth)


def _check_and_clean(data, max_depth: int):
    """Depth check and string cleaning without recursion (a deep input cannot overflow the stack)."""
    root = [data]
    stack = [(root, 0, 0)]  # (container, key, depth of the value)
    while stack:
        container, key, depth = stack.pop()
        value = container[key]
        if isinstance(value, str):
            container[key] = clean_text(value)
        elif isinstance(value, (list, dict)):
            if depth + 1 > max_depth:
                raise JsonInputError(_("The JSON is nested more than %(n)s levels deep.", n=max_depth))
            keys = range(len(value)) if isinstance(value, list) else list(value)
            stack.extend((value, k, depth + 1) for k in keys)
    return root[0]
