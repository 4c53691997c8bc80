"""When a questionnaire scheduled for home is due (pure: dates in, dates out).

A schedule's due dates:
- "once": its start date;
- "every": its start date, then every N days;
- "after_dosing": N days after each dosing session from its start date on;
- "before_session": N days before the next planned session.

The questionnaire is due from the latest due date that has come until the next one (when it
expires), unless it was answered at home since that due date. Nothing is due before the
schedule starts or once it has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

OVERDUE_DAYS = 3  # Due for longer than this: "overdue" on the therapist's list.


@dataclass(frozen=True)
class Due:
    schedule_id: int
    instrument: str
    due_on: date
    expires_on: date | None  # The next due date, when there is one.

    def overdue(self, today: date) -> bool:
        return (today - self.due_on).days > OVERDUE_DAYS


def due_dates(rule: str, days: int, starts_on: date, *, today: date,
              dosing_days: Iterable[date] = (), next_session_on: date | None = None
              ) -> tuple[date | None, date | None]:
    """(the latest due date on or before today, the next one after it), either None."""
    if rule == "once":
        return (starts_on, None) if starts_on <= today else (None, starts_on)
    if rule == "every":
        step = max(days, 1)
        if today < starts_on:
            return None, starts_on
        latest = starts_on + timedelta(days=(today - starts_on).days // step * step)
        return latest, latest + timedelta(days=step)
    if rule == "after_dosing":
        dates = sorted({d + timedelta(days=days) for d in dosing_days if d >= starts_on})
        past = [d for d in dates if d <= today]
        coming = [d for d in dates if d > today]
        return (past[-1] if past else None), (coming[0] if coming else None)
    if rule == "before_session":
        if next_session_on is None:
            return None, None
        due = max(next_session_on - timedelta(days=days), starts_on)
        return (due, next_session_on) if due <= today < next_session_on else (None, None)
    raise ValueError(f"unknown schedule rule {rule!r}")


def due(schedule_id: int, instrument: str, rule: str, days: int, starts_on: date, *,
        today: date, answered_on: Iterable[date], dosing_days: Iterable[date] = (),
        next_session_on: date | None = None) -> Due | None:
    """The questionnaire due now under this schedule, or None (answered since it fell due,
    or not due)."""
    latest, following = due_dates(rule, days, starts_on, today=today, dosing_days=dosing_days,
                                  next_session_on=next_session_on)
    if latest is None or any(day >= latest for day in answered_on):
        return None
    return Due(schedule_id, instrument, latest, following)
