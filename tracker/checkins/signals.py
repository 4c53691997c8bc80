"""What the patient list shows of between sessions, for a page of patients at once (columns
of the list's own query, and one more query for the questionnaires due, whatever their
number): the check-ins new since the clinician last opened the patient, the questionnaires
due or overdue at home, how long a patient with a live link has been without a check-in, the
next planned session, and (which puts those patients first) a safety answer given at home
that still awaits its follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.checkins import due as due_of
from tracker.checkins.models import Checkin, CheckinLink, PatientOpening, QuestionnaireSchedule
from tracker.checkins.schedule import Due
from tracker.courses.models import Course
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


def _last_day(patient_id, outer):
    """The day of the last current check-in of the patient `patient_id` names (a column of
    the `outer` query's table), or NULL: a scalar subquery."""
    return (select(func.max(Checkin.day))
            .where(Checkin.patient_id == patient_id, Checkin.superseded_at.is_(None))
            .correlate(outer).scalar_subquery())


def _opens(now):
    """A link that opens at `now`: not revoked, locked nor expired."""
    return (CheckinLink.revoked_at.is_(None), CheckinLink.locked_at.is_(None),
            CheckinLink.expires_at > now)


def live_links(db: Session):
    """(link, the day of the patient's last current check-in or None) for every link of an
    active patient that opens now (not revoked, locked nor expired). One query."""
    return db.execute(
        select(CheckinLink, _last_day(CheckinLink.patient_id, CheckinLink))
        .join(Patient, Patient.id == CheckinLink.patient_id)
        .where(*_opens(utcnow()), Patient.status == "active")
        .order_by(CheckinLink.id)).all()


def list_columns(user_id, now) -> tuple:
    """What the list shows of between sessions for the clinician user_id, as labelled columns
    correlated to Patient, which for_list reads: the check-ins new since they
    last opened the patient, when the link that opens at `now` was made and the last
    check-in day, the next session of the current course when it is active, whether a
    schedule is live. `user_id` and `now` may be values or bound parameters."""
    opened = and_(PatientOpening.patient_id == Checkin.patient_id,
                  PatientOpening.user_id == user_id)
    new = (select(func.count()).select_from(Checkin).outerjoin(PatientOpening, opened)
           .where(Checkin.patient_id == Patient.id, Checkin.superseded_at.is_(None),
                  or_(PatientOpening.opened_at.is_(None),
                      Checkin.submitted_at > PatientOpening.opened_at))
           .correlate(Patient).scalar_subquery())
    link_made = (select(CheckinLink.created_at)
                 .where(CheckinLink.patient_id == Patient.id, *_opens(now))
                 .correlate(Patient).scalar_subquery())
    # The current course is the active one started last, if there is one (due.py).
    next_on = (select(Course.next_session_on)
               .where(Course.patient_id == Patient.id, Course.status == "active")
               .order_by(Course.start_date.desc(), Course.id.desc()).limit(1)
               .correlate(Patient).scalar_subquery())
    scheduled = (exists().where(QuestionnaireSchedule.patient_id == Patient.id,
                                QuestionnaireSchedule.ended_at.is_(None)).correlate(Patient))
    return (new.label("new_checkins"), link_made.label("link_made"),
            _last_day(Patient.id, Patient).label("last_checkin_day"),
            next_on.label("next_session_on"), scheduled.label("scheduled"))


def for_list(db: Session, rows: dict, today: date) -> dict[int, BetweenSessions]:
    """Patient id -> what the list shows of between sessions, from the row of each patient
    (with the list_columns): one more query (due.py) when some of them have a live
    schedule."""
    due = due_of.due_for_patients(
        db, [patient_id for patient_id, row in rows.items() if row.scheduled], today)
    threshold = current_app.config["CHECKIN_REMINDER_DAYS"]
    found = {}
    for patient_id, row in rows.items():
        quiet = None if row.link_made is None else (
            today - quiet_since(row.link_made, row.last_checkin_day)).days
        found[patient_id] = BetweenSessions(
            new_checkins=row.new_checkins, due=tuple(due.get(patient_id, ())),
            quiet_days=quiet if quiet is not None and quiet >= threshold else None,
            next_session_on=row.next_session_on, today=today)
    return found
