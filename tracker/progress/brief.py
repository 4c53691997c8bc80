"""The one-screen brief before the next session: where the course stands, what the patient
reported since the last session and what comes back for a decision. Its records are read
together in one statement (tracker/slots.py), each part by an index range the size of what
it shows, so that its cost does not grow with the patient's history (issue 17)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from tracker import slots
from tracker.checkins.reports import Report, home_scores, since_last_session
from tracker.courses.models import Course
from tracker.courses.services import CoursePosition
from tracker.dosing.alerts import dosing_warnings
from tracker.dosing.models import BoosterDose, DosingRecord, VitalSigns
from tracker.measures.services import ScoredResponse
from tracker.patients.models import Patient
from tracker.progress.data import Progress
from tracker.progress.recent import scored_questionnaires
from tracker.progress.window_queries import questionnaires
from tracker.sessions.kinds import DOSING_CODES
from tracker.sessions.models import TherapySession
from tracker.slots import rows_of
from tracker.threads.carry import Carry, carry_for


@dataclass
class Brief:
    progress: Progress
    last_session: TherapySession | None
    measures_since: list[ScoredResponse]
    drafts: list[TherapySession]
    carry: Carry  # for a session starting now
    dosing_alerts: list[str]  # Flags of the last dosing session's record (dosing/alerts.py)
    between: Report  # What the patient reported since the last session (check-ins)

    @property
    def home_scores(self) -> list[ScoredResponse]:
        return home_scores(self.measures_since)

    @property
    def days_since_last_session(self) -> int | None:
        if self.last_session is None:
            return None
        return (self.progress.today - self.last_session.starts_at.date()).days


def brief(db: Session, patient: Patient, *, now: datetime, window_days: int) -> Brief:
    """Seven statements with the sign-in's and the patient's, whatever the history: the
    records below (one), the questionnaires (the progress page's window query from the last
    session's day), the carry-forward (two) and the check-ins."""
    (courses, last, drafts, dosed, boosters, vitals) = slots.read(db, PARTS, _statement(), {
        "patient_id": patient.id, "now": now})
    courses = [course for course, in courses]
    course = courses[0] if courses else None
    last = last[0][0] if last else None
    last_dosing, dosing = dosed[0] if dosed else (None, None)
    if dosing is not None:
        set_committed_value(dosing, "boosters", [booster for booster, in boosters])
        set_committed_value(dosing, "vitals", [signs for signs, in vitals])
    since = last.starts_at.date() if last else date.min
    measures, open_flags = ({}, []) if course is None else scored_questionnaires(
        db.connection().execute(questionnaires(), {
            "patient_id": patient.id, "course_id": course.id, "since": since}), since)
    progress = Progress(
        patient=patient, courses=courses, course=course, sessions=[],
        position=CoursePosition(last_dosing.dose_number if last_dosing else 0,
                                course.planned_dosing_sessions, last_dosing)
        if course else None,
        numbers={}, today=now.date(), window_days=window_days, measures=measures,
        open_flags=open_flags, beliefs=[], strategies=[], themes=[])
    scored = [item for items in measures.values() for item in items
              if item.response.taken_on >= since]
    upcoming = TherapySession(id=0, patient_id=patient.id, starts_at=now)
    return Brief(progress=progress, last_session=last,
                 measures_since=sorted(scored, key=lambda s: s.response.taken_on),
                 drafts=[draft for draft, in drafts], carry=carry_for(db, upcoming),
                 dosing_alerts=dosing_warnings(dosing) if dosing else [],
                 between=since_last_session(db, patient.id, last, progress.today))


PATIENT_ID, NOW = bindparam("patient_id"), bindparam("now")
_last, _draft, _dosed = (aliased(TherapySession, name=name)
                         for name in ("last_session", "draft", "last_dosing"))


def _newest_course():
    return (select(Course.id).where(Course.patient_id == PATIENT_ID)
            .order_by(Course.start_date.desc(), Course.id.desc()).limit(1).scalar_subquery())


def _last_session():
    """The id of the patient's last session started by now."""
    latest = aliased(TherapySession)
    return (select(latest.id).where(latest.patient_id == PATIENT_ID, latest.starts_at <= NOW)
            .order_by(latest.starts_at.desc(), latest.id.desc()).limit(1).scalar_subquery())


def _last_dosing():
    """The id of the last dosing session of the newest course started by now."""
    latest = aliased(TherapySession)
    return (select(latest.id).where(latest.course_id == _newest_course(),
                                    latest.kind.in_(DOSING_CODES), latest.starts_at <= NOW)
            .order_by(latest.starts_at.desc(), latest.id.desc()).limit(1).scalar_subquery())


# The courses, newest first; the last session (its summary and intention are shown, with its
# course); the drafts; the last dosing session (its dose number: the doses done) with its
# record, boosters and vital signs (for the dosing alerts).
PARTS = [
    rows_of(Course, lambda: Course.patient_id == PATIENT_ID,
            order_by=(Course.start_date.desc(), Course.id.desc())),
    rows_of(_last, lambda: _last.id == _last_session(), (joinedload(_last.course),)),
    rows_of(_draft, lambda: (_draft.patient_id == PATIENT_ID) & (_draft.status != "signed"),
            order_by=(_draft.starts_at, _draft.id)),
    slots.Part(((_dosed, lambda: _dosed.id == _last_dosing()),
                (DosingRecord, lambda: DosingRecord.session_id == _dosed.id)),
               (undefer(_dosed.dose_number),)),
    rows_of(BoosterDose, lambda: BoosterDose.dosing_id == _last_dosing(),
            order_by=(BoosterDose.position,)),
    rows_of(VitalSigns, lambda: VitalSigns.dosing_id == _last_dosing(),
            order_by=(VitalSigns.position,)),
]


@functools.cache
def _statement():
    """Built once (building it costs more than running it)."""
    return slots.statement(PARTS)
