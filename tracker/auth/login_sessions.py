"""Server-side login sessions.

The signed Flask cookie carries only a random token. Its SHA-256 identifies a LoginSession
row, which is what makes a cookie valid: ending the row (logout, disabled account, password
change, idle or absolute timeout) makes every copy of the cookie useless at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker.auth.models import LoginSession, User
from tracker.db import get_engine, get_read_engine, utcnow

# last_seen_at is written at most this often, so that most requests stay read-only.
TOUCH_INTERVAL = timedelta(seconds=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def start(db: Session, user: User) -> str:
    """Create a login session for user and return its raw token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        LoginSession(
            user=user,
            token_hash=_digest(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"]),
            remote_addr=(request.remote_addr or "")[:64] or None,
        )
    )
    user.session_token = token
    return token


def sign_in(db: Session, user: User) -> None:
    """Start a fresh login session for this browser: nothing from before the login survives,
    and the cookie gets a new token (the caller commits)."""
    session.clear()
    # The CSRF token this request made before is gone with the old cookie: forget it too, so
    # that the page rendered now carries one of the new login (a sign-out from the page
    # shown right after enabling two-factor login answered 400 otherwise).
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    start(db, user)
    login_user(user)
    session.permanent = True


def resume(db: Session, token: str) -> User | None:
    """The user behind a live session token, or None.

    The login-session record is checked and refreshed apart from the request's own
    transaction (a short read, then, only when needed, a short write), so that reading a
    page takes no write lock and the request's transaction stays the view's alone."""
    if not token or len(token) > 128:
        return None
    with get_read_engine().connect() as connection:
        row = connection.execute(
            select(LoginSession.id, LoginSession.last_seen_at, LoginSession.expires_at,
                   User.id.label("user_id"), User.is_disabled)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == _digest(token), LoginSession.ended_at.is_(None))
        ).first()
    if row is None:
        return None
    now = utcnow()
    reason = _expiry_reason(row, now) or ("disabled" if row.is_disabled else None)
    if reason is not None:
        _write_apart(update(LoginSession).where(LoginSession.id == row.id)
                     .values(ended_at=now, ended_reason=reason))
        return None
    if now - row.last_seen_at >= min(TOUCH_INTERVAL, _idle_limit() / 10):
        _write_apart(update(LoginSession).where(LoginSession.id == row.id)
                     .values(last_seen_at=now))
    user = db.get(User, row.user_id)
    if user is not None:
        user.session_token = token
    return user


def _write_apart(statement) -> None:
    """Touch or end the login record in a short transaction of its own. When the database
    cannot take it at once (SQLite's write lock held past the busy timeout), the request goes
    on without it: the touch is only needed every TOUCH_INTERVAL, and an ended login is
    refused whether its end was written or not."""
    try:
        with get_engine().begin() as connection:
            connection.execute(statement)
    except OperationalError as error:
        logging.getLogger(__name__).warning(
            "login record not updated (%s)", type(error.orig).__name__)


def _expiry_reason(record, now: datetime) -> str | None:
    if now >= record.expires_at:
        return "expired"
    if now - record.last_seen_at >= _idle_limit():
        return "idle"
    return None


def end(db: Session, token: str | None, reason: str = "logout") -> None:
    if token:
        db.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _digest(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )


def end_all(db: Session, user: User, reason: str) -> int:
    """End every live session of a user; returns how many were ended."""
    result = db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return result.rowcount
