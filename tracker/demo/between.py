"""Between sessions in the demo: Maya Okafor checks in from home. Three weeks of daily
check-ins on her active strategies, with gaps and one message for her therapist, two PHQ-9s
answered at home, a PHQ-9 every 14 days scheduled (one due today) and the next session
planned. `demo_link` gives her a fresh check-in link on every `init --demo`, printed with
its code, so that the patient's side can be tried on a phone-sized browser."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.checkins import links
from tracker.checkins.models import Checkin, CheckinLink, CheckinPractice, QuestionnaireSchedule
from tracker.checkins.plan import active_strategies
from tracker.courses.models import Course
from tracker.demo.measures import answers_for
from tracker.measures import services as measures
from tracker.patients.models import Patient

PATIENT = "Maya Okafor"
DAYS = 21
SKIPPED = {4, 9, 10, 15}  # Days ago without a check-in: life happens.
MESSAGE_DAY = 6
MESSAGE = ("The river walk on Sunday brought back the image of the open door from the last "
           "session. I cried, and it felt okay. Can we talk about it next time?")
HOME_PHQ9 = ((14, 10), (3, 7))  # (days ago, total)
PHQ9_EVERY = 14


def seed_between(db: Session, therapist: User, patient: Patient, course: Course,
                 today: date) -> None:
    course.next_session_on = today + timedelta(days=4)
    link, _token, _code = links.create(db, therapist, patient)
    link.created_at -= timedelta(days=DAYS + 1)
    rng = random.Random(PATIENT)
    strategies = active_strategies(db, patient.id)
    for days_ago in range(DAYS, 0, -1):
        if days_ago in SKIPPED:
            continue
        trend = (DAYS - days_ago) / DAYS  # Mood and practice improve over the weeks.
        db.add(Checkin(
            patient_id=patient.id, link_id=link.id, day=today - timedelta(days=days_ago),
            mood=min(10, 4 + round(3 * trend) + rng.choice((-1, 0, 0, 1))),
            message=MESSAGE if days_ago == MESSAGE_DAY else "",
            practices=[CheckinPractice(
                strategy_id=strategy.id,
                practised=rng.choices(("yes", "little", "no"),
                                      (2 + 4 * trend, 1, 3 - 2 * trend))[0],
                helpfulness=rng.randint(5, 9) if index == 0 else None)
                for index, strategy in enumerate(strategies)]))
    for days_ago, total in HOME_PHQ9:
        measures.record_response(db, therapist, patient, instrument="phq9", course=course,
                                 session=None, taken_on=today - timedelta(days=days_ago),
                                 answers=answers_for("phq9", total), source="home",
                                 link_id=link.id)
    db.add(QuestionnaireSchedule(patient_id=patient.id, instrument="phq9", rule="every",
                                 days=PHQ9_EVERY, starts_on=today - timedelta(days=PHQ9_EVERY),
                                 created_by_id=therapist.id))
    db.flush()


def demo_link(db: Session) -> tuple[str, str] | None:
    """A new check-in link for the demo patient (the one before revoked): (token, code)."""
    patient = db.scalar(select(Patient).where(Patient.display_name == PATIENT))
    if patient is None or db.scalar(select(CheckinLink.id).where(
            CheckinLink.patient_id == patient.id)) is None:
        return None
    therapist = db.get(User, patient.therapist_id)
    _link, token, code = links.create(db, therapist, patient)
    return token, code
