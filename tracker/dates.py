"""Time in the practice's zone: what "today" is, and how dates and times are shown.

Stored times are UTC (aware datetimes); a session's start is the practice's wall-clock time
as the therapist typed it (naive); dates are calendar dates. The zone is the signed-in
account's own if it chose one, else the practice's (Practice settings, else the
PRACTICE_TIMEZONE setting, else the server's zone). Every "today", date default, date
check and display asks this module, and templates show values through the `dt` filter
(`{{ session.signed_at|dt("date_time") }}`), which converts UTC to that zone and names it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, current_app, g, has_app_context, has_request_context

# Style name -> strftime format. Pages use the names, never a format of their own.
STYLES = {
    "date": "%d %b %Y",  # 05 Dec 2026
    "short": "%d %b",  # 05 Dec
    "iso": "%Y-%m-%d",  # 2026-12-05: tables and lists that sort by eye
    "date_time": "%d %b %Y %H:%M",
    "short_time": "%d %b %H:%M",
    "iso_time": "%Y-%m-%d %H:%M",
    "iso_seconds": "%Y-%m-%d %H:%M:%S",
    "weekday_time": "%a %d %b %Y, %H:%M",  # Fri 05 Dec 2026, 10:00: a session's start
    "weekday": "%A %d %b",  # Friday 05 Dec: a day the patient picks
    "time": "%H:%M",
}
_WITH_TIME = frozenset(name for name, pattern in STYLES.items() if "%H" in pattern)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (for the zone choices)."""
    return tuple(sorted(available_timezones()))


def is_zone(name: object) -> bool:
    if not isinstance(name, str) or not name or name not in zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def server_zone_name() -> str:
    """The server's own zone by IANA name (UTC when it cannot be told)."""
    from tzlocal import get_localzone_name

    try:
        name = get_localzone_name()
    except Exception:  # noqa: BLE001 (tzlocal raises several kinds on odd systems)
        return "UTC"
    return name if is_zone(name) else "UTC"


def practice_zone_name() -> str:
    """The practice's zone: Practice settings, else PRACTICE_TIMEZONE, else the server's."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracker import settings_store
    from tracker.db import get_db

    try:
        stored = settings_store.for_this_request(get_db(), settings_store.TIMEZONE)
    except SQLAlchemyError:  # A page about a failing database still shows its times.
        stored = None
    return stored or current_app.config.get("PRACTICE_TIMEZONE") or server_zone_name()


def zone() -> tzinfo:
    """The zone of the current request (computed once per request)."""
    if not has_app_context():
        return UTC
    if "tracker_zone" not in g:
        g.tracker_zone = ZoneInfo(_zone_name())
    return g.tracker_zone


def _zone_name() -> str:
    if has_request_context():
        from flask_login import current_user

        own = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
        if is_zone(own):
            return own
    return practice_zone_name()


def _clock() -> datetime:
    """The current UTC time (tests move it to either end of a day)."""
    return datetime.now(UTC)


def now() -> datetime:
    """Now, aware, in the zone."""
    return _clock().astimezone(zone())


def today() -> date:
    return now().date()


def wall_clock_now() -> datetime:
    """Now as the practice's wall-clock time (naive), comparable with a session's start."""
    return now().replace(tzinfo=None)


def local(value: datetime) -> datetime:
    """An aware (UTC) time in the zone; a naive one (wall-clock already) as it is."""
    return value.astimezone(zone()) if value.tzinfo is not None else value


def show(value: date | datetime | time | None, style: str = "date") -> str:
    """`value` in the named style, in the zone; a stored UTC time with a clock time also
    names the zone ("05 Dec 14:30 NZDT"). An empty string for None. An unknown style is a
    programming error (KeyError), never a silent fallback."""
    pattern = STYLES[style]
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        shown = local(value)
        text = shown.strftime(pattern)
        return f"{text} {shown.tzname()}" if style in _WITH_TIME else text
    return value.strftime(pattern)


def init_app(app: Flask) -> None:
    app.add_template_filter(show, "dt")
