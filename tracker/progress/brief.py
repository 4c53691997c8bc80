"""The one-screen brief before the next session: where the course stands, what the patient
reported since the last session and what comes back for a decision. Each part is read by
its own indexed query (the last session, the drafts, the last dosing, the courses), so that
its cost does not grow with the patient's history (issue 17)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from tracker.checkins.reports import Report, home_scores, since_last_session
from tracker.courses.models import Course
from tracker.courses.services import CoursePosition
from tracker.dosing.alerts import dosing_warnings
from tracker.dosing.services import load_dosing
from tracker.measures import instruments
from tracker.measures import services as measures
from tracker.measures.services import ScoredResponse
from tracker.patients.models import Patient
from tracker.progress.data import Progress
from tracker.sessions.kinds import DOSING_CODES
from tracker.sessions.models import TherapySession
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
    courses = list(db.scalars(select(Course).where(Course.patient_id == patient.id)
                              .order_by(Course.start_date.desc(), Course.id.desc())))
    course = courses[0] if courses else None
    mine = TherapySession.patient_id == patient.id
    # Its summary and intention are shown: loaded with its course.
    last = db.scalar(select(TherapySession).options(joinedload(TherapySession.course))
                     .where(mine, TherapySession.starts_at <= now)
                     .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
                     .limit(1))
    drafts = list(db.scalars(select(TherapySession).where(mine, TherapySession.status != "signed")
                             .order_by(TherapySession.starts_at, TherapySession.id)))
    since = last.starts_at.date() if last else date.min
    responses = measures.responses_of(db, patient)
    by_instrument: dict[str, list[ScoredResponse]] = defaultdict(list)
    for item in measures.interpret(responses):
        if course is not None and item.response.course_id == course.id:
            by_instrument[item.response.instrument].append(item)
    progress = Progress(
        patient=patient, courses=courses, course=course, sessions=[],
        position=_position(db, course, now) if course else None, numbers={},
        today=now.date(), window_days=window_days,
        measures={code: by_instrument[code] for code in instruments.codes()
                  if by_instrument.get(code)},
        open_flags=measures.open_safety_flags(responses), beliefs=[], strategies=[], themes=[])
    scored = [item for items in progress.measures.values() for item in items
              if item.response.taken_on >= since]
    upcoming = TherapySession(id=0, patient_id=patient.id, starts_at=now)
    dosing = load_dosing(db, progress.last_dosing.id) if progress.last_dosing else None
    return Brief(progress=progress, last_session=last,
                 measures_since=sorted(scored, key=lambda s: s.response.taken_on),
                 drafts=drafts, carry=carry_for(db, upcoming),
                 dosing_alerts=dosing_warnings(dosing) if dosing else [],
                 between=since_last_session(db, patient.id, last, progress.today))


def _position(db: Session, course: Course, now: datetime) -> CoursePosition:
    """The doses given in the course by `now` and the last of them, in one statement."""
    row = db.execute(
        select(TherapySession, func.count().over())
        .where(TherapySession.course_id == course.id, TherapySession.kind.in_(DOSING_CODES),
               TherapySession.starts_at <= now)
        .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc()).limit(1)).first()
    last, done = row if row is not None else (None, 0)
    return CoursePosition(done, course.planned_dosing_sessions, last)
