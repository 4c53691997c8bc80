"""Practice settings that administrators change in the app (stored in the database, so that
every app server sees the same value at once). Settings that an operator sets before the app
starts stay in tracker/config.py.

Each known setting has a default and a type here; a missing row means the default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import JSON, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.db import Base, UTCDateTime, utcnow

REQUIRE_TWO_FACTOR = "require_two_factor"
TIMEZONE = "timezone"  # The practice's IANA zone; "" is PRACTICE_TIMEZONE or the server's.

# name -> default value (its type is the setting's type).
DEFAULTS: dict[str, Any] = {
    REQUIRE_TWO_FACTOR: False,  # The demo leaves it off, so that signing in is one step.
    TIMEZONE: "",
}


class PracticeSetting(Base):
    __tablename__ = "practice_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<PracticeSetting key={self.key}>"


def _check(key: str, value: Any = None, *, checking_value: bool = False) -> None:
    if key not in DEFAULTS:
        raise KeyError(f"unknown practice setting {key!r}")
    expected = type(DEFAULTS[key])
    if checking_value and type(value) is not expected:
        raise TypeError(f"{key} takes a {expected.__name__}, not {type(value).__name__}")


def _checked(key: str, value: Any) -> Any:
    """The setting's value from what was stored: the default when nothing (or a value of
    another type) was."""
    if value is None or type(value) is not type(DEFAULTS[key]):
        return DEFAULTS[key]
    return value


def get_setting(db: Session, key: str) -> Any:
    """The stored value, or the default when none was stored (one small query)."""
    _check(key)
    return _checked(key, db.scalar(select(PracticeSetting.value)
                                   .where(PracticeSetting.key == key)))


# What nearly every signed-in request asks: read with the sign-in, in its one statement
# (tracker/auth/login_sessions.py), instead of one query each.
WITH_SIGN_IN = (REQUIRE_TWO_FACTOR, TIMEZONE)


def stored_with_sign_in() -> list:
    """The WITH_SIGN_IN settings as scalar subqueries (NULL when none was stored)."""
    return [select(PracticeSetting.value).where(PracticeSetting.key == key)
            .scalar_subquery().label(key) for key in WITH_SIGN_IN]


def remember(values) -> None:
    """What the sign-in read of the WITH_SIGN_IN settings, for the rest of the request."""
    g.practice_settings = {key: _checked(key, value) for key, value in zip(WITH_SIGN_IN, values,
                                                                          strict=True)}


def for_this_request(db: Session, key: str) -> Any:
    """A setting as this request's sign-in read it, or read now (a request without a
    signed-in account, or another setting). Not for a request that changes it."""
    known = g.get("practice_settings") if has_request_context() else None
    return known[key] if known and key in known else get_setting(db, key)


def set_setting(db: Session, key: str, value: Any) -> None:
    """Store a value (the caller commits)."""
    _check(key, value, checking_value=True)
    row = db.get(PracticeSetting, key)
    if row is not None:
        row.value = value
        return
    try:
        with db.begin_nested():  # Another admin may have stored it meanwhile.
            db.add(PracticeSetting(key=key, value=value))
    except IntegrityError:
        db.get(PracticeSetting, key, populate_existing=True).value = value


def two_factor_required(db: Session) -> bool:
    return bool(get_setting(db, REQUIRE_TWO_FACTOR))


def two_factor_required_now(db: Session) -> bool:
    """As this request's sign-in read it (tracker/access.py)."""
    return bool(for_this_request(db, REQUIRE_TWO_FACTOR))
