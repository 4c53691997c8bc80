"""The patient's side, as therapist and patient use it: a check-in link made through the
therapist's page (its URL and code read off the page, as the therapist hands them over),
opened on the patient's own client with the code, and a patient with a course and two
active strategies to check in on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import form_fields, post_form, post_with_token
from tests.support.measures import answers_for
from tests.support.patients import add_patient
from tests.support.sessions import days_ago, db_session, signed
from tests.support.threads import db_strategy
from tracker.checkins.models import Checkin, CheckinLink, CheckinPractice, QuestionnaireSchedule
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.measures.models import MeasureResponse

URL = re.compile(r'<code class="checkin-url">https?://[^/]+(/c/[A-Za-z0-9_-]+)</code>')
CODE = re.compile(r'<code class="checkin-code">(\d+)</code>')


@dataclass
class Handover:
    path: str  # /c/<token>
    code: str

    @property
    def token(self) -> str:
        return self.path.removeprefix("/c/")


def make_link(therapist_client, patient_id: int) -> Handover:
    """A new check-in link, as the therapist's page shows it once."""
    response = post_with_token(therapist_client, f"/patients/{patient_id}/checkin-link")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return Handover(URL.search(html).group(1), CODE.search(html).group(1))


def open_link(client, handover: Handover, code: str | None = None):
    """The patient opens the link and enters the code: the answer (a redirect to /c/)."""
    return post_form(client, handover.path, {"code": handover.code if code is None else code})


@dataclass
class PatientWithPlan:
    patient_id: int
    course_id: int
    strategy_ids: list[int]


def patient_with_plan(app, therapist, name: str = "Maya Okafor") -> PatientWithPlan:
    patient_id = add_patient(app, therapist, name)
    with database(app) as db:
        course = db_course(db, patient_id)
        session = db_session(db, therapist.id, course, "integration", datetime(2026, 3, 2, 10),
                             intention="Meet each morning with curiosity")
        strategies = [db_strategy(db, patient_id, session.id),
                      db_strategy(db, patient_id, session.id, "Five minutes of journaling",
                                  category="journaling", target_per_week=3)]
        db.commit()
        return PatientWithPlan(patient_id, course.id, [s.id for s in strategies])


def checkin_form(client) -> dict:
    """The check-in form as the patient's page renders it."""
    return form_fields(client.get("/c/").get_data(as_text=True), action="/c/checkin")


def check_in(client, plan: PatientWithPlan, *, day: str | None = None, mood: int = 6,
             message: str = "", practised=("yes", "little")):
    form = checkin_form(client)
    form.update(mood=str(mood), message=message)
    if day is not None:
        form["day"] = day
    for strategy_id, answer in zip(plan.strategy_ids, practised, strict=False):
        form[f"practised_{strategy_id}"] = answer
    return client.post("/c/checkin", data=form)


# Stored directly ---------------------------------------------------------------------------


def db_link(db, patient_id: int, user_id: int, *, token_hash: str = "0" * 64) -> CheckinLink:
    """A live link stored directly (its token and code unknown: for the therapist's views)."""
    now = utcnow()
    link = CheckinLink(patient_id=patient_id, token_hash=token_hash, code_hash="not a hash",
                       created_by_id=user_id, created_at=now,
                       expires_at=now + timedelta(days=56), failed_codes=0)
    db.add(link)
    db.flush()
    return link


def db_checkin(db, link: CheckinLink, day: date, *, mood: int = 6, message: str = "",
               practised: dict[int, str] | None = None, superseded: bool = False) -> Checkin:
    checkin = Checkin(patient_id=link.patient_id, link_id=link.id, day=day, mood=mood,
                      message=message, superseded_at=utcnow() if superseded else None,
                      practices=[CheckinPractice(strategy_id=sid, practised=answer)
                                 for sid, answer in (practised or {}).items()])
    db.add(checkin)
    db.flush()
    return checkin


def db_schedule(db, patient_id: int, user_id: int, instrument: str = "phq9", rule: str = "every",
                days: int = 7, starts_on: date | None = None) -> QuestionnaireSchedule:
    item = QuestionnaireSchedule(patient_id=patient_id, instrument=instrument, rule=rule,
                                 days=days, starts_on=starts_on or date(2026, 1, 1),
                                 created_by_id=user_id)
    db.add(item)
    db.flush()
    return item


