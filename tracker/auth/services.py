"""Account rules: authentication, creation, password changes, enabling and disabling.
(Two-factor login: tracker/auth/two_factor.py.)"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.auth import login_sessions, passwords
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.forms import clean_text


class AccountError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


class WrongPassword(AccountError):
    """Re-authentication failed."""


def normalize_email(email: str) -> str:
    """The one normalisation used by login, account lookup and the rate-limit key."""
    return clean_text(email or "").lower()


def find_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The enabled account with this email and password, or None (same cost either way)."""
    row = db.execute(select(User.id, User.password_hash, User.is_disabled)
                     .where(User.email == normalize_email(email))).first()
    db.rollback()  # Only a read so far: release the database before the slow hash.
    ok = passwords.verify_password(row.password_hash if row else None, password)
    if not ok or row is None or row.is_disabled:
        return None
    user = db.get(User, row.id)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def finish_login(db: Session, user: User) -> None:
    """Sign the account in after every factor it has was checked (the caller commits)."""
    user.last_login_at = utcnow()
    login_sessions.sign_in(db, user)


def create_user(
    db: Session,
    *,
    email: str,
    name: str,
    password: str,
    is_admin: bool = False,
    must_change_password: bool = False,
) -> User:
    email = normalize_email(email)
    if db.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("An account with this email already exists.")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        is_admin=is_admin,
        must_change_password=must_change_password,
    )
    try:
        with db.begin_nested():  # Another request may have taken the email meanwhile.
            db.add(user)
    except IntegrityError as error:
        raise AccountError("An account with this email already exists.") from error
    return user


def check_password(db: Session, user: User, password: str) -> bool:
    """Re-authentication: is this the account's current password? Nothing may have been
    changed in this transaction yet: it is ended before the slow hash, as in authenticate,
    since a POST's transaction holds SQLite's write lock from its first statement and
    guesses sent together would otherwise queue on it past the busy timeout."""
    password_hash = user.password_hash
    db.rollback()
    return passwords.verify_password(password_hash, password)


def change_own_password(db: Session, user: User, current: str, new: str) -> None:
    """The account holder's change: the current password is required (re-authentication)."""
    if not check_password(db, user, current):
        raise WrongPassword("This is not your current password.")
    if new == current:
        raise AccountError("Choose a password different from the current one.")
    set_password(db, user, new)


def set_password(db: Session, user: User, new_password: str, *, must_change: bool = False) -> None:
    """Replace the password and end every login session of the account."""
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    login_sessions.end_all(db, user, "password_changed")


def set_disabled(db: Session, actor: User, user: User, disabled: bool) -> None:
    if user.id == actor.id and disabled:
        raise AccountError("You cannot disable your own account.")
    user.is_disabled = disabled
    if disabled:
        login_sessions.end_all(db, user, "disabled")
