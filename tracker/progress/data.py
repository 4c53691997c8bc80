"""Everything the progress page, the brief and the print views show, gathered with a fixed
number of queries whatever the number of sessions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.courses.models import Course
from tracker.courses.services import CoursePosition, course_position, dose_numbers, list_courses
from tracker.measures import instruments
from tracker.measures import services as measures
from tracker.measures.models import MeasureResponse
from tracker.measures.services import ScoredResponse
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)


@dataclass
class Row:
    """One thread (strategy, belief or theme) and what each session recorded about it."""

    record: object
    cells: dict[int, object] = field(default_factory=dict)  # session id -> review/rating/...


class SessionLabel(NamedTuple):
    title: str  # "Dosing 3", "Integration after dose 3"
    date: str  # "05 Dec 2026"
    short: str  # "05 Dec"


@dataclass
class Progress:
    patient: Patient
    courses: list[Course]
    course: Course | None
    sessions: list[TherapySession]
    position: CoursePosition | None
    numbers: dict[int, int]
    today: date
    window_days: int
    measures: dict[str, list[ScoredResponse]]
    open_flags: list[MeasureResponse]
    beliefs: list[Row]
    strategies: list[Row]
    themes: list[Row]
    addenda: dict[int, int] = field(default_factory=dict)  # session id -> addenda (if any)
    # The course's sessions; more than `sessions` when only the last ones are shown (the
    # window, tracker/progress/recent.py), from the day `since` on.
    total_sessions: int = 0
    since: date | None = None

    @cached_property
    def labels(self) -> dict[int, SessionLabel]:
        """Each session's title and dates as the grids, tables and timeline show them, made
        once (a page repeats them)."""
        return {s.id: SessionLabel(s.kind_spec.title(self.numbers.get(s.id)),
                                   dates.show(s.starts_at), dates.show(s.starts_at, "short"))
                for s in self.sessions}

    def shows(self, day: date) -> bool:
        """Whether `day` is inside what this view shows (the window, if any)."""
        return self.since is None or day >= self.since

    @property
    def last_dosing(self) -> TherapySession | None:
        return self.position.last_dosing if self.position else None

    @property
    def days_since_dosing(self) -> int | None:
        last = self.last_dosing
        return (self.today - last.starts_at.date()).days if last else None

    @property
    def in_integration_window(self) -> bool:
        days = self.days_since_dosing
        return days is not None and 0 <= days <= self.window_days

    @cached_property
    def modified_strategy_ids(self) -> set[int]:
        """Strategies replaced by a new version ("modify"), not merely retired."""
        return {row.record.replaces_id for row in self.strategies if row.record.replaces_id}

    @property
    def dosing_sessions(self) -> list[TherapySession]:
        return [s for s in self.sessions if s.kind_spec.has_dosing]

    @cached_property
    def reviewed_sessions(self) -> list[TherapySession]:
        """Sessions with any thread recorded: the columns of the grids."""
        used = {sid for rows in (self.beliefs, self.strategies, self.themes)
                for row in rows for sid in row.cells}
        return [s for s in self.sessions if s.id in used]


def gather(db: Session, patient: Patient, *, course_id: int | None, now: datetime,
           window_days: int, threads: bool = True) -> Progress:
    """now: sessions documented ahead of time (a dosing note opened early) are shown in the
    timeline but do not count as done. threads=False leaves out the session-by-session
    history of beliefs, strategies and themes (the brief shows their last values only)."""
    today = now.date()
    courses = list_courses(db, patient)  # newest first, with sessions and addenda
    course = next((c for c in courses if c.id == course_id), courses[0] if courses else None)
    sessions = sorted(course.sessions, key=lambda s: (s.starts_at, s.id)) if course else []
    session_ids = [s.id for s in sessions]
    responses = measures.responses_of(db, patient)
    scored = measures.interpret(responses)
    by_instrument: dict[str, list[ScoredResponse]] = defaultdict(list)
    for item in scored:
        if course is not None and item.response.course_id == course.id:
            by_instrument[item.response.instrument].append(item)
    return Progress(
        patient=patient, courses=courses, course=course, sessions=sessions,
        position=course_position(course, [s for s in sessions if s.starts_at <= now])
        if course else None,
        numbers=dose_numbers(sessions), today=today, window_days=window_days,
        measures={code: by_instrument[code] for code in instruments.codes()
                  if by_instrument.get(code)},
        open_flags=measures.open_safety_flags(responses),
        beliefs=_rows(db, Belief, BeliefRating, BeliefRating.belief_id, patient, session_ids)
        if threads else [],
        strategies=_strategy_rows(db, patient, session_ids) if threads else [],
        themes=_rows(db, Theme, ThemeMention, ThemeMention.theme_id, patient, session_ids)
        if threads else [],
        addenda={s.id: len(s.addenda) for s in sessions if s.addenda},
        total_sessions=len(sessions),
    )


def _rows(db: Session, model, row_model, item_column, patient: Patient,
          session_ids: list[int]) -> list[Row]:
    """Items that appeared in, or were recorded in, these sessions; two queries."""
    records = db.scalars(select(model).where(model.patient_id == patient.id)
                         .order_by(model.id)).all()
    cells = db.scalars(select(row_model).where(row_model.session_id.in_(session_ids))).all()
    by_item: dict[int, dict[int, object]] = defaultdict(dict)
    for cell in cells:
        by_item[getattr(cell, item_column.key)][cell.session_id] = cell
    wanted = set(session_ids)
    return [Row(record, by_item.get(record.id, {})) for record in records
            if record.id in by_item or record.first_session_id in wanted]


def _strategy_rows(db: Session, patient: Patient, session_ids: list[int]) -> list[Row]:
    """Strategies with their reviews, each version right after the one it replaced."""
    return in_lineage_order(_rows(db, Strategy, StrategyReview, StrategyReview.strategy_id,
                                  patient, session_ids))


def in_lineage_order(rows: list[Row]) -> list[Row]:
    """Strategy rows (by id) with each version right after the one it replaced."""
    children = {row.record.replaces_id: row for row in rows if row.record.replaces_id}
    present = {row.record.id for row in rows}
    ordered: list[Row] = []
    for row in rows:
        if row.record.replaces_id in present:
            continue  # Placed after its predecessor.
        current = row
        while current is not None:
            ordered.append(current)
            current = children.get(current.record.id)
    return ordered
