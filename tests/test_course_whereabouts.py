"""Where a session stands (courses/services.py whereabouts): the same as counting through the
course's sessions (course_position, dose_day), in one statement however long the course."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.patients import add_patient
from tests.support.queries import data_statements
from tests.support.sessions import db_session
from tracker.courses.services import course_position, dose_day, whereabouts
from tracker.sessions.models import TherapySession

START = datetime(2026, 1, 5, 10, 0)


def _sessions(db, user_id, patient_id, n: int) -> list[TherapySession]:
    """A course of n sessions (a dose, its integration, a check-in, in turn; two doses at the
    same time), a later course with one dose, and a course without any."""
    course = db_course(db, patient_id, "First", START.date())
    sessions, dose = [], None
    for i in range(n):
        kind = ("dosing", "integration", "check_in")[i % 3]
        at = sessions[3].starts_at if i == 6 else START + timedelta(days=3 * i)
        follows = dose.id if kind == "integration" else None
        sessions.append(db_session(db, user_id, course, kind, at, follows_dosing_id=follows))
        dose = sessions[-1] if kind == "dosing" else dose
    later = db_course(db, patient_id, "Booster", (START + timedelta(days=400)).date(), planned=2)
    booster = db_session(db, user_id, later, "dosing", START + timedelta(days=400))
    # Attached to a dose of the first course: no dose day here (as counted in its course).
    sessions += [booster, db_session(db, user_id, later, "integration",
                                     START + timedelta(days=401), follows_dosing_id=dose.id)]
    none_yet = db_course(db, patient_id, "Next", (START + timedelta(days=500)).date(), planned=3)
    sessions.append(db_session(db, user_id, none_yet, "preparation", START + timedelta(days=500)))
    return sessions


def _counted(db, session):
    """The position and dose day from the course's sessions, loaded and counted."""
    siblings = list(db.scalars(select(TherapySession)
                               .where(TherapySession.course_id == session.course_id)
                               .order_by(TherapySession.starts_at, TherapySession.id)))
    previous = max((s.starts_at for s in db.scalars(select(TherapySession).where(
        TherapySession.patient_id == session.patient_id)) if s.starts_at < session.starts_at
        and s.id != session.id), default=None)
    return course_position(session.course, siblings), dose_day(session, siblings,
                                                               window_days=14), previous


def test_whereabouts_are_what_counting_the_course_gives(app, therapist, count_queries):
    patient_id = add_patient(app, therapist)
    other_patient = add_patient(app, therapist, "Other Patient")
    with database(app) as db:
        sessions = _sessions(db, therapist.id, patient_id, 12)
        _sessions(db, therapist.id, other_patient, 4)
        db.commit()
        ids = [s.id for s in sessions]
        db.expunge_all()
        loaded = {s.id: s for s in db.scalars(select(TherapySession).options(
            joinedload(TherapySession.course)))}
        sessions = [loaded[i] for i in ids]
        for session in sessions:
            position, day, previous = _counted(db, session)
            with count_queries() as statements:
                found = whereabouts(db, session, window_days=14)
            assert len(data_statements(statements)) == 1
            assert found.position == position, session.id
            assert found.dose_day == day, session.id
            assert found.previous_start == previous, session.id
        assert {w.position.label for w in (whereabouts(db, s, window_days=14)
                                           for s in sessions)} >= {
            "dose 4 of 6", "dose 1 of 2", "preparation, 3 doses planned"}
