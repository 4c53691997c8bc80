"""Server-side login sessions.

The signed Flask cookie carries only a random token. Its SHA-256 identifies a LoginSession
row, which is what makes a cookie valid: ending the row (logout, disabled account, password
change, idle or absolute timeout) makes every copy of the cookie useless at once.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker import settings_store
from tracker.auth.models import LoginSession, User
from tracker.db import get_engine, reads_only, utcnow

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


@functools.cache
def _sign_in_statement():
    """The whole sign-in check of a request, one SELECT: the account, its live login record
    (by the token's hash) and the practice settings nearly every request asks (the
    two-factor requirement, tracker/access.py; the practice's time zone, tracker/dates.py).
    Built once: making the statement costs more than running it."""
    return (
        select(User, LoginSession.id, LoginSession.last_seen_at, LoginSession.expires_at,
               *settings_store.stored_with_sign_in())
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == bindparam("token_hash"),
               LoginSession.ended_at.is_(None))
    )


def resume(db: Session, token: str) -> User | None:
    """The user behind a live session token, or None: one statement in the request's own
    Session (the account is then loaded there, as any view would load it).

    The login record is written only when it must be: ended when it is found idle, expired
    or of a disabled account, and touched (last_seen_at) at most every TOUCH_INTERVAL (see
    _record)."""
    if not token or len(token) > 128:
        return None
    row = db.execute(_sign_in_statement(), {"token_hash": _digest(token)}).first()
    if row is None:
        return None
    user, login_id, last_seen_at, expires_at, *settings = row
    now = utcnow()
    reason = _expiry_reason(last_seen_at, expires_at, now) or (
        "disabled" if user.is_disabled else None)
    if reason is not None:
        _record(db, update(LoginSession).where(LoginSession.id == login_id)
                .values(ended_at=now, ended_reason=reason))
        return None
    if now - last_seen_at >= min(TOUCH_INTERVAL, _idle_limit() / 10):
        _record(db, update(LoginSession).where(LoginSession.id == login_id)
                .values(last_seen_at=now))
        session.modified = True  # The cookie's own age starts again with the record's.
    settings_store.remember(settings)
    user.session_token = token
    return user


def _record(db: Session, statement) -> None:
    """Touch or end the login record. A request that only reads (GET; its transaction holds
    no lock) writes it apart, in a short transaction of its own. One that may write holds
    SQLite's write lock already (a transaction apart would wait for it): the statement joins
    the request's own transaction, and is committed with its work; when the request commits
    nothing, the next request does it again (an ended login is refused whether its end was
    written or not, and a touch is only needed every TOUCH_INTERVAL)."""
    if reads_only():
        _write_apart(statement)
    else:
        db.execute(statement)


def _write_apart(statement) -> None:
    """When the database cannot take it at once (SQLite's write lock held past the busy
    timeout), the request goes on without it."""
    try:
        with get_engine().begin() as connection:
            connection.execute(statement)
    except OperationalError as error:
        logging.getLogger(__name__).warning(
            "login record not updated (%s)", type(error.orig).__name__)


def _expiry_reason(last_seen_at: datetime, expires_at: datetime, now: datetime) -> str | None:
    if now >= expires_at:
        return "expired"
    if now - last_seen_at >= _idle_limit():
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
