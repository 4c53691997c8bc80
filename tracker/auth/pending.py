"""The half-finished sign-in of an account with two-factor login.

After the right password the browser is not signed in yet: its (signed) Flask session holds
only the account id and when the password was accepted. The code step completes the sign-in
within TWO_FACTOR_PENDING_SECONDS (five minutes by default); after that, or once the
account was disabled, lost its two-factor login or changed its password, the marker is
worthless and the password is asked again.
"""

from __future__ import annotations

import time

from flask import current_app, session
from sqlalchemy.orm import Session

from tracker.auth.models import User

KEY = "two_factor_pending"


def start(user: User) -> None:
    """Remember that this browser gave the account's password; nothing else survives."""
    session.clear()
    session[KEY] = {"user_id": user.id, "issued_at": time.time()}


def clear() -> None:
    session.pop(KEY, None)


def present() -> bool:
    return KEY in session


def _marker() -> tuple[int, float] | None:
    marker = session.get(KEY)
    if not isinstance(marker, dict):
        return None
    user_id, issued_at = marker.get("user_id"), marker.get("issued_at")
    if type(user_id) is not int or type(issued_at) not in (int, float):
        return None
    age = time.time() - issued_at
    if not 0 <= age <= current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        return None
    return user_id, issued_at


def user_id() -> int | None:
    """The account of a live marker (for the rate limit's key: no database read)."""
    marker = _marker()
    return marker[0] if marker else None


def load_user(db: Session) -> User | None:
    """The account waiting for its code, or None when the marker is missing or stale."""
    marker = _marker()
    if marker is None:
        return None
    user = db.get(User, marker[0])
    if user is None or user.is_disabled or not user.has_two_factor:
        return None
    if user.password_changed_at.timestamp() > marker[1]:
        return None  # The password changed after it was given here.
    return user
