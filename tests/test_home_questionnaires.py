"""Questionnaires at home (issue 16): scheduled by the therapist, due on the patient's page
until answered, answered item by item and scored by the same module as in session, stored
as patient-reported; a PHQ-9 item 9 above 0 shows the crisis text at once and raises the
safety flag. And the schedule's rules, as pure dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.support.checkins import db_schedule, make_link, open_link, patient_with_plan
from tests.support.database import database
from tests.support.forms import form_fields, post_with_token, text_of
from tests.support.measures import answers_for
from tracker import dates
from tracker.audit.models import AuditEvent
from tracker.checkins import schedule
from tracker.measures import integrity
from tracker.measures.models import MeasureResponse


@pytest.fixture
def visit(app, therapist, therapist_client):
    """A patient with a PHQ-9 every 7 days from today, on the phone with the link open."""
    plan = patient_with_plan(app, therapist)
    with database(app) as db:
        db_schedule(db, plan.patient_id, therapist.id, "phq9", "every", 7, dates.today())
        db.commit()
    phone = app.test_client()
    assert open_link(phone, make_link(therapist_client, plan.patient_id)).status_code == 302
    return plan, phone


def _answer(phone, answers):
    form = form_fields(phone.get("/c/questionnaires/phq9").get_data(as_text=True))
    form.update({f"item_{n}": str(a) for n, a in enumerate(answers, 1) if a is not None})
    return phone.post("/c/questionnaires/phq9", data=form)


def _home_responses(app):
    with database(app) as db:
        return db.scalars(select(MeasureResponse)).all()


def test_a_due_questionnaire_is_answered_at_home_and_goes_away(app, visit):
    plan, phone = visit
    home = phone.get("/c/").get_data(as_text=True)
    assert "Questionnaires for you" in home and "/c/questionnaires/phq9" in home
    page = phone.get("/c/questionnaires/phq9").get_data(as_text=True)
    assert "Over the last 2 weeks" in page and "Pfizer" in page  # Wording and attribution.

    response = _answer(phone, answers_for("phq9", 11))

    assert response.status_code == 302 and response.headers["Location"] == "/c/"
    [stored] = _home_responses(app)
    assert (stored.source, stored.total, stored.safety_flag) == ("home", 11, False)
    assert stored.taken_on == dates.today() and stored.link_id is not None
    assert integrity.verifies(stored) and stored.hash_version == 2
    assert "Questionnaires for you" not in phone.get("/c/").get_data(as_text=True)
    assert phone.get("/c/questionnaires/phq9").status_code == 302  # Not due any more.
    with database(app) as db:
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "checkin_questionnaire_submitted")) == 1


def test_answers_must_be_complete(app, visit):
    _, phone = visit
    answers = answers_for("phq9", 5)
    answers[3] = None
    response = _answer(phone, answers)
    assert response.status_code == 400
    assert "Answer item 4." in response.get_data(as_text=True)
    assert _home_responses(app) == []


@pytest.mark.parametrize("complete", [True, False])
def test_item_9_above_0_shows_the_crisis_text_at_once_and_raises_the_flag(app, visit,
                                                                         complete):
    _, phone = visit
    answers = answers_for("phq9", 12, item_9=1)
    if not complete:  # Kept even with items left blank: the safety answer is never lost.
        answers[0] = answers[1] = None

    response = _answer(phone, answers)

    assert response.headers["Location"] == "/c/crisis"
    crisis = text_of(phone.get("/c/crisis").get_data(as_text=True))
    assert app.config["CRISIS_TEXT"] in crisis and "not watched in real time" in crisis
    [stored] = _home_responses(app)
    assert stored.safety_flag and stored.source == "home"
    assert (stored.total is None) is not complete


def test_the_crisis_text_is_the_practices(app, visit):
    _, phone = visit
    app.config["CRISIS_TEXT"] = "Call the practice on 555 0100, or 112."
    _answer(phone, answers_for("phq9", 3, item_9=2))
    assert "Call the practice on 555 0100, or 112." in phone.get("/c/crisis").get_data(
        as_text=True)


def test_the_therapist_schedules_and_ends_a_questionnaire(app, therapist, therapist_client):
    plan = patient_with_plan(app, therapist)
    path = f"/patients/{plan.patient_id}/schedules"
    refused = post_with_token(therapist_client, path, {"instrument": "gad7", "rule": "every"})
    assert "Give N: every how many days" in refused.get_data(as_text=True)
    assert post_with_token(therapist_client, path, {"instrument": "gad7", "rule": "every",
                                                    "days": "14"}).status_code == 302
    page = therapist_client.get(f"/patients/{plan.patient_id}/between-sessions")
    assert "GAD7: Every 14 days" in page.get_data(as_text=True)


TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("rule", "days", "extra", "answered", "expected"), [
    ("once", 0, {}, [], (TODAY - timedelta(days=3), None)),
    ("once", 0, {}, [TODAY - timedelta(days=1)], None),
    ("every", 7, {}, [], (TODAY - timedelta(days=3), TODAY + timedelta(days=4))),
    ("every", 7, {}, [TODAY - timedelta(days=4)], (TODAY - timedelta(days=3),
                                                   TODAY + timedelta(days=4))),
    ("every", 7, {}, [TODAY - timedelta(days=3)], None),
    ("after_dosing", 2, {"dosing_days": [TODAY - timedelta(days=2)]}, [], (TODAY, None)),
    ("after_dosing", 2, {"dosing_days": [TODAY - timedelta(days=1)]}, [], None),
    ("before_session", 3, {"next_session_on": TODAY + timedelta(days=2)}, [],
     (TODAY - timedelta(days=1), TODAY + timedelta(days=2))),
    ("before_session", 3, {"next_session_on": TODAY + timedelta(days=5)}, [], None),
    ("before_session", 3, {}, [], None),
])
def test_when_a_scheduled_questionnaire_is_due(rule, days, extra, answered, expected):
    due = schedule.due(1, "phq9", rule, days, TODAY - timedelta(days=3), today=TODAY,
                       answered_on=answered, **extra)
    assert (None if due is None else (due.due_on, due.expires_on)) == expected


def test_nothing_is_due_before_the_schedule_starts():
    assert schedule.due(1, "gad7", "every", 7, TODAY + timedelta(days=1), today=TODAY,
                        answered_on=[]) is None
