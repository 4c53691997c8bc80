"""Courses: creation, loading with ownership, where a patient is in one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.courses.models import Course
from tracker.patients.models import Patient
from tracker.sessions.kinds import SessionKind, get_kind
from tracker.sessions.models import TherapySession


def list_courses(db: Session, patient: Patient) -> list[Course]:
    """The patient's courses, newest first, each with its sessions (one query for each)."""
    return list(db.scalars(
        select(Course).where(Course.patient_id == patient.id)
        .options(selectinload(Course.sessions).selectinload(TherapySession.addenda))
        .order_by(Course.start_date.desc(), Course.id.desc())
    ))


def get_course_or_404(db: Session, patient: Patient, course_id: int) -> Course:
    course = db.scalar(select(Course).where(Course.id == course_id,
                                            Course.patient_id == patient.id))
    if course is None:
        abort(404)
    return course


def create_course(db: Session, patient: Patient, data: dict) -> Course:
    course = Course(patient_id=patient.id, **data)
    db.add(course)
    db.flush()
    return course


def update_course(db: Session, course: Course, data: dict) -> None:
    for name, value in data.items():
        setattr(course, name, value)
    db.flush()


@dataclass(frozen=True)
class CoursePosition:
    """Where a patient is in a course: "dose 3 of 6"."""

    doses_done: int
    planned: int
    last_dosing: TherapySession | None

    @property
    def label(self) -> str:
        if not self.doses_done:
            return f"preparation, {self.planned} doses planned"
        return f"dose {self.doses_done} of {self.planned}"


@dataclass(frozen=True)
class SessionMark:
    """A session of a course as where another one stands needs it: four columns of its row,
    not the record (a course page's whereabouts read 200 of them)."""

    id: int
    kind: str
    starts_at: datetime
    follows_dosing_id: int | None

    @property
    def kind_spec(self) -> SessionKind:
        return get_kind(self.kind)


def course_marks(db: Session, course: Course) -> list[SessionMark]:
    """The course's sessions ordered by start, for course_position and dose_day."""
    return [SessionMark(*row) for row in db.execute(
        select(TherapySession.id, TherapySession.kind, TherapySession.starts_at,
               TherapySession.follows_dosing_id).where(TherapySession.course_id == course.id)
        .order_by(TherapySession.starts_at, TherapySession.id))]


def course_position(course: Course, sessions: list[TherapySession]) -> CoursePosition:
    """sessions: the course's sessions ordered by start."""
    dosing = [s for s in sessions if s.kind_spec.has_dosing]
    return CoursePosition(len(dosing), course.planned_dosing_sessions,
                          dosing[-1] if dosing else None)


def dose_numbers(sessions: list[TherapySession]) -> dict[int, int]:
    """Session id -> dose number, for dosing sessions and the integration sessions attached
    to them (sessions of one course, ordered by start)."""
    numbers: dict[int, int] = {}
    for session in sessions:
        if session.kind_spec.has_dosing:
            numbers[session.id] = len(numbers) + 1
    for session in sessions:
        if session.follows_dosing_id in numbers:
            numbers[session.id] = numbers[session.follows_dosing_id]
    return numbers


@dataclass(frozen=True)
class DoseDay:
    """Where a session stands after the dosing session it follows: "day 2 after dose 3"."""

    day: int  # Calendar days after the dosing session (0: the same day).
    dose: int  # The dosing session's number in the course.
    window_days: int  # The integration window (INTEGRATION_WINDOW_DAYS), a working hypothesis.

    @property
    def in_window(self) -> bool:
        return 0 <= self.day <= self.window_days


def dose_day(session: TherapySession, sessions: list[TherapySession], *,
             window_days: int) -> DoseDay | None:
    """For a session attached to a dosing session (sessions: its course's, ordered by start),
    how many days after that dose it is; None for any other session."""
    dosing = next((s for s in sessions if s.id == session.follows_dosing_id), None)
    if dosing is None:
        return None
    return DoseDay(day=(session.starts_at.date() - dosing.starts_at.date()).days,
                   dose=dose_numbers(sessions)[dosing.id], window_days=window_days)
