"""The pages around sessions: course position, who may reach them, and a constant number of
queries however long the history."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.support.courses import make_course
from tests.support.database import count, database, snapshot
from tests.support.dosing import db_dosing
from tests.support.forms import csrf_token, main_of, only_post_form, text_of
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import queries_per_page
from tests.support.routes import urls
from tests.support.sessions import MAR, db_session, edit_page, save_page, start_session
from tests.support.sessions import signed as signed_columns
from tests.support.threads import belief_rating, strategy_review, theme_mention
from tracker.courses.models import Course
from tracker.sessions.models import Addendum, SessionDraft, TherapySession
from tracker.threads.models import ThemeMention

# Course position ------------------------------------------------------------------------


def test_the_course_shows_where_the_patient_is(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(client, pid, "Initial course", planned=6)
    ids = {}
    for name, kind, day in [("prep", "preparation", 2), ("dose1", "dosing", 9),
                            ("int1", "integration", 10), ("call", "check_in", 12),
                            ("dose2", "dosing", 16), ("int2", "integration", 17)]:
        ids[name] = start_session(client, pid, course, kind, MAR[day])

    patient_page = text_of(main_of(client.get(f"/patients/{pid}").get_data(as_text=True)))
    assert "dose 2 of 6" in patient_page
    rows = re.findall(r"(Preparation|Dosing \d|Integration after dose \d|Check-in) \w{3} \d\d Mar",
                      patient_page)
    assert rows == ["Preparation", "Dosing 1", "Integration after dose 1", "Check-in",
                    "Dosing 2", "Integration after dose 2"]
    # An integration session is attached to the dosing session it follows.
    with database(app) as db:
        assert db.get(TherapySession, ids["int1"]).follows_dosing_id == ids["dose1"]
        assert db.get(TherapySession, ids["int2"]).follows_dosing_id == ids["dose2"]
        assert db.get(TherapySession, ids["prep"]).follows_dosing_id is None
    _, form = edit_page(client, ids["int2"])
    assert form["follows_dosing_id"] == str(ids["dose2"])
    show = text_of(client.get(f"/sessions/{ids['dose2']}").get_data(as_text=True))
    assert "Initial course · dose 2 of 6" in show

    # A new course: preparation only.
    fresh = make_course(client, pid, "Booster series", start=MAR[20], planned=3)
    sid = start_session(client, pid, fresh, "preparation", MAR[21])
    assert "Booster series · preparation, 3 doses planned" in text_of(
        client.get(f"/sessions/{sid}").get_data(as_text=True))


def test_the_patient_page_title_is_the_patients_name(app, therapist, therapist_client):
    pid = add_patient(app, therapist, "Maya Okafor")
    make_course(therapist_client, pid)
    html = therapist_client.get(f"/patients/{pid}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title == "Maya Okafor · KAP Tracker"
    assert html.count('id="courses-heading"') == 1


def test_a_session_needs_a_course_of_the_same_patient(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    other = add_patient(app, therapist, "Other Patient")
    response = client.get(f"/patients/{pid}/sessions/new")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{pid}/courses/new"

    make_course(client, pid)
    other_course = make_course(client, other, "Other's course")
    page = client.get(f"/patients/{pid}/sessions/new").get_data(as_text=True)
    data = only_post_form(page)
    data.update(course_id=str(other_course), kind="dosing", session_date="2026-03-09",
                start_time="10:00", duration_minutes="120")
    response = client.post(f"/patients/{pid}/sessions/new", data=data)
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    with database(app) as db:
        assert count(db, TherapySession) == 0


@pytest.mark.parametrize("kind", ["preparation", "dosing", "integration", "check_in"])
def test_every_kind_of_session_has_its_pages(app, therapist, therapist_client, kind):
    client = therapist_client
    pid = add_patient(app, therapist, weight_kg=Decimal("64.5"))
    course = make_course(client, pid)
    sid = start_session(client, pid, course, kind, MAR[9], duration=120)
    html, form = edit_page(client, sid)
    assert ("dosing-dose_mg" in form) == (kind == "dosing")
    assert ("follows_dosing_id" in form) == (kind == "integration")
    extra = {"dosing-dose_mg": "32"} if kind == "dosing" else {}
    response = save_page(client, sid, "save_and_review", summary=f"A {kind} session.",
                         intention="Stay curious", **extra)
    assert response.headers["Location"] == f"/sessions/{sid}"
    show = client.get(f"/sessions/{sid}")
    assert show.status_code == 200
    page = text_of(show.get_data(as_text=True))
    assert f"A {kind} session." in page and "Stay curious" in page
    if kind == "dosing":
        assert "32.0 mg (0.50 mg/kg)" in page


# Access ----------------------------------------------------------------------------------


def test_another_therapist_gets_404_for_every_session_and_course_url(
        app, therapist, therapist_client, make_user, login_as):
    owner = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(owner, pid)
    sid = start_session(owner, pid, course, "integration", MAR[9])
    save_page(owner, sid, summary="Owner's summary.", private_notes="Owner's private note.",
              **{"new_themes-0-label": "the ocean"})
    html, form = edit_page(owner, sid)
    owner.post(f"/sessions/{sid}/autosave", data={**form, "summary": "Owner typing."})
    with database(app) as db:
        draft_id = db.scalar(select(SessionDraft.id))
        theme_id = db.scalar(select(ThemeMention.theme_id))
    values = {"patient_id": pid, "session_id": sid, "course_id": course, "draft_id": draft_id,
              "kind": "theme", "item_id": theme_id}

    stranger = login_as(make_user(email="colleague@example.org", name="A Colleague"))
    token = csrf_token(stranger, "/patients/")
    payload = {**form, "csrf_token": token, "summary": "Overwritten by a colleague.",
               "body": "Colleague's addendum.", "title": "Hijacked", "start_date": "2026-03-01",
               "planned_dosing_sessions": "6", "course_id": str(course), "kind": "dosing",
               "session_date": "2026-03-10", "start_time": "10:00", "duration_minutes": "50",
               "save": "1"}
    before = snapshot(app)
    checked = set()
    routes = urls(app, values, endpoints=("sessions.", "courses.", "export."), default=None)
    for endpoint, url, methods in routes:
        if "GET" in methods:
            assert stranger.get(url).status_code == 404, ("GET", url)
            assert owner.get(url).status_code in (200, 302), ("owner GET", url)
        if "POST" in methods:
            assert stranger.post(url, data=payload).status_code == 404, ("POST", url)
        checked.add(endpoint)

    assert snapshot(app) == before
    assert {"sessions.show", "sessions.edit", "sessions.autosave", "sessions.sign",
            "sessions.add_addendum", "sessions.discard_draft", "sessions.remove_item",
            "courses.new_course", "courses.edit_course", "sessions.new",
            "export.patient_record"} <= checked
    # Nor can the colleague start a session for the patient with their own course id.
    assert stranger.get(f"/patients/{pid}").status_code == 404


# Query counts ------------------------------------------------------------------------------


def _patient_with_history(app, user, name, n_sessions) -> dict:
    """A patient with n sessions of history, then a signed integration session with an
    addendum, a dosing session with vitals and an integration draft after it: every session
    touches each thread."""
    pid = add_patient(app, user, name, weight_kg=Decimal("70.0"))
    with database(app) as db:
        ids = build_history(db, user.id, pid, n_sessions)
        course = db.get(Course, ids["course"])
        start = datetime(2025, 1, 6, 10, 0) + timedelta(days=7 * n_sessions)
        signed = db_session(db, user.id, course, "integration", start, summary="Signed one",
                            **signed_columns(user.id))
        dosing = db_session(db, user.id, course, "dosing", start + timedelta(days=7),
                            summary="Dose")
        draft = db_session(db, user.id, course, "integration", start + timedelta(days=8),
                           follows_dosing_id=dosing.id, summary="Draft")
        db.add(Addendum(session_id=signed.id, author_id=user.id, body="An addendum."))
        db_dosing(db, dosing.id, vitals=[{"position": 0, "timepoint": "baseline",
                                          "systolic": 182, "diastolic": 96}])
        for session in (signed, dosing, draft):
            db.add_all([strategy_review(session.id, ids["strategy"], times_practised=3,
                                        helpfulness=7),
                        belief_rating(session.id, ids["belief"], old_conviction=40,
                                      new_conviction=60),
                        theme_mention(session.id, ids["theme"])])
        db.commit()
        return {"patient": pid, "signed": signed.id, "dosing": dosing.id, "draft": draft.id}


def test_session_pages_use_a_constant_number_of_queries(
        app, therapist, therapist_client, count_queries):
    client = therapist_client
    small = _patient_with_history(app, therapist, "Five Sessions", 5)
    large = _patient_with_history(app, therapist, "Fifty Sessions", 50)

    def pages(ids):
        return {
            "patient page": f"/patients/{ids['patient']}",
            "signed session": f"/sessions/{ids['signed']}",
            "dosing session": f"/sessions/{ids['dosing']}",
            "dosing edit": f"/sessions/{ids['dosing']}/edit",
            "draft session": f"/sessions/{ids['draft']}",
            "draft edit": f"/sessions/{ids['draft']}/edit",
        }

    def checks(sessions_listed):
        def check(page, response):
            html = response.get_data(as_text=True)
            if page == "patient page":
                assert main_of(html).count('href="/sessions/') == sessions_listed
            if page == "draft edit":
                assert 'id="carried-strategy-' in html and 'id="carried-theme-' in html
            if page == "signed session":
                assert "An addendum." in html

        return check

    counts = {label: queries_per_page(client, count_queries, pages(ids), checks(listed))
              for label, ids, listed in (("small", small, 5 + 3), ("large", large, 50 + 3))}
    for page in pages(small):
        assert counts["small"][page] == counts["large"][page], (page, counts)
