"""Coordinator accounts and login throttling kept in the database."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import LoginAttempt, User, utcnow
from webapp.services import audit


class AccountError(ValueError):
    pass


def create_coordinator(username: str, password: str, *, display_name: str = "",
                       email: str | None = None, locale: str = "en") -> User:
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


def authenticate(username: str, password: str, ip: str | None) -> LoginResult:
    """Check a password unless the account or address failed too often lately."""
    config = current_app.config
    since = utcnow() - config["LOGIN_THROTTLE_WINDOW"]
    ip_hash = _ip_hash(ip)
    by_account = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.at >= since))
    by_ip = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.ip_hash == ip_hash, LoginAttempt.at >= since))
    if by_account >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] or by_ip >= config["LOGIN_MAX_FAILURES_PER_IP"]:
        return LoginResult(None, throttled=True)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and user.is_active and user.check_password(password):
        # A success clears the account's recent failures.
        db.session.execute(LoginAttempt.__table__.delete().where(LoginAttempt.username == username))
        return LoginResult(user)
    db.session.add(LoginAttempt(username=username[:80], ip_hash=ip_hash,
                                user_id=user.id if user else None))
    db.session.flush()
    return LoginResult(None)