# Between sessions, as the therapist's pages show it ----------------------------------------


@dataclass
class Reporting:
    """A patient who reports between sessions: the last session `session_id` (signed), two
    active strategies (a walk 5× a week, journaling 3× a week) and a live link."""

    patient_id: int
    course_id: int
    session_id: int
    link_id: int
    strategy_ids: list[int]


def patient_reporting(app, therapist, name: str = "Maya Okafor", *,
                      last_session: datetime | None = None) -> Reporting:
    patient_id = add_patient(app, therapist, name)
    with database(app) as db:
        course = db_course(db, patient_id, start=date.today() - timedelta(days=120))
        session = db_session(db, therapist.id, course, "integration",
                             last_session or days_ago(10), summary="Integration went well.",
                             **signed(therapist.id))
        strategies = [db_strategy(db, patient_id, session.id),
                      db_strategy(db, patient_id, session.id, "Five minutes of journaling",
                                  category="journaling", target_per_week=3)]
        link = db_link(db, patient_id, therapist.id, token_hash=f"{patient_id:064x}")
        db.commit()
        return Reporting(patient_id, course.id, session.id, link.id, [s.id for s in strategies])


def db_reports(app, who: Reporting, days: dict[int, tuple]) -> None:
    """Check-ins stored directly: days ago -> (mood, message, walk answer, journaling answer)
    (an answer None: that strategy left out of the day's check-in)."""
    with database(app) as db:
        link = db.get(CheckinLink, who.link_id)
        for ago, (mood, message, *answers) in days.items():
            db_checkin(db, link, date.today() - timedelta(days=ago), mood=mood, message=message,
                       practised={sid: a for sid, a in zip(who.strategy_ids, answers,
                                                           strict=False) if a})
        db.commit()


def db_home_measure(db, who: Reporting, user_id: int, code: str, total: int,
                    taken_on: date, *, item_9: int = 0) -> MeasureResponse:
    """A questionnaire the patient answered at home through the link (patient-reported)."""
    return _home_response(db, who.patient_id, who.link_id, who.course_id, user_id, code,
                          total, taken_on, item_9)


def db_home_answer(db, link: CheckinLink, course_id: int, code: str = "phq9", *,
                   total: int = 8, taken_on: date, item_9: int = 0) -> MeasureResponse:
    """A questionnaire answered at home through `link`, stored directly."""
    return _home_response(db, link.patient_id, link.id, course_id, link.created_by_id, code,
                          total, taken_on, item_9)


def _home_response(db, patient_id: int, link_id: int, course_id: int, user_id: int, code: str,
                   total: int, taken_on: date, item_9: int) -> MeasureResponse:
    answers = answers_for(code, total, item_9=item_9)
    response = MeasureResponse(patient_id=patient_id, course_id=course_id,
                               instrument=code, taken_on=taken_on, answers=answers,
                               total=sum(answers), safety_flag=code == "phq9" and item_9 > 0,
                               recorded_by_id=user_id, source="home", link_id=link_id)
    db.add(response)
    db.flush()
    return response


def between_sessions_patient(app, therapist, name: str, today: date) -> PatientWithPlan:
    """A patient with everything the patient list shows of between sessions: a live link
    made a week ago, two check-ins, a dosing session, a questionnaire scheduled and one
    answered at home, and the next session planned."""
    plan = patient_with_plan(app, therapist, name)
    with database(app) as db:
        link = db_link(db, plan.patient_id, therapist.id,
                       token_hash=f"{plan.patient_id:064d}")
        link.created_at = utcnow() - timedelta(days=7)
        for days in (5, 4):
            db_checkin(db, link, today - timedelta(days=days))
        course = db.get(Course, plan.course_id)
        course.next_session_on = today + timedelta(days=3)
        db_session(db, therapist.id, course, "dosing", datetime.combine(
            today - timedelta(days=2), datetime.min.time()))
        db_schedule(db, plan.patient_id, therapist.id, "phq9", "every", 7,
                    starts_on=today - timedelta(days=1))
        db_schedule(db, plan.patient_id, therapist.id, "gad7", "after_dosing", 1,
                    starts_on=today - timedelta(days=30))
        db_home_answer(db, link, plan.course_id, "gad7", taken_on=today - timedelta(days=9))
        db.commit()
    return plan
