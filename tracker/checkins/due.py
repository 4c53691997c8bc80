"""Which questionnaires are due at home, for one patient or many at once: schedule.py's rules
over each patient's schedules, dosing sessions, next planned session and home answers.
One query whatever the number of patients (the patient list shows them for a whole page, the
reminders for every patient with a link)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from itertools import groupby

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from tracker.checkins import schedule
from tracker.checkins.models import QuestionnaireSchedule
from tracker.courses.models import Course
from tracker.measures.models import MeasureResponse
from tracker.sessions.kinds import DOSING_CODES
from tracker.sessions.models import TherapySession


def _current_key(course: Course):
    return course.status == "active", course.start_date, course.id


def current_courses(db: Session, patient_ids: Iterable[int]) -> dict[int, Course]:
    """Patient id -> the current course: the active one started last, else the latest one
    (a patient without a course is left out). One query."""
    ids = set(patient_ids)
    found: dict[int, Course] = {}
    if not ids:
        return found
    for course in db.scalars(select(Course).where(Course.patient_id.in_(ids))):
        held = found.get(course.patient_id)
        if held is None or _current_key(course) > _current_key(held):
            found[course.patient_id] = course
    return found


def _of_current_course(column, patient_id, outer):
    """A column of the current course (as current_courses chooses it) of the patient that
    `patient_id`, a column of the `outer` query's table, names: a scalar subquery."""
    return (select(column).where(Course.patient_id == patient_id)
            .order_by(case((Course.status == "active", 0), else_=1), Course.start_date.desc(),
                      Course.id.desc())
            .limit(1).correlate(outer).scalar_subquery())


def due_for_patients(db: Session, patient_ids: Collection[int], today: date
                     ) -> dict[int, list[schedule.Due]]:
    """Patient id -> the questionnaires due at home today, one per instrument (a patient
    without a course has none). One query: each live schedule with its patient's current
    course, the last day its questionnaire was answered at home and, for a schedule that
    follows dosing, the dosing sessions from its start on."""
    ids = set(patient_ids)
    if not ids:
        return {}
    scheduled = QuestionnaireSchedule
    answered = (select(func.max(MeasureResponse.taken_on))
                .where(MeasureResponse.patient_id == scheduled.patient_id,
                       MeasureResponse.instrument == scheduled.instrument,
                       MeasureResponse.source == "home")
                .correlate(scheduled).scalar_subquery())
    dosing = and_(scheduled.rule == "after_dosing",
                  TherapySession.patient_id == scheduled.patient_id,
                  TherapySession.kind.in_(DOSING_CODES),
                  TherapySession.starts_at >= scheduled.starts_on)
    rows = db.execute(
        select(scheduled.id, scheduled.patient_id, scheduled.instrument, scheduled.rule,
               scheduled.days, scheduled.starts_on,
               _of_current_course(Course.id, scheduled.patient_id, scheduled),
               _of_current_course(Course.next_session_on, scheduled.patient_id, scheduled),
               answered, TherapySession.starts_at)
        .outerjoin(TherapySession, dosing)
        .where(scheduled.patient_id.in_(ids), scheduled.ended_at.is_(None))
        .order_by(scheduled.id, TherapySession.starts_at))
    found: dict[int, dict[str, schedule.Due]] = {}
    for (schedule_id, patient_id, instrument, rule, days, starts_on, course_id, next_on,
         last_answered), group in groupby(rows, key=lambda row: tuple(row[:-1])):
        if course_id is None:
            continue
        due = schedule.due(schedule_id, instrument, rule, days, starts_on, today=today,
                           answered_on=() if last_answered is None else (last_answered,),
                           dosing_days=[row[-1].date() for row in group if row[-1]],
                           next_session_on=next_on)
        if due is not None:
            found.setdefault(patient_id, {}).setdefault(due.instrument, due)
    return {patient_id: list(by_instrument.values())
            for patient_id, by_instrument in found.items()}
