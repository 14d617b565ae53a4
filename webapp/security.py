"""One place for CSRF, security headers, the expert session and access rules.

CSRF: every unsafe request, form or JSON, is checked here before any view
runs, with the same time-limited session token that ``BaseForm`` renders
(WTForms ``SessionCSRF``). A form view that re-renders its own form with
the posted data kept on failure opts in with ``@keeps_data_on_csrf_failure``;
every other failure is a 400 and nothing runs.
"""
from __future__ import annotations

import functools
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha1
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.datastructures import MultiDict
from wtforms.csrf.session import SessionCSRF

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    from webapp.extensions import login_manager

    app.session_interface = SessionInterface()
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    login_manager.user_loader(_load_coordinator)
    login_manager.unauthorized_handler(_unauthorized)


# --- the session cookie --------------------------------------------------------

class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, re-sent only when a page or a change needs it,
    and verified once per cookie.

    A permanent session (experts, coordinators who tick "remember") is re-signed
    and re-sent on every response by default, to slide its expiry. A JSON call
    under ``/api/`` that did not change the session (an autosave) does not: the
    pages around it slide the expiry, and each save is spared signing a cookie.

    So an expert's autosaves bring the same cookie again and again: its signature
    is checked (and its payload decoded) the first time only. The decoded data is
    remembered with the time it was signed, keyed by the whole cookie text and the
    secret key, so only a cookie that passed the full check is ever served from
    memory, each request gets
    its own deep copy, and the lifetime is checked again on every use (a cookie
    past ``PERMANENT_SESSION_LIFETIME`` goes to the full check, which refuses it).
    At most ``VERIFIED_MAX`` cookies per worker are kept (then the memory starts over).
    """

    VERIFIED_MAX = 4096

    def __init__(self):
        self._verified: dict[tuple, tuple[float, dict]] = {}

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (value, app.secret_key)   # a new secret key forgets what the old one verified
        known = self._verified.get(key)
        if known is not None and 0 <= time.time() - known[0] <= max_age:
            return self.session_class(_copied(known[1]))
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=int(max_age),
                                                                     return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(self._verified) >= self.VERIFIED_MAX:
            self._verified.clear()
        self._verified[key] = (signed_at.timestamp(), _copied(data))
        return self.session_class(data)

    def should_set_cookie(self, app, session) -> bool:
        if not session.modified and request.path.startswith("/api/"):
            return False
        return super().should_set_cookie(app, session)


def _copied(value):
    """A deep copy of decoded session data (dicts and lists of JSON-like values;
    tuples, strings, numbers, bytes… are immutable): 3× cheaper than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


# --- CSRF -----------------------------------------------------------------

def csrf_token() -> str:
    from webapp.forms.base import CsrfOnlyForm

    return CsrfOnlyForm().csrf_token.current_token


def _csrf_token_is_good(token: str | None) -> bool:
    """WTForms ``SessionCSRF``'s own check (``expires##HMAC-SHA1(session secret + expires)``,
    not yet expired) without building a form: every JSON save makes it. Any doubt
    goes to the form (:func:`csrf_error`), which also words the refusal."""
    secret = session.get("csrf")
    if not token or not isinstance(secret, str) or "##" not in token:
        return False
    expires, given = token.split("##", 1)
    expected = hmac.new(current_app.secret_key.encode(), (secret + expires).encode("utf8"), digestmod=sha1)
    if not hmac.compare_digest(expected.hexdigest(), given):
        return False
    return datetime.now().strftime(SessionCSRF.TIME_FORMAT) <= expires


def csrf_error(token: str | None) -> str | None:
    """The reason a token is refused, or None when it is good."""
    from webapp.forms.base import CsrfOnlyForm

    if _csrf_token_is_good(token):
        return None
    form = CsrfOnlyForm(formdata=MultiDict({"csrf_token": token or ""}))
    form.validate()
    return form.csrf_token.errors[0] if form.csrf_token.errors else None


def keeps_data_on_csrf_failure(view):
    """Mark a view whose BaseForm re-renders with the posted data on a CSRF failure."""
    view.keeps_data_on_csrf_failure = True
    return view


