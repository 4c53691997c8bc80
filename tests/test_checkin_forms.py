"""The patient's forms and pages against hostile input (issue 16): the XSS corpus stored in
what the patient's pages show (the strategies, beliefs and intention agreed in session) and
in what the patient sends (the message), read back on the patient's and the therapist's
pages; and Hypothesis fuzzing of the check-in form and the schedule form."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support.checkins import checkin_form, make_link, open_link
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import csrf_token
from tests.support.fuzzing import (
    choice_value,
    date_value,
    form,
    fuzz,
    number_value,
    optional,
    text_value,
)
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tests.support.threads import db_belief, db_strategy
from tests.test_fuzz_forms import check_submission, poster
from tests.test_xss import ALL, PAYLOADS, assert_inert, shown
from tracker import dates
from tracker.checkins.services import days_offered
from tracker.courses.models import Course


def _patient_with(app, therapist, text: str):
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id)
        session = db_session(db, therapist.id, course, "integration", datetime(2026, 3, 2, 10),
                             intention=text[:1000])
        strategies = [db_strategy(db, patient_id, session.id, payload[:300])
                      for payload in PAYLOADS[:6]]
        db_belief(db, patient_id, session.id, PAYLOADS[6])
        db.commit()
        return patient_id, [s.id for s in strategies]


def test_what_the_patient_pages_show_and_send_renders_escaped(app, therapist,
                                                              therapist_client):
    patient_id, strategy_ids = _patient_with(app, therapist, ALL)
    phone = app.test_client()
    open_link(phone, make_link(therapist_client, patient_id))
    data = checkin_form(phone)
    data.update({f"practised_{sid}": "yes" for sid in strategy_ids}, mood="5",
                message=ALL[:1000])
    assert phone.post("/c/checkin", data=data).status_code == 302

    pages = {"patient home": phone.get("/c/").get_data(as_text=True),
             "plan": therapist_client.get(f"/patients/{patient_id}/plan").get_data(
                 as_text=True),
             "between sessions": therapist_client.get(
                 f"/patients/{patient_id}/between-sessions").get_data(as_text=True)}
    for where, html in pages.items():
        assert_inert(html, where)
    for payload in PAYLOADS[:7]:
        assert shown(pages["patient home"], payload[:300]), payload
        assert shown(pages["plan"], payload[:300]), payload


def test_the_check_in_form_fuzzed(app, therapist, therapist_client):
    patient_id, strategy_ids = _patient_with(app, therapist, "Be here")
    phone = app.test_client()
    open_link(phone, make_link(therapist_client, patient_id))
    token = csrf_token(phone, "/c/")
    days = [day.isoformat() for day in days_offered(dates.today())]
    fields = {"day": choice_value(days), "mood": number_value(0, 10),
              "message": text_value(1000)}
    for sid in strategy_ids:
        fields[f"practised_{sid}"] = choice_value(["yes", "little", "no"])
        fields[f"helpful_{sid}"] = optional(number_value(0, 10))

    def submit(data, outcomes):
        check_submission(app, poster(phone, "/c/checkin", token), data, outcomes,
                         allowed={"checkins", "checkin_practices"})

    fuzz(form(fields), submit)


def test_the_schedule_form_fuzzed(app, therapist, therapist_client):
    patient_id, _ = _patient_with(app, therapist, "Be here")
    token = csrf_token(therapist_client, f"/patients/{patient_id}/between-sessions")
    fields = {"instrument": choice_value(["phq9", "gad7", "pcl5"]),
              "rule": choice_value(["once", "every", "after_dosing", "before_session"]),
              "days": optional(number_value(0, 365)), "starts_on": optional(date_value())}

    def submit(data, outcomes):
        check_submission(app, poster(therapist_client, f"/patients/{patient_id}/schedules",
                                     token), data, outcomes,
                         allowed={"questionnaire_schedules"})

    fuzz(form(fields), submit)


def test_the_next_session_form_fuzzed(app, therapist, therapist_client):
    patient_id, _ = _patient_with(app, therapist, "Be here")
    with database(app) as db:
        course_id = db.scalar(select(Course.id).where(Course.patient_id == patient_id))
    token = csrf_token(therapist_client, f"/patients/{patient_id}/between-sessions")
    prefix = f"course-{course_id}-"

    def submit(data, outcomes):
        check_submission(app, poster(therapist_client, f"/courses/{course_id}/next-session",
                                     token), data, outcomes, allowed={"courses"})

    fuzz(form({f"{prefix}next_session_on": optional(date_value())}), submit)


def test_the_access_code_form_fuzzed(app, therapist, therapist_client):
    """Whatever is typed as the code: never a server error, only the link's count of wrong
    codes changes, and only the right code opens the pages."""
    patient_id, _ = _patient_with(app, therapist, "Be here")
    handover = make_link(therapist_client, patient_id)
    app.config.update(CHECKIN_CODE_ATTEMPTS=10_000, CHECKIN_CODE_LIMIT_PER_LINK="10000/minute",
                      CHECKIN_CODE_LIMIT_PER_ADDRESS="10000/minute")
    phone = app.test_client()
    token = csrf_token(phone, handover.path)

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.text(max_size=40), st.sampled_from(["", " ", "0" * 6, "9" * 13])))
    def run(code):
        response = phone.post(handover.path, data={"csrf_token": token, "code": code})
        assert response.status_code in (200, 302, 401), response.status_code
        assert (response.status_code == 302) == ("".join(code.split()) == handover.code)

    run()
    assert open_link(phone, handover).status_code == 302
