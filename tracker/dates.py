"""How dates and times are shown: one function for every page, print view and label, and
the template filter `dt` that calls it (`{{ session.signed_at|dt("date_time") }}`).

Stored times are UTC (aware datetimes) or the practice's wall-clock time (a session's start,
as the therapist typed it); dates are calendar dates. Every display goes through show(), so
that the practice's time zone is applied in one place."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask

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
    "time": "%H:%M",
}


def show(value: date | datetime | time | None, style: str = "date") -> str:
    """`value` in the named style; an empty string for None. An unknown style is a
    programming error (KeyError), never a silent fallback."""
    pattern = STYLES[style]
    if value is None:
        return ""
    return value.strftime(pattern)


def init_app(app: Flask) -> None:
    app.add_template_filter(show, "dt")