def _check_csrf():
    if request.method in SAFE_METHODS or current_app.config.get("CSRF_DISABLED_FOR_TESTS"):
        return None
    token = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    error = csrf_error(token)
    if error is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "keeps_data_on_csrf_failure", False) and not request.is_json:
        g.csrf_failed = True
        return None
    if request.is_json or request.path.startswith("/api/"):
        return jsonify(error="csrf", message=error), 400
    abort(400, description="csrf")


# --- headers ----------------------------------------------------------------

# Sent on every response (no view sets them itself): added in one ``extend``, not
# one ``setdefault`` each. no-referrer everywhere: invitation tokens and study pages never leak.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), browsing-topics=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _security_headers(response):
    headers = response.headers
    if "Content-Security-Policy" in headers:   # a response that set its own: keep each one it set
        for name, value in SECURITY_HEADERS:
            headers.setdefault(name, value)
    else:
        headers.extend(SECURITY_HEADERS)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    endpoint = request.endpoint
    if endpoint and not endpoint.startswith("static"):
        headers.setdefault("Cache-Control", "no-store")
    return response


# --- coordinators (Flask-Login) -----------------------------------------------

def _load_coordinator(user_id: str):
    from webapp.extensions import db
    from webapp.models import User

    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not token or user.session_token != token:
        return None
    return user


def _unauthorized():
    from flask import flash, redirect, url_for
    from flask_babel import gettext as _

    if wants_json():
        return jsonify(error="unauthorized"), 401
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("auth.login", next=safe_next_url(request.full_path)))


def wants_json() -> bool:
    return request.is_json or request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def safe_next_url(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no protocol-relative //."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target.rstrip("?") or None


# --- one session at a time -------------------------------------------------------
# A browser holds either a coordinator or an expert, never both: logging in,
# opening an invitation link (after asking) and logging out each start a fresh
# session, which also rotates the CSRF secret kept in it.

def fresh_session() -> None:
    """Empty the session (new CSRF secret), keeping only the chosen language."""
    lang = session.get("lang")
    remember = session.get("_remember")  # Flask-Login's "delete the remember cookie"
    session.clear()
    if lang:
        session["lang"] = lang
    if remember:
        session["_remember"] = remember


def end_coordinator_session() -> None:
    """Log the coordinator out on this device: session and remember cookie."""
    from flask_login import logout_user

    logout_user()  # also sets session["_remember"] = "clear" when a remember cookie came in
    fresh_session()
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        session["_remember"] = "clear"


# --- experts (invitation session) ---------------------------------------------

EXPERT_SESSION_KEY = "expert"


def sign_in_expert(expert) -> None:
    fresh_session()
    session.permanent = True
    session[EXPERT_SESSION_KEY] = {"id": expert.id, "marker": expert.session_marker}


def current_expert():
    """The expert of this session, or None if absent, revoked or reissued."""
    if "current_expert" in g:
        return g.current_expert
    from webapp.extensions import db
    from webapp.models import Expert

    expert = None
    data = session.get(EXPERT_SESSION_KEY)
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        candidate = db.session.get(Expert, data["id"])
        if candidate is not None and not candidate.is_revoked \
                and candidate.session_marker == data.get("marker"):
            expert = candidate
        else:
            session.pop(EXPERT_SESSION_KEY, None)
    g.current_expert = expert
    return expert


@dataclass(frozen=True)
class ExpertRef:
    """Who an expert session is, without the Expert row: enough for the autosave."""

    id: int
    study_id: int


EXPERT_REF_COLUMNS = ("id", "study_id", "revoked_at", "token_hash")


def expert_session_claim() -> dict | None:
    """What the session says about its expert (``{"id", "marker"}``), unchecked, or None."""
    data = session.get(EXPERT_SESSION_KEY)
    return data if isinstance(data, dict) and isinstance(data.get("id"), int) else None


def accept_expert_row(row, claim: dict) -> ExpertRef | None:
    """:func:`current_expert`'s rules on a row of :data:`EXPERT_REF_COLUMNS` read for
    ``claim``: absent, revoked or reissued is None (and ends the session's expert)."""
    from webapp.models import Expert

    if row is None or row[2] is not None or Expert.marker_of(row[3]) != claim.get("marker"):
        session.pop(EXPERT_SESSION_KEY, None)
        g.current_expert = None
        return None
    return ExpertRef(row[0], row[1])


def expert_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_expert() is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
