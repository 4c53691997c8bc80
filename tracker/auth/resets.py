"""An administrator's password reset, without giving the administrator the account.

- The administrator never sees or chooses a password: a reset makes the old one unusable,
  ends every session of the account, and gives a one-time set-password link (256 random
  bits; only its SHA-256 is stored; RESET_LINK_HOURS, 24 by default; a newer link voids
  older ones) to hand to the account holder.
- When the account has two-factor login, the link sets a password only together with a
  current code from the holder's authenticator app, or one of their recovery codes: the
  administrator, who has the link, has neither (wrong codes are 401, rate-limited per
  account by tracker/limits.py).
- When no factor of the holder's is left (the account never set up two-factor login, or
  an administrator reset it too), the link still sets the password, but the account is in
  recovery: it opens no patient record until another administrator, whose account existed
  before the reset, confirms the holder. For RESET_WATCH_DAYS after that, every page of
  patient data it sees is audited as "reset …" and listed on the patient's care-team page.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.auth import login_sessions, two_factor
from tracker.auth.models import PasswordReset, User
from tracker.auth.services import AccountError, set_password
from tracker.db import utcnow


class LinkInvalid(AccountError):
    """The link is unknown, used or expired."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db: Session, admin: User, user: User) -> str:
    """Reset the account's password; returns the raw token of its set-password link (shown
    once; the caller commits)."""
    if admin.id == user.id:
        raise AccountError("Change your own password from your account page.")
    now = utcnow()
    db.execute(update(PasswordReset)  # A newer link voids the ones not yet used.
               .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
                      PasswordReset.expires_at > now)
               .values(expires_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_LINK_HOURS"]
    db.add(PasswordReset(user_id=user.id, created_by_id=admin.id, token_hash=_digest(token),
                         created_at=now, expires_at=now + timedelta(hours=hours)))
    # Nobody knows the new password: the old one stops working, and so does every session.
    set_password(db, user, secrets.token_urlsafe(32))
    db.flush()
    return token


def find(db: Session, token: str | None) -> PasswordReset | None:
    """The live reset of this link's token, or None."""
    if not token or len(token) > 128:
        return None
    reset = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def user_id_for(db: Session, token: str | None) -> int | None:
    """The account a live link belongs to (the rate limit's key)."""
    reset = find(db, token)
    return reset.user_id if reset is not None else None


def use(db: Session, reset: PasswordReset, new_password: str, code: str | None) -> User:
    """Set the holder's password through the link (the caller commits). With two-factor
    login on the account, `code` must be one of the holder's; without, the account enters
    recovery (see the module's docstring)."""
    user = db.get(User, reset.user_id)
    if user is None or user.is_disabled:
        raise LinkInvalid("This link is not valid.")
    if user.has_two_factor:
        if two_factor.verify_second_factor(db, user, code) is None:
            raise two_factor.WrongCode("This code is not correct, or it was already used.")
        reset.without_factor = False
        user.recovery_reset_id = None
        user.recovery_approved_at = None
    else:
        reset.without_factor = True
        user.recovery_reset_id = reset.id
        user.recovery_approved_at = None
    reset.used_at = utcnow()
    set_password(db, user, new_password)
    return user


def approve(db: Session, admin: User, user: User) -> PasswordReset:
    """Another administrator confirms that the account in recovery is its holder's."""
    reset = db.get(PasswordReset, user.recovery_reset_id) if user.recovery_reset_id else None
    if reset is None or user.recovery_approved_at is not None:
        raise AccountError(f"{user.name}'s account is not waiting for a confirmation.")
    if admin.id in (reset.created_by_id, user.id) or admin.created_at >= reset.created_at:
        raise AccountError("Another administrator, whose account is older than the reset, "
                           "must confirm it: not the one who reset it, nor the account.")
    now = utcnow()
    reset.approved_by_id, reset.approved_at = admin.id, now
    user.recovery_approved_at = now
    login_sessions.end_all(db, user, "recovery_approved")  # Pages open on a fresh sign-in.
    db.flush()
    return reset


def records_closed(user: User) -> bool:
    """In recovery and not confirmed yet: no patient record opens."""
    return user.recovery_reset_id is not None and user.recovery_approved_at is None


def watched(user: User) -> bool:
    """In recovery (confirmed or not) and within the watch: reads are audited as "reset"."""
    if user.recovery_reset_id is None:
        return False
    if user.recovery_approved_at is None:
        return True
    days = current_app.config["RESET_WATCH_DAYS"]
    return utcnow() < user.recovery_approved_at + timedelta(days=days)

