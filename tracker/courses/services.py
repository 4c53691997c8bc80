"""Courses: creation, loading with ownership, where a patient is in one."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import abort
from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import Session, aliased, selectinload

from tracker.courses.models import Course
from tracker.patients.models import Patient
from tracker.sessions.kinds import DOSING_CODES
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


def whereabouts(db: Session, session: TherapySession, *,
                window_days: int) -> tuple[CoursePosition, DoseDay | None]:
    """Where one session stands in its course ("dose 3 of 6", "day 2 after dose 3"), counted
    by the course's (course, kind, start) index in one statement, without reading the
    course's sessions."""
    doses, dosing_start, dose = db.execute(_whereabouts_statement(), {
        "course_id": session.course_id, "follows": session.follows_dosing_id}).one()
    position = CoursePosition(doses, session.course.planned_dosing_sessions, None)
    if dosing_start is None:
        return position, None
    return position, DoseDay(day=(session.starts_at.date() - dosing_start.date()).days,
                             dose=dose, window_days=window_days)


@functools.cache
def _whereabouts_statement():
    """The course's doses; the start and the dose number of the dosing session followed."""
    counted = aliased(TherapySession)
    doses = (select(func.count()).where(counted.course_id == bindparam("course_id"),
                                        counted.kind.in_(DOSING_CODES)).scalar_subquery())
    dosing = aliased(TherapySession)
    one = select(literal_column("1").label("one")).subquery()
    return (select(doses, dosing.starts_at, dosing.dose_number).select_from(one)
            .outerjoin(dosing, dosing.id == bindparam("follows")))
