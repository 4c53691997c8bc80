"""The figures of what the patient reported between sessions (tracker.checkins.reports): the
mood chart, the practice calendar per strategy and the practice per period between
sessions. All of it is patient-reported, and the pages say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from markupsafe import Markup

from tracker import dates
from tracker.checkins.reports import PRACTISED_DAYS, Practice, Report
from tracker.progress import charts

CALENDAR_WEEKS = 8  # The practice calendar's recent weeks.
MARKS = {"yes": "●", "little": "◐", "no": "○"}  # Shown with the answer's words beside.


def mood_chart(report: Report, chart_id: str, *, start: date | None = None,
               markers: list[charts.Marker] = (), compact: bool = False) -> Markup | None:
    """Mood 0-10 as the patient reported it, day by day (None without a check-in)."""
    mood = report.mood
    if not mood:
        return None
    start = start or report.after + timedelta(days=1)
    low, high = min(v for _, v in mood), max(v for _, v in mood)
    description = (f"Mood, 0 to 10, patient-reported in {len(mood)} check-ins from "
                   f"{dates.show(mood[0][0], 'short')} to {dates.show(mood[-1][0], 'short')}: "
                   f"from {low} to {high}, last {mood[-1][1]}. The same numbers are in the "
                   "table below.")
    draw = charts.small_multiple if compact else charts.line_chart
    extra = {} if compact else {"height": 200}
    return draw(chart_id=chart_id, title="Mood (patient-reported)", description=description,
                series=[charts.Series(name="Mood (patient-reported)", key="mood",
                                      points=[charts.Point(when=d, value=v) for d, v in mood])],
                y_min=0, y_max=10, start=start, end=report.through, markers=list(markers),
                y_label="Mood", **extra)


class Day(NamedTuple):  # A tuple: a calendar has a few hundred of them.
    day: date
    answer: str | None  # "yes", "little", "no"; None: no answer that day
    in_range: bool  # False: before the range or after its last day (left blank)

    @property
    def mark(self) -> str:
        return MARKS.get(self.answer or "", "")


class Week(NamedTuple):
    monday: str  # Its Monday, as the page shows it ("05 Dec")
    days: list[Day]  # Monday first
    practised: int  # Days practised: "yes" or "a little"
    answered: bool  # Any answer (else the page draws seven blank days at once)


@dataclass(frozen=True)
class CalendarRow:
    strategy: object  # tracker.threads.models.Strategy
    weeks: list[Week]
    practice: Practice  # Over the calendar's days


def calendar(report: Report, strategies: list, today: date,
             weeks: int = CALENDAR_WEEKS) -> tuple[date, list[CalendarRow]]:
    """Per strategy, the last `weeks` weeks (Monday to Sunday, this week last) of answers.
    Returns the first Monday and the rows."""
    monday = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    window = report.period(monday - timedelta(days=1), today)
    days = [[monday + timedelta(days=7 * w + d) for d in range(7)] for w in range(weeks)]
    labels = [dates.show(week[0], "short") for week in days]
    rows = []
    for strategy in strategies:
        practice = window.practice_of(strategy.id)
        grid = []
        for label, week in zip(labels, days, strict=True):
            answers = [practice.by_day.get(day) for day in week]
            grid.append(Week(label, [Day(day, answer, day <= today)
                                     for day, answer in zip(week, answers, strict=True)],
                             sum(1 for a in answers if a in PRACTISED_DAYS), any(answers)))
        rows.append(CalendarRow(strategy, grid, practice))
    return monday, rows


@dataclass(frozen=True)
class Period:
    after: date
    through: date
    report: Report


def periods(report: Report, session_days: list[date], today: date) -> list[Period]:
    """The ranges between consecutive sessions (and from the last one to today) that hold a
    check-in: the print's practice figures, period by period."""
    days = sorted({d for d in session_days if d <= today})
    bounds = list(zip(days, [*days[1:], today], strict=True)) if days else [(report.after,
                                                                             today)]
    found = []
    for after, through in bounds:
        part = report.period(after, through)
        if part.checkin_days and through > after:
            found.append(Period(after, through, part))
    return found


@dataclass(frozen=True)
class HomeView:
    """The progress page's part of what the patient reported."""

    report: Report
    strategies: list  # The course's strategies that are active or have answers
    calendar_from: date
    calendar: list[CalendarRow]
    periods: list[Period]
    mood: Markup | None


def home_view(db, progress, weeks: int = CALENDAR_WEEKS) -> HomeView:
    """Check-ins from the course's start, or the first day its window shows (and at least the
    calendar's weeks), up to today: one query."""
    from tracker.checkins.reports import mood_and_practice
    from tracker.progress.figures import dosing_markers

    today = progress.today
    start = today - timedelta(weeks=weeks)
    if progress.course is not None:
        start = min(start, progress.since or progress.course.start_date)
    report = mood_and_practice(db, progress.patient.id, start - timedelta(days=1), today)
    strategies = [row.record for row in progress.strategies
                  if row.record.status == "active" or row.record.id in report.strategy_ids]
    monday, rows = calendar(report, strategies, today, weeks)
    return HomeView(report=report, strategies=strategies, calendar_from=monday, calendar=rows,
                    periods=periods(report, [s.starts_at.date() for s in progress.sessions],
                                    today),
                    mood=mood_chart(report, "chart-mood", start=start,
                                    markers=dosing_markers(progress)))
