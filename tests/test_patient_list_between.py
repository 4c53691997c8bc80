"""The patient list shows between sessions (issue 16): the check-ins new since the clinician
last opened the patient, the questionnaires due or overdue at home, "no check-in for N days"
while a link is live, the next planned session, and, first of all, a patient whose safety
answer given at home still awaits its follow-up."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.checkins import (
    between_sessions_patient,
    db_checkin,
    db_home_answer,
    db_link,
    db_schedule,
    patient_with_plan,
)
from tests.support.database import database
from tests.support.forms import text_of
from tests.support.measures import db_measure, follow_up
from tests.support.patients import add_patient
from tracker import dates
from tracker.checkins.models import Checkin, CheckinLink, PatientOpening
from tracker.courses.models import Course
from tracker.db import utcnow

ROW = re.compile(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", re.S)


def rows(client, **query) -> list[tuple[str, str]]:
    """(name, the row's text) of each patient listed, in order."""
    page = client.get("/patients/", query_string=query).get_data(as_text=True)
    found = []
    for html in ROW.findall(page):
        name = re.search(r'<a href="/patients/\d+">([^<]*)</a>', html).group(1)
        found.append((name, text_of(html)))
    return found


def row_of(client, name: str) -> str:
    return dict(rows(client))[name]


@pytest.fixture
def today(app):
    with app.app_context():
        return dates.today()


def _link(app, therapist, patient_id, *, made_days_ago=0, checkins_days_ago=(), **changes):
    with database(app) as db:
        link = db_link(db, patient_id, therapist.id, token_hash=secrets.token_hex(32))
        link.created_at = utcnow() - timedelta(days=made_days_ago)
        for name, value in changes.items():
            setattr(link, name, value)
        for days in checkins_days_ago:  # Each submitted on its day.
            db_checkin(db, link, dates.today() - timedelta(days=days)).submitted_at = (
                utcnow() - timedelta(days=days))
        db.commit()
        return link.id


def test_new_check_ins_count_those_since_the_clinician_last_opened_the_patient(
        app, therapist, therapist_client):
    plan = patient_with_plan(app, therapist, "Maya Okafor")
    add_patient(app, therapist, "Alex Kim")
    link_id = _link(app, therapist, plan.patient_id, checkins_days_ago=(2, 1))
    assert "2 new check-ins" in row_of(therapist_client, "Maya Okafor")
    assert "new check-in" not in row_of(therapist_client, "Alex Kim")

    assert therapist_client.get(f"/patients/{plan.patient_id}").status_code == 200

    with database(app) as db:
        [opening] = db.scalars(select(PatientOpening)).all()
        assert (opening.user_id, opening.patient_id) == (therapist.id, plan.patient_id)
        assert utcnow() - opening.opened_at < timedelta(minutes=1)
        opening.opened_at -= timedelta(hours=1)  # Opened an hour ago, then ...
        first_opening = opening.opened_at
        db.commit()
    assert "new check-in" not in row_of(therapist_client, "Maya Okafor")
    with database(app) as db:  # ... a check-in since.
        db_checkin(db, db.get(CheckinLink, link_id), dates.today())
        db.commit()
    assert "1 new check-in" in row_of(therapist_client, "Maya Okafor")

    therapist_client.get(f"/patients/{plan.patient_id}")  # Opened again: moved on, one row.
    with database(app) as db:
        [opening] = db.scalars(select(PatientOpening)).all()
        assert opening.opened_at > first_opening
    assert "new check-in" not in row_of(therapist_client, "Maya Okafor")


def test_a_replaced_check_in_counts_once(app, therapist, therapist_client):
    plan = patient_with_plan(app, therapist)
    link_id = _link(app, therapist, plan.patient_id)
    with database(app) as db:
        link = db.get(CheckinLink, link_id)
        db_checkin(db, link, dates.today(), superseded=True)
        db_checkin(db, link, dates.today())
        db.commit()
    assert "1 new check-in" in row_of(therapist_client, "Maya Okafor")


def test_an_opening_the_database_cannot_take_is_skipped_and_the_page_shown(
        app, therapist, therapist_client, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    from tracker.checkins import openings

    plan = patient_with_plan(app, therapist)

    class Busy:
        dialect = app.extensions["tracker.engine"].dialect

        def begin(self):
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(openings, "get_engine", Busy)
    with caplog.at_level(logging.WARNING, logger="tracker.checkins.openings"):
        page = therapist_client.get(f"/patients/{plan.patient_id}")
    assert page.status_code == 200 and "Maya Okafor" in page.get_data(as_text=True)
    assert "patient opening not recorded (Exception)" in caplog.text
    assert "Maya" not in caplog.text
    with database(app) as db:
        assert db.scalars(select(PatientOpening)).all() == []


def test_questionnaires_due_and_overdue_are_shown_and_go_once_answered(
        app, therapist, therapist_client, today):
    due = patient_with_plan(app, therapist, "Maya Okafor")
    overdue = patient_with_plan(app, therapist, "Alex Kim")
    answered = patient_with_plan(app, therapist, "Sam Reyes")
    add_patient(app, therapist, "Jo Park")
    with database(app) as db:
        db_schedule(db, due.patient_id, therapist.id, "phq9", "every", 14,
                    starts_on=today - timedelta(days=1))
        db_schedule(db, overdue.patient_id, therapist.id, "gad7", "once",
                    starts_on=today - timedelta(days=10))
        db_schedule(db, answered.patient_id, therapist.id, "phq9", "once",
                    starts_on=today - timedelta(days=10))
        link = db_link(db, answered.patient_id, therapist.id)
        db_home_answer(db, link, answered.course_id, "phq9", taken_on=today)
        db.commit()

    listed = dict(rows(therapist_client))

    assert "PHQ-9 due" in listed["Maya Okafor"] and "overdue" not in listed["Maya Okafor"]
    assert "GAD-7 overdue" in listed["Alex Kim"]
    assert "due" not in listed["Sam Reyes"] and "due" not in listed["Jo Park"]


def test_no_check_in_for_n_days_only_while_a_link_is_live(app, therapist, therapist_client):
    names = ["Ana Quiet", "Ben Recent", "Cy Never", "Di Revoked", "Ed Expired", "Fay Locked",
             "Gil Nolink"]
    ids = {name: patient_with_plan(app, therapist, name).patient_id for name in names}
    _link(app, therapist, ids["Ana Quiet"], made_days_ago=20, checkins_days_ago=(10, 4))
    _link(app, therapist, ids["Ben Recent"], made_days_ago=20, checkins_days_ago=(1,))
    _link(app, therapist, ids["Cy Never"], made_days_ago=5)
    _link(app, therapist, ids["Di Revoked"], made_days_ago=20, revoked_at=utcnow())
    _link(app, therapist, ids["Ed Expired"], made_days_ago=20,
          expires_at=utcnow() - timedelta(days=1))
    _link(app, therapist, ids["Fay Locked"], made_days_ago=20, locked_at=utcnow())

    listed = dict(rows(therapist_client))

    assert "No check-in for 4 days" in listed["Ana Quiet"]
    assert "No check-in for 5 days" in listed["Cy Never"]  # None since the link was made.
    for name in ("Ben Recent", "Di Revoked", "Ed Expired", "Fay Locked", "Gil Nolink"):
        assert "No check-in" not in listed[name], name


def test_a_quiet_spell_counts_from_the_link_when_the_last_check_in_came_before_it(
        app, therapist, therapist_client, today):
    plan = patient_with_plan(app, therapist)
    _link(app, therapist, plan.patient_id, made_days_ago=30, checkins_days_ago=(20,),
          revoked_at=utcnow())
    _link(app, therapist, plan.patient_id, made_days_ago=3)
    assert "No check-in for 3 days" in row_of(therapist_client, "Maya Okafor")


def test_the_next_planned_session_of_the_active_course_is_shown(
        app, therapist, therapist_client, today):
    plan = patient_with_plan(app, therapist)
    add_patient(app, therapist, "Alex Kim")
    with database(app) as db:
        db.get(Course, plan.course_id).next_session_on = today + timedelta(days=5)
        db.commit()
    assert (f"Next session {dates.show(today + timedelta(days=5))}"
            in row_of(therapist_client, "Maya Okafor"))
    assert "Next session" not in row_of(therapist_client, "Alex Kim")


def test_a_safety_answer_given_at_home_puts_the_patient_first_until_followed_up(
        app, therapist, therapist_client, today):
    app.config["PATIENTS_PER_PAGE"] = 2
    for name in ("Ada First", "Bo Second"):
        add_patient(app, therapist, name)
    flagged = patient_with_plan(app, therapist, "Zoe Last")
    in_session = patient_with_plan(app, therapist, "Cal Session")
    with database(app) as db:
        link = db_link(db, flagged.patient_id, therapist.id)
        measure_id = db_home_answer(db, link, flagged.course_id, "phq9", taken_on=today,
                                     item_9=1).id
        # A flag raised in session is the therapist's own: it does not move the patient up.
        db_measure(db, therapist.id, in_session.patient_id, in_session.course_id, "phq9", 8,
                   today, item_9=1)
        db.commit()

    first_page = rows(therapist_client)

    assert [name for name, _ in first_page] == ["Zoe Last", "Ada First"]
    assert "Needs attention" in first_page[0][1] and "awaits follow-up" in first_page[0][1]
    assert "Needs attention" not in first_page[1][1]

    assert follow_up(therapist_client, flagged.patient_id, measure_id,
                     "Called the patient; safety plan reviewed.").status_code == 302

    assert [name for name, _ in rows(therapist_client)] == ["Ada First", "Bo Second"]
    assert "Zoe Last" in dict(rows(therapist_client, page=2))
    assert all("Needs attention" not in text for _, text in rows(therapist_client, page=2))


def test_the_list_runs_as_many_queries_for_10_patients_between_sessions_as_for_2(
        app, therapist, therapist_client, count_queries, today):
    for number in range(2):
        between_sessions_patient(app, therapist, f"Patient {number}", today)
    therapist_client.get("/patients/")  # Warm up.
    with count_queries() as few:
        page = therapist_client.get("/patients/").get_data(as_text=True)
    assert page.count("2 new check-ins") == 2 and page.count("PHQ-9 due") == 2
    assert page.count("GAD-7 due") == 2 and page.count("No check-in for 4 days") == 2
    for number in range(2, 10):
        between_sessions_patient(app, therapist, f"Patient {number}", today)
    with count_queries() as many:
        page = therapist_client.get("/patients/").get_data(as_text=True)
    assert page.count("2 new check-ins") == 10 and page.count("PHQ-9 due") == 10
    assert page.count("GAD-7 due") == 10 and page.count("Next session") == 10
    assert len(many) == len(few), many
    with database(app) as db:
        assert len(db.scalars(select(Checkin)).all()) == 20
