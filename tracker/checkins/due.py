"""Which questionnaires are due at home, for one patient or many at once: schedule.py's rules
over each patient's schedules, dosing sessions, next planned session and home answers.
A fixed number of queries whatever the number of patients (the patient list shows them for
a whole page, the reminders for every patient with a link), none when nothing is
scheduled."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date

from sqlalchemy import select
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


def due_for_patients(db: Session, patient_ids: Collection[int], today: date, *,
                     courses: dict[int, Course] | None = None
                     ) -> dict[int, list[schedule.Due]]:
    """Patient id -> the questionnaires due at home today, one per instrument (a patient
    without a course has none). `courses`: the current courses, when the caller has them."""
    ids = set(patient_ids)
    if not ids:
        return {}
    schedules = db.scalars(select(QuestionnaireSchedule).where(
        QuestionnaireSchedule.patient_id.in_(ids), QuestionnaireSchedule.ended_at.is_(None))
        .order_by(QuestionnaireSchedule.id)).all()
    scheduled = {item.patient_id for item in schedules}
    if not scheduled:
        return {}
    if courses is None:
        courses = current_courses(db, scheduled)
    dosing: dict[int, list[date]] = {}
    for patient_id, starts_at in db.execute(
            select(TherapySession.patient_id, TherapySession.starts_at)
            .where(TherapySession.patient_id.in_(scheduled),
                   TherapySession.kind.in_(DOSING_CODES))):
        dosing.setdefault(patient_id, []).append(starts_at.date())
    answered: dict[tuple[int, str], list[date]] = {}
    for patient_id, instrument, taken_on in db.execute(
            select(MeasureResponse.patient_id, MeasureResponse.instrument,
                   MeasureResponse.taken_on)
            .where(MeasureResponse.patient_id.in_(scheduled), MeasureResponse.source == "home")):
        answered.setdefault((patient_id, instrument), []).append(taken_on)
    found: dict[int, dict[str, schedule.Due]] = {}
    for item in schedules:
        course = courses.get(item.patient_id)
        if course is None:
            continue
        due = schedule.due(item.id, item.instrument, item.rule, item.days, item.starts_on,
                           today=today,
                           answered_on=answered.get((item.patient_id, item.instrument), ()),
                           dosing_days=dosing.get(item.patient_id, ()),
                           next_session_on=course.next_session_on)
        if due is not None:
            found.setdefault(item.patient_id, {}).setdefault(due.instrument, due)
    return {patient_id: list(by_instrument.values())
            for patient_id, by_instrument in found.items()}
