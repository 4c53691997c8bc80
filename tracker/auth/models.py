"""Accounts and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow
from tracker.sealing import EncryptedText, encrypted

if TYPE_CHECKING:
    from tracker.patients.models import Patient


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The account's own time zone (IANA name); None: the practice's (tracker/dates.py).
    timezone: Mapped[str | None] = mapped_column(String(64))

    # Two-factor login (TOTP, RFC 6238; see tracker/auth/two_factor.py). The secret is set at
    # the start of enrolment and counts only once two_factor_enabled_at is set (a confirmed
    # code). Text, not String(n): it is to be stored encrypted, which makes it longer.
    # Encrypted at rest like the private notes: with it, anyone could make codes.
    totp_secret_sealed: Mapped[str | None] = mapped_column(
        "totp_secret", EncryptedText("users.totp_secret", binds=("id",)))
    totp_secret = encrypted("totp_secret_sealed")
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last accepted code: a code is accepted only for a later step, so
    # that each one works once (RFC 6238 section 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    # Set when an administrator's set-password link was used while the account had none of
    # its holder's factors left (tracker/auth/resets.py): patient records stay closed until
    # another administrator confirms the holder (recovery_approved_at), and the account's
    # reads are then audited as "reset …" for a while. (No foreign key: password_resets
    # refers to users already; the id names the PasswordReset.)
    recovery_reset_id: Mapped[int | None] = mapped_column(Integer)
    recovery_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    patients: Mapped[list[Patient]] = relationship(back_populates="therapist")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # The raw token of the login session this object was loaded through (never stored).
    session_token = None  # str | None; set per request by tracker.auth.login_sessions

    @property
    def has_two_factor(self) -> bool:
        """Sign-in asks for a code (enrolment was confirmed)."""
        return self.two_factor_enabled_at is not None and self.totp_secret is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in.
        return not self.is_disabled

    def get_id(self) -> str | None:
        """Flask-Login keeps this in the cookie: the login session token, not the user id,
        so that ending the server-side record ends the cookie too."""
        return self.session_token

    def __repr__(self) -> str:
        return f"<User id={self.id}>"


class LoginSession(Base):
    """One sign-in. The cookie carries the raw token; only its SHA-256 is stored here."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="login_sessions")

    def __repr__(self) -> str:
        return f"<LoginSession id={self.id} user_id={self.user_id}>"


class RecoveryCode(Base):
    """A one-time recovery code for two-factor login. Only its SHA-256 is stored: the codes
    are 80 random bits, so a fast hash cannot be searched back (see two_factor.py)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")

    def __repr__(self) -> str:
        return f"<RecoveryCode id={self.id} user_id={self.user_id}>"


class PasswordReset(Base):
    """An administrator's password reset: a one-time set-password link for the account
    holder. Only the SHA-256 of the link's token is stored; the administrator sees the link
    once and never a password."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Used without a second factor of the holder's: needs another administrator's approval.
    without_factor: Mapped[bool | None] = mapped_column(Boolean)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<PasswordReset id={self.id} user_id={self.user_id}>"
