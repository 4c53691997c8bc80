"""Practice settings that administrators change in the app (stored in the database, so that
every app server sees the same value at once). Settings that an operator sets before the app
starts stay in tracker/config.py.

Each known setting has a default and a type here; a missing row means the default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def get_setting(db: Session, key: str) -> Any:
    """The stored value, or the default when none was stored (one small query)."""
    _check(key)
    value = db.scalar(select(PracticeSetting.value).where(PracticeSetting.key == key))
    if value is None or type(value) is not type(DEFAULTS[key]):
        return DEFAULTS[key]
    return value


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
