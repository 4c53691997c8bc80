"""Two-factor login: TOTP codes (RFC 6238) from an authenticator app, and one-time recovery
codes.

- A code is accepted once only. Each account remembers the time step of the last code it
  accepted, and a code counts only for a later step; the step is claimed by one conditional
  UPDATE, so that two requests racing with the same code cannot both win (on PostgreSQL the
  second waits for the first's row lock and then finds the step taken; SQLite writers are
  serialised by BEGIN IMMEDIATE).
- One step of clock drift either way is tolerated (valid_window=1, as pyotp calls it).
- Recovery codes are 16 characters of base32: 80 random bits. They are stored as SHA-256
  digests rather than argon2 hashes: slow hashing protects guessable secrets (passwords),
  and no amount of hashing speed makes 2^80 candidates searchable, while an unsalted digest
  lets a code be found and spent with one conditional UPDATE (argon2 would mean verifying
  each of the ten salted hashes in turn, at the cost of ten password checks per attempt).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tracker import qr
from tracker.auth import login_sessions
from tracker.auth.models import RecoveryCode, User
from tracker.auth.services import AccountError, WrongPassword, check_password
from tracker.db import utcnow

INTERVAL = 30  # seconds per time step (RFC 6238 default; what authenticator apps use)
DIGITS = 6
VALID_WINDOW = 1  # steps of clock drift accepted either way
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 16  # base32 characters: 80 bits
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

_SEPARATORS = re.compile(r"[\s\-]+")


class WrongCode(AccountError):
    """The code was wrong, expired or already used."""


class NotEnrolled(AccountError):
    """The account has no two-factor login to act on."""


class AlreadyEnrolled(AccountError):
    """Two-factor login is already on (turning it off first requires re-authentication)."""


def _normalise(code: str | None) -> str:
    """What people type: spaces and dashes anywhere, lower case."""
    return _SEPARATORS.sub("", code or "").upper()


# TOTP ----------------------------------------------------------------------------------

def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def current_step(now: float | None = None) -> int:
    return int(time.time() if now is None else now) // INTERVAL


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step within the window that this code belongs to, if later than `after`."""
    if not re.fullmatch(rf"[0-9]{{{DIGITS}}}", code):  # ASCII only: \d takes any script.
        return None
    totp = _totp(secret)
    now = current_step()
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_totp(db: Session, user: User, code: str | None) -> bool:
    """True when `code` is the account's current TOTP code and was not used before; the step
    is then recorded (the caller commits)."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, _normalise(code), user.totp_last_step)
    if step is None:
        return False
    claimed = db.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False  # Another request used this step first.
    set_committed_value(user, "totp_last_step", step)  # Already written by the UPDATE.
    return True


# Recovery codes ------------------------------------------------------------------------

def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _format(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _new_recovery_codes(db: Session, user: User) -> list[str]:
    """Replace every recovery code of the account with ten new ones; returns them formatted
    for display (the only time they exist in clear)."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(BASE32) for _ in range(RECOVERY_CODE_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    db.flush()
    return [_format(code) for code in codes]


def use_recovery_code(db: Session, user: User, code: str | None) -> bool:
    """Spend one unused recovery code of this account (the caller commits)."""
    # Base32 has no 0 or 1: someone who typed them meant O and I.
    text = _normalise(code).replace("0", "O").replace("1", "I")
    if len(text) != RECOVERY_CODE_LENGTH or not re.fullmatch(r"[A-Z2-7]+", text):
        return False
    spent = db.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(text),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return spent == 1


def recovery_codes_left(db: Session, user: User) -> int:
    return db.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify_second_factor(db: Session, user: User, code: str | None) -> str | None:
    """"totp" or "recovery" when the code is accepted (and now used up), else None."""
    if not user.has_two_factor:
        return None
    if accept_totp(db, user, code):
        return "totp"
    if use_recovery_code(db, user, code):
        return "recovery"
    return None


# Enrolment and its end -----------------------------------------------------------------

def begin_enrolment(db: Session, user: User) -> str:
    """A fresh secret for the account, not yet in force (the caller commits)."""
    if user.has_two_factor:
        raise AlreadyEnrolled("Two-factor login is already on.")
    user.totp_secret = pyotp.random_base32()
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    return user.totp_secret


def confirm_enrolment(db: Session, user: User, code: str | None) -> list[str]:
    """Turn two-factor login on once a current code from the new secret is entered; returns
    the recovery codes to show once. Every login session of the account ends (the caller
    starts a fresh one for this browser)."""
    if user.has_two_factor:
        raise AlreadyEnrolled("Two-factor login is already on.")
    if not user.totp_secret:
        raise NotEnrolled("Start the set-up first.")
    if not accept_totp(db, user, code):
        raise WrongCode("This code is not correct. Check that the time on your phone is "
                        "right and enter the code now shown.")
    user.two_factor_enabled_at = utcnow()
    codes = _new_recovery_codes(db, user)
    login_sessions.end_all(db, user, "two_factor_enabled")
    return codes


def reauthenticate(db: Session, user: User, password: str, code: str) -> None:
    """The account holder proves both factors again: the current password and a code (a
    code from the app, or a recovery code, which is then used up)."""
    if not user.has_two_factor:
        raise NotEnrolled("Two-factor login is not on.")
    if not check_password(db, user, password):
        raise WrongPassword("This is not your current password.")
    if verify_second_factor(db, user, code) is None:
        raise WrongCode("This code is not correct, or it was already used.")


def regenerate_recovery_codes(db: Session, user: User, password: str, code: str) -> list[str]:
    reauthenticate(db, user, password, code)
    return _new_recovery_codes(db, user)


def disable(db: Session, user: User, password: str, code: str) -> None:
    """The account holder turns two-factor login off (re-authenticated). Every login session
    of the account ends; the caller starts a fresh one for this browser."""
    reauthenticate(db, user, password, code)
    _clear(db, user)
    login_sessions.end_all(db, user, "two_factor_disabled")


def reset(db: Session, actor: User, user: User) -> None:
    """An administrator removes an account's two-factor login (a lost phone): every session
    of the account ends, and the account sets it up again after its next password sign-in."""
    if actor.id == user.id:
        raise AccountError("Turn your own two-factor login off from your account page.")
    if user.totp_secret is None and user.two_factor_enabled_at is None:
        raise NotEnrolled(f"{user.name} has no two-factor login to reset.")
    _clear(db, user)
    login_sessions.end_all(db, user, "two_factor_reset")


def _clear(db: Session, user: User) -> None:
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# Showing the secret ----------------------------------------------------------------------

def provisioning_uri(user: User, issuer: str) -> str:
    return _totp(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, as it is easier to type (apps ignore the spaces)."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (tracker/qr.py)."""
    return qr.qr_svg(uri, "QR code of the two-factor secret")
