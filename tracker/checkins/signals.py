"""What the patient list shows of between sessions, for a page of patients at once (a fixed
number of queries, whatever their number): the check-ins new since the clinician last opened
the patient, the questionnaires due or overdue at home, how long a patient with a live link
has been without a check-in, the next planned session, and (in the list's own query, which
puts those patients first) a safety answer given at home that still awaits its follow-up.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.checkins import due as due_of
from tracker.checkins.models import Checkin, CheckinLink, PatientOpening
from tracker.checkins.schedule import Due
from tracker.db import utcnow
from tracker.measures import instruments
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.patients.models import Patient


def needs_attention():
    """SQL truth, correlated to Patient: a questionnaire answered at home raised the safety
    flag and no follow-up is recorded for it yet."""
    return (exists().where(MeasureResponse.patient_id == Patient.id,
                           MeasureResponse.source == "home",
                           MeasureResponse.safety_flag.is_(True),
                           ~exists().where(SafetyFollowUp.response_id == MeasureResponse.id))
            .correlate(Patient))


@dataclass(frozen=True)
class BetweenSessions:
    new_checkins: int = 0
    due: tuple[Due, ...] = ()
    quiet_days: int | None = None  # A live link, no check-in for this many days (or more).
    next_session_on: date | None = None  # Of the active course.
    today: date | None = None

    def questionnaires(self) -> list[tuple[str, bool]]:
        """(the instrument's name, overdue) of each questionnaire due."""
        return [(instruments.get_instrument(item.instrument).name, item.overdue(self.today))
                for item in self.due]


def quiet_since(link_created_at: datetime, last_day: date | None) -> date:
    """The day a patient's quiet spell started from: the last check-in, or the day the link
    was made when there was none since."""
    made = dates.local(link_created_at).date()
    return made if last_day is None or last_day < made else last_day


def reminder_day(link_created_at: datetime, last_day: date | None) -> date:
    """The day a check-in reminder falls due: CHECKIN_REMINDER_DAYS after the spell began."""
    return quiet_since(link_created_at, last_day) + timedelta(
        days=current_app.config["CHECKIN_REMINDER_DAYS"])


def live_links(db: Session, patient_ids: Collection[int] | None = None):
    """(link, the day of the patient's last current check-in or None) for every link that
    opens now (not revoked, locked nor expired), of the given patients or of every active
    patient. One query."""
    last_day = (select(func.max(Checkin.day))
                .where(Checkin.patient_id == CheckinLink.patient_id,
                       Checkin.superseded_at.is_(None))
                .correlate(CheckinLink).scalar_subquery())
    query = (select(CheckinLink, last_day).join(Patient, Patient.id == CheckinLink.patient_id)
             .where(CheckinLink.revoked_at.is_(None), CheckinLink.locked_at.is_(None),
                    CheckinLink.expires_at > utcnow())
             .order_by(CheckinLink.id))
    query = query.where(Patient.status == "active") if patient_ids is None else query.where(
        CheckinLink.patient_id.in_(set(patient_ids)))
    return db.execute(query).all()


def _new_checkins(db: Session, user_id: int, ids: set[int]) -> dict[int, int]:
    opened = and_(PatientOpening.patient_id == Checkin.patient_id,
                  PatientOpening.user_id == user_id)
    return dict(db.execute(
        select(Checkin.patient_id, func.count()).outerjoin(PatientOpening, opened)
        .where(Checkin.patient_id.in_(ids), Checkin.superseded_at.is_(None),
               or_(PatientOpening.opened_at.is_(None),
                   Checkin.submitted_at > PatientOpening.opened_at))
        .group_by(Checkin.patient_id)).all())


def for_list(db: Session, user_id: int, patient_ids: Collection[int], today: date
             ) -> dict[int, BetweenSessions]:
    """Patient id -> what the list shows of between sessions, for the clinician user_id."""
    ids = set(patient_ids)
    if not ids:
        return {}
    new = _new_checkins(db, user_id, ids)
    courses = due_of.current_courses(db, ids)
    due = due_of.due_for_patients(db, ids, today, courses=courses)
    threshold = current_app.config["CHECKIN_REMINDER_DAYS"]
    quiet = {}
    for link, last_day in live_links(db, ids):
        days = (today - quiet_since(link.created_at, last_day)).days
        if days >= threshold:
            quiet[link.patient_id] = days
    found = {}
    for patient_id in ids:
        course = courses.get(patient_id)
        found[patient_id] = BetweenSessions(
            new_checkins=new.get(patient_id, 0), due=tuple(due.get(patient_id, ())),
            quiet_days=quiet.get(patient_id),
            next_session_on=course.next_session_on
            if course is not None and course.status == "active" else None,
            today=today)
    return found
