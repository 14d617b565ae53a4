"""Coordinator accounts and login throttling kept in the database."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import LoginAttempt, User, utcnow
from webapp.services import audit


class AccountError(ValueError):
    pass


def create_coordinator(username: str, password: str, *, display_name: str = "",
                       email: str | None = None, locale: str | None = None) -> User:
    username = username.strip()
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"username {username!r} is taken")
    user = User(username=username, display_name=display_name or username, email=email, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", target=f"user:{user.id}", actor="system")
    return user


def _ip_hash(ip: str | None) -> str:
    # Stored hashed: the table keeps no addresses in clear.
    salt = current_app.secret_key.encode()
    return hashlib.sha256(salt + (ip or "").encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    """Spend the time of a real password check, so that unknown names are not told apart."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)


def record_attempt(username: str, ip: str | None) -> LoginAttempt:
    """Count a login attempt before its password is checked (the caller commits).

    Committing the attempt first makes the throttle atomic without locks: of N parallel
    guesses, the one committed k-th sees at least k attempts, so at most the limit of
    them reach the password check.
    """
    attempt = LoginAttempt(username=username[:80], ip_hash=_ip_hash(ip))
    db.session.add(attempt)
    db.session.flush()
    return attempt


def authenticate(username: str, password: str, ip: str | None, *,
                 attempt: LoginAttempt | None = None) -> LoginResult:
    """Check a password unless this account from this source, or this source, failed too often.

    The throttle counts per account **and** source (so that nobody can lock the owner out
    from elsewhere) and per source over all accounts. ``attempt`` is this request's row from
    :func:`record_attempt` (already committed); without it one is recorded here. A success
    removes this account's attempts from this source; an unknown username costs a dummy
    password check, so response times do not reveal which usernames exist.
    """
    config = current_app.config
    since = utcnow() - config["LOGIN_THROTTLE_WINDOW"]
    ip_hash = _ip_hash(ip)
    if attempt is None:
        attempt = record_attempt(username, ip)
    by_pair = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username[:80], LoginAttempt.ip_hash == ip_hash, LoginAttempt.at >= since))
    by_ip = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.ip_hash == ip_hash, LoginAttempt.at >= since))
    if by_pair > config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] or by_ip > config["LOGIN_MAX_FAILURES_PER_IP"]:
        return LoginResult(None, throttled=True)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _dummy_check(password)
    elif user.is_active and user.check_password(password):
        db.session.execute(LoginAttempt.__table__.delete().where(
            LoginAttempt.username == username[:80], LoginAttempt.ip_hash == ip_hash))
        return LoginResult(user)
    attempt.user_id = user.id if user else None
    db.session.flush()
    return LoginResult(None)


# --- the account page and the CLI ------------------------------------------------------------

def change_password(user: User, current: str | None, new: str) -> None:
    """Set a new password (the current one is checked unless ``current`` is None: the CLI).

    Every session and remember cookie of the user ends (``set_password`` bumps the
    session generation); the caller logs the current device in again.
    """
    if current is not None and not user.check_password(current):
        raise AccountError(_("The current password is wrong."))
    if len(new) < 10:
        raise AccountError(_("The new password must have at least 10 characters."))
    if len(new) > 200:
        raise AccountError(_("The new password may have at most 200 characters."))
    user.set_password(new)
    db.session.flush()
    audit.record("user.password", target=f"user:{user.id}",
                 actor=audit.actor_for(user) if current is not None else audit.SYSTEM)


def end_all_sessions(user: User) -> None:
    """Log out everywhere: every session and remember cookie of the user stops working."""
    user.session_token = secrets.token_hex(16)
    db.session.flush()
    audit.record("user.logout_everywhere", target=f"user:{user.id}", actor=audit.actor_for(user))


def change_email(user: User, email: str | None) -> None:
    user.email = (email or "").strip() or None
    db.session.flush()
    audit.record("user.email", target=f"user:{user.id}", actor=audit.actor_for(user))


def change_locale(user: User, locale: str | None) -> None:
    """``None``: follow the browser's language."""
    if locale not in (None, "en", "zh"):
        raise AccountError(_("Unknown language."))
    user.locale = locale
    db.session.flush()
    audit.record("user.locale", target=f"user:{user.id}", details={"locale": locale},
                 actor=audit.actor_for(user))
