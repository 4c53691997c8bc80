"""Hypothesis fuzzing of every form: arbitrary text, numbers, dates and choices.

Properties, for each submission:
- never a server error (in tests an unhandled error raises instead of answering 500);
- a refused submission (any answer but the form's success) changes no table, and a
  successful one changes only the tables the form is about, and every page that then shows
  the record still renders.

Tables that record what happened rather than what was entered are left out of the
comparison: login_sessions (a password change signs in again) and session_drafts (the
session page keeps what was typed in a refused save, by design: tracker/sessions/views.py
_keep_typed), and the audit trail's tables.

Each test uses one app and one signed-in client; Hypothesis runs inside it (the function
fixtures are set up once, not per example) and every example compares against a snapshot
taken just before it. Examples are derandomized (the same inputs on every run) and bounded.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import strategies as st
from sqlalchemy import text as sql

from tests.support.courses import make_course
from tests.support.forms import csrf_token, form_fields
from tests.support.fuzzing import (
    CHARACTERS,
    EXAMPLES,
    Outcomes,
    Value,
    anything,
    changed_tables,
    choice_value,
    date_value,
    form,
    free_text,
    fuzz,
    long_text,
    number_value,
    optional,
    text_value,
    time_value,
)
from tests.support.measures import questionnaire, saved_measure_id
from tests.support.patients import add_patient
from tests.support.sessions import decide_all, edit_page, save_page, sign, start_session
from tests.support.users import TEST_PASSWORD
from tracker.db import Base

NOT_COMPARED = frozenset({"login_sessions", "session_drafts"})


@pytest.fixture
def app_config(app_config):
    # Fuzzing the password form must reach the form, not the re-authentication limit.
    # (Not RATELIMIT_ENABLED=False: see the report on tracker/limits.py.)
    return {**app_config, "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute"}


# Database snapshots ---------------------------------------------------------------------


def snapshot(app) -> dict[str, list]:
    """Every compared table as stored (raw rows, sorted)."""
    engine = app.extensions["tracker.engine"]
    names = [table.name for table in Base.metadata.sorted_tables
             if table.name not in NOT_COMPARED and not table.name.startswith("audit")]
    with engine.connect() as connection:
        # Raw rows (no type decoding): names are the models' own, not input.
        return {name: sorted(map(repr, connection.execute(sql(f'SELECT * FROM "{name}"'))))  # noqa: S608
                for name in names}


def check_submission(app, post, data, outcomes: Outcomes, *, succeeded=None,
                     allowed: set[str], after=None):
    """Post once and check the properties; returns the response."""
    before = snapshot(app)
    response = post(data)
    assert response.status_code < 500, response.status_code
    changed = changed_tables(before, snapshot(app))
    if (succeeded or redirected)(response):
        outcomes.saved += 1
        assert changed <= allowed, f"a success also changed {changed - allowed}"
        if after is not None:
            after(response)
    else:
        outcomes.refused += 1
        assert response.status_code in (200, 400, 401, 404, 409, 413, 429), (
            response.status_code, response.headers.get("Location"))
        assert not changed, f"refused ({response.status_code}) but changed {changed}"
    return response


def redirected(response) -> bool:
    return response.status_code == 302


def poster(client, path: str, token: str):
    def post(data):
        return client.post(path, data={"csrf_token": token, **data})
    return post


def renders(client, *paths):
    """The pages that show what was just saved still render."""
    def check(_response):
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (path, page.status_code)
    return check


# Forms ----------------------------------------------------------------------------------

PATIENT_FIELDS = {
    "display_name": text_value(120, required=True),
    "preferred_name": text_value(80),
    "pronouns": text_value(40),
    "date_of_birth": optional(date_value(date(1900, 1, 1), date.today())),
    "record_number": text_value(64),
    "weight_kg": optional(number_value(20, 350, places=1)),
    "treatment_intentions": text_value(5000),
}


def _patient_pages(client):
    def check(response):
        pid = re.search(r"/patients/(\d+)$", response.headers["Location"]).group(1)
        renders(client, f"/patients/{pid}", f"/patients/{pid}/edit",
                f"/patients/{pid}/progress", f"/patients/{pid}/brief",
                f"/patients/{pid}/print.css", "/patients/")(response)
    return check


def test_patient_new_and_edit(app, therapist, therapist_client):
    client = therapist_client
    token = csrf_token(client, "/patients/new")
    pid = add_patient(app, therapist, "Maya Okafor")
    edges = [{"display_name": name, "weight_kg": weight, "date_of_birth": born}
             for name, weight, born in [
                 ("\x00", "NaN", "0001-01-01"), ("\u202eA", "1e999999", "9999-12-31"),
                 ("Ann\x00", "-0", "1900-01-01"), ("A" * 121, "349.95", ""),
                 ("B", "350.05", "2026-02-29"), ("C", "sNaN", ""), ("D", "9" * 5000, "")]]
    for path in ("/patients/new", f"/patients/{pid}/edit"):
        fuzz(form(PATIENT_FIELDS), lambda data, outcomes, path=path: check_submission(
            app, poster(client, path, token), data, outcomes, allowed={"patients"},
            after=_patient_pages(client)), explicit=edges)


COURSE_FIELDS = {
    "title": text_value(120, required=True),
    "start_date": date_value(),
    "planned_dosing_sessions": number_value(1, 24),
    "default_medication": choice_value(["racemic_ketamine", "esketamine"]),
    "default_route": choice_value(["im", "iv", "intranasal", "sublingual"]),
    "status": choice_value(["planned", "active", "completed", "discontinued"]),
}


def test_course_new_and_edit(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(client, pid)
    start_session(client, pid, course, "dosing", date.today() - timedelta(days=3))
    token = csrf_token(client, f"/patients/{pid}/courses/new")
    pages = renders(client, f"/patients/{pid}", f"/patients/{pid}/progress",
                    f"/patients/{pid}/progress/print", f"/patients/{pid}/brief",
                    f"/patients/{pid}/sessions/new", f"/patients/{pid}/measures/new/phq9")
    edges = [{"title": "Course", "start_date": start, "planned_dosing_sessions": planned,
              "default_medication": "esketamine", "default_route": "intranasal",
              "status": "active"}
             for start, planned in [("0001-01-01", "1"), ("9999-12-31", "24"),
                                    ("2026-01-01", "9" * 5000), ("2026-01-01", "²"),
                                    ("2026-01-01", "25"), ("2026-01-01", "1e3")]]
    for path in (f"/patients/{pid}/courses/new", f"/patients/{pid}/courses/{course}/edit"):
        fuzz(form(COURSE_FIELDS), lambda data, outcomes, path=path: check_submission(
            app, poster(client, path, token), data, outcomes, allowed={"courses"},
            after=pages), explicit=edges)


def test_new_session(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(client, pid)
    other = add_patient(app, therapist, "Other Patient")
    other_course = make_course(client, other, "Other course")
    path = f"/patients/{pid}/sessions/new"
    token = csrf_token(client, path)
    fields = {
        "course_id": Value(st.just(str(course)),
                           st.sampled_from([str(other_course), f" {course}", f"0{course}",
                                            "9" * 30, "", "x"])),
        "kind": choice_value(["preparation", "dosing", "integration", "check_in"]),
        "session_date": date_value(date.today() - timedelta(days=30), date.today()),
        "start_time": time_value(),
        "duration_minutes": number_value(1, 720),
    }

    def pages(response):
        renders(client, response.headers["Location"], f"/patients/{pid}",
                f"/patients/{pid}/progress", f"/patients/{pid}/brief")(response)

    edges = [{"course_id": str(course), "kind": "dosing", "session_date": day,
              "start_time": start, "duration_minutes": minutes}
             for day, start, minutes in [
                 ("9999-12-31", "10:00", "50"), ("0001-01-01", "10:00", "50"),
                 (date.today().isoformat(), "24:00", "50"),
                 (date.today().isoformat(), "23:59", "720"),
                 (date.today().isoformat(), "00:00", "9" * 5000),
                 ((date.today() + timedelta(days=366)).isoformat(), "10:00", "1")]]
    fuzz(form(fields), lambda data, outcomes: check_submission(
        app, poster(client, path, token), data, outcomes,
        allowed={"therapy_sessions", "search_documents"}, after=pages), explicit=edges)


# The session page -----------------------------------------------------------------------

SESSION_TEXT = {"intention": 5000, "summary": 20000, "private_notes": 50000}


def _session_history(app, client, therapist):
    """A dosing session signed with a new theme, belief and strategy, then an integration
    draft that carries them, and a dosing draft: the two pages to fuzz."""
    pid = add_patient(app, therapist, weight_kg=Decimal("70.0"))
    course = make_course(client, pid, start=date.today() - timedelta(days=40))
    first = start_session(client, pid, course, "dosing", date.today() - timedelta(days=20))
    save_page(client, first, summary="First dose.", **{
        "dosing-dose_mg": "35", "new_themes-0-label": "the ocean",
        "new_beliefs-0-old_belief": "I have to earn love",
        "new_beliefs-0-new_belief": "I am worth care",
        "new_strategies-0-description": "Walk by the river",
        "new_strategies-0-target_per_week": "3"})
    assert sign(client, first).status_code == 302
    integration = start_session(client, pid, course, "integration",
                                date.today() - timedelta(days=19))
    dosing = start_session(client, pid, course, "dosing", date.today() - timedelta(days=5))
    return pid, integration, dosing


# Plausible values of the number fields (the app's own ranges are tighter in places).
RANGES = {"duration_minutes": (1, 720), "dose_mg": (20, 80), "weight_kg": (40, 150),
          "systolic": (100, 160), "diastolic": (50, 90), "heart_rate": (50, 120),
          "spo2": (90, 100), "old_conviction": (0, 100), "new_conviction": (0, 100),
          "times_practised": (0, 500), "helpfulness": (0, 10), "target_per_week": (1, 50),
          "new_target": (1, 50)}
TIMES = {"start_time", "given_at", "administered_at", "monitoring_start", "monitoring_end"}
DECISIONS = ["continue", "modify", "pause", "retire", "not_discussed", "emerging",
             "strengthening", "established", "raised", "resolved"]


def _session_fields(rendered: dict) -> dict[str, Value]:
    """What each field of the session page may receive, from the form as rendered."""
    fields = {}
    for name, value in rendered.items():
        leaf = name.rsplit("-", 1)[-1]
        if name in SESSION_TEXT:
            fields[name] = text_value(SESSION_TEXT[name])
        elif leaf in ("label", "description", "new_description", "old_belief", "new_belief"):
            fields[name] = text_value(300 if leaf != "label" else 200)
        elif leaf in ("notes", "note", "barriers", "adverse_event_notes", "transport_notes"):
            fields[name] = text_value(2000)
        elif leaf == "session_date":
            fields[name] = date_value(date.today() - timedelta(days=60))
        elif leaf in TIMES:
            fields[name] = optional(time_value()) if leaf != "start_time" else time_value()
        elif leaf in RANGES:
            fields[name] = optional(number_value(*RANGES[leaf]))
        elif leaf == "decision":
            fields[name] = choice_value(DECISIONS)
        elif leaf in ("editor_id", "csrf_token", "version", "restored_from", "item_id"):
            continue  # Fresh for each example; garbage may still replace them.
        else:  # Categories, medication, route, transport, the dosing session followed.
            fields[name] = Value(st.just(value), anything(40))
    return fields


SESSION_TABLES = {"therapy_sessions", "psychotherapy_notes", "dosing_records", "booster_doses",
                  "vital_signs", "themes", "theme_mentions", "beliefs", "belief_ratings",
                  "strategies", "strategy_reviews", "search_documents"}
EXTRA_NAMES = ["strategies-7-decision", "beliefs-3-item_id", "new_themes-99-label",
               "dosing-boosters-5-dose_mg", "dosing-adverse_events", "strategies-0-item_id",
               "version", "editor_id", "restored_from", "themes-0-item_id"]


@pytest.mark.parametrize("which", ["integration", "dosing"])
def test_session_page(app, therapist, therapist_client, which):
    client = therapist_client
    pid, integration, dosing = _session_history(app, client, therapist)
    sid = integration if which == "integration" else dosing
    _, rendered = edit_page(client, sid)
    fields = _session_fields(decide_all(rendered))
    valid = {"dosing-dose_mg": "35"} if which == "dosing" else {}  # Required there.
    pages = renders(client, f"/sessions/{sid}", f"/sessions/{sid}/edit", f"/patients/{pid}",
                    f"/patients/{pid}/progress", f"/patients/{pid}/brief",
                    f"/patients/{pid}/sessions/print")

    @st.composite
    def submissions(draw):
        """The page as rendered with some fields changed: half of the time to valid values,
        otherwise to any, plus a few fields (or unknown names) replaced by anything."""
        clean = draw(st.booleans())
        data = {}
        for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=8, unique=True)):
            value = fields[name]
            data[name] = draw(value.valid if clean else st.one_of(value.valid, value.odd))
        if not clean:
            for name in draw(st.lists(st.sampled_from([*fields, *EXTRA_NAMES]), max_size=2,
                                      unique=True)):
                data[name] = draw(anything(40))
        return data, draw(st.sampled_from(["save", "save_and_review"]))

    def submit(example, outcomes):
        data, button = example
        _, fresh = edit_page(client, sid)  # The current version, editor and carried items.
        check_submission(app, lambda d: client.post(f"/sessions/{sid}/edit", data=d),
                         {**decide_all(fresh), **valid, **data, button: "1"}, outcomes,
                         allowed=SESSION_TABLES, after=pages)

    edges = [({"session_date": "0001-01-01"}, "save"),
             ({"session_date": "1990-01-01", "start_time": "00:00"}, "save"),
             ({"duration_minutes": "9" * 5000, "summary": "\x00" * 10}, "save"),
             ({"private_notes": "é" * 50001}, "save_and_review"),
             ({"version": "0"}, "save"), ({"version": "99999999999"}, "save"),
             ({"editor_id": "g" * 16}, "save"), ({"restored_from": "1"}, "save")]
    if which == "dosing":
        edges += [({"dosing-dose_mg": dose, "dosing-weight_kg": weight}, "save")
                  for dose, weight in [("1e999999", "NaN"), ("sNaN", "-Infinity"),
                                       ("35.25", "1e-400"), ("9" * 5000, "70")]]
        edges += [({"dosing-baseline-systolic": "9" * 20, "dosing-peak-spo2": "²",
                    "dosing-boosters-0-dose_mg": "NaN", "dosing-boosters-1-given_at": "24:00",
                    "dosing-monitoring_start": "23:59", "dosing-monitoring_end": "00:00"},
                   "save")]
    else:
        edges += [({"strategies-0-decision": "modify", "strategies-0-new_description": "",
                    "beliefs-0-old_conviction": "NaN", "themes-0-decision": "resolved"}, "save"),
                  ({"strategies-0-decision": "modify",
                    "strategies-0-new_description": "Walk at dawn",
                    "strategies-0-new_target": "5"}, "save"),
                  ({"follows_dosing_id": "9" * 30}, "save")]
    fuzz(submissions(), submit, explicit=edges)


# Questionnaires, follow-ups, addenda ------------------------------------------------------


def test_questionnaire(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(client, pid, start=date.today() - timedelta(days=30))
    sid = start_session(client, pid, course, "integration", date.today() - timedelta(days=2))
    token = csrf_token(client, f"/patients/{pid}/measures/new/phq9")
    answer = number_value(0, 3)

    def pages(response):
        renders(client, response.headers["Location"], f"/patients/{pid}",
                f"/patients/{pid}/progress", f"/patients/{pid}/progress/print",
                f"/patients/{pid}/brief")(response)

    for code, items in (("phq9", 9), ("gad7", 7), ("pcl5", 20)):
        fields = {"course_id": choice_value([str(course)]),
                  "session_id": Value(st.sampled_from(["0", str(sid)]),
                                      st.sampled_from([str(sid + 1000), "-1", "9" * 25])),
                  "taken_on": date_value(date.today() - timedelta(days=60), date.today()),
                  **{f"item_{n}": answer for n in range(1, items + 1)}}
        if code != "gad7":
            fields["difficulty"] = optional(number_value(0, 3))
        path = f"/patients/{pid}/measures/new/{code}"
        fuzz(form(fields, garbage=2), lambda data, outcomes, path=path: check_submission(
            app, poster(client, path, token), data, outcomes, allowed={"measure_responses"},
            after=pages), examples=EXAMPLES // 2)


def test_follow_up_and_addendum(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = make_course(client, pid, start=date.today() - timedelta(days=30))
    measure = saved_measure_id(questionnaire(client, pid, "phq9", [1] * 9, course_id=course,
                                             taken_on=date.today() - timedelta(days=3)))
    sid = start_session(client, pid, course, "preparation", date.today() - timedelta(days=3))
    save_page(client, sid, summary="Preparation.")
    assert sign(client, sid).status_code == 302
    token = csrf_token(client, f"/sessions/{sid}")
    measure_page = f"/patients/{pid}/measures/{measure}"
    assert form_fields(client.get(measure_page).get_data(as_text=True),
                       action=f"{measure_page}/follow-up")

    follow_up = form({"followed_up_on": date_value(date.today() - timedelta(days=30)),
                      "action": text_value(5000, required=True)})
    fuzz(follow_up, lambda data, outcomes: check_submission(
        app, poster(client, f"{measure_page}/follow-up", token), data, outcomes,
        allowed={"safety_follow_ups"},
        after=renders(client, measure_page, f"/patients/{pid}", f"/patients/{pid}/progress",
                      f"/patients/{pid}/brief")))

    addendum = form({"body": text_value(20000, required=True)})
    fuzz(addendum, lambda data, outcomes: check_submission(
        app, poster(client, f"/sessions/{sid}/addenda", token), data, outcomes,
        allowed={"addenda"},
        after=renders(client, f"/sessions/{sid}", f"/patients/{pid}/sessions/print")))


# Accounts -------------------------------------------------------------------------------


def test_change_password(app, therapist, login_as):
    client = login_as(therapist)
    known = {"password": TEST_PASSWORD, "token": csrf_token(client, "/account/password")}
    password = st.one_of(free_text(30), long_text(256), st.sampled_from(["", "short"]),
                         st.text(CHARACTERS, min_size=12, max_size=40))
    strong = st.text(CHARACTERS, min_size=12, max_size=64)
    submissions = st.tuples(st.booleans(), password, password, strong, st.integers(0, 3))

    def submit(example, outcomes):
        clean, current, typed, new, variant = example
        if clean:  # The current password, and a new one of the allowed length, twice.
            data = {"current_password": known["password"], "new_password": new,
                    "confirm": new}
        else:
            new = typed
            data = {"current_password": current if variant else known["password"],
                    "new_password": typed, "confirm": typed if variant < 2 else current}
            if variant == 2:
                data["confirm"] = [typed, current]
            elif variant == 3:
                data.pop("current_password")

        def after(_response):
            known["password"] = new
            known["token"] = csrf_token(client, "/account/password")
            login_as(therapist, new)  # Exactly what was typed signs in, from a new browser.

        check_submission(app, poster(client, "/account/password", known["token"]), data,
                         outcomes, allowed={"users"}, after=after)

    fuzz(submissions, submit)
    assert client.get("/patients/").status_code == 200  # Still signed in.


def test_set_password_link(app, make_user, therapist):
    """The holder's side of a password reset (public): odd passwords, codes and tokens."""
    from tracker.auth import resets
    from tracker.db import get_db
    from tracker.models import User

    admin = make_user(email="admin@example.org", name="Practice Admin", is_admin=True)

    def new_link() -> str:
        with app.app_context():
            db = get_db()
            token = resets.issue(db, db.get(User, admin.id), db.get(User, therapist.id))
            db.commit()
        return token

    client = app.test_client()
    known = {"token": new_link()}
    password = st.one_of(free_text(30), long_text(256), st.sampled_from(["", "short"]),
                         st.text(CHARACTERS, min_size=12, max_size=40))
    submissions = st.tuples(password, password, free_text(20), st.integers(0, 3))

    def submit(example, outcomes):
        typed, other, code, variant = example
        data = {"token": known["token"] if variant else "x" + known["token"],
                "new_password": typed, "confirm": typed if variant < 2 else other,
                "code": code}
        if variant == 3:
            data["token"] = [known["token"], "another"]
        token = csrf_token(client, "/login")

        def after(_response):
            known["token"] = new_link()

        check_submission(app, poster(client, "/set-password", token), data, outcomes,
                         allowed={"users", "password_resets"}, after=after)

    fuzz(submissions, submit)


def test_admin_new_user(app, make_user, login_as):
    admin = make_user(email="admin@example.org", name="Practice Admin", is_admin=True)
    client = login_as(admin)
    token = csrf_token(client, "/admin/users/new")
    emails = Value(
        st.one_of(st.emails().map(str),
                  st.builds("{}{}@example.org".format,
                            st.text(st.characters(categories=("L", "N")), min_size=1,
                                    max_size=12), st.integers(0, 10**6))),
        st.one_of(free_text(40), long_text(254), st.sampled_from([
            "admin@example.org", "ADMIN@example.org", " admin@example.org ", "a@b",
            "@example.org", "x@[127.0.0.1]", "\x00@example.org", "a@b@example.org"])))
    fields = {"name": text_value(120, required=True), "email": emails,
              "is_admin": Value(st.sampled_from(["", "y"]), st.sampled_from(["on", "false"]))}

    def created(response) -> bool:
        return (response.status_code == 200
                and "<h1>Account created</h1>" in response.get_data(as_text=True))

    fuzz(form(fields), lambda data, outcomes: check_submission(
        app, poster(client, "/admin/users/new", token), data, outcomes, succeeded=created,
        allowed={"users"}, after=renders(client, "/admin/users")))


def test_care_team_share(app, therapist, therapist_client, make_user):
    patient_id = add_patient(app, therapist, "Maya Okafor")
    colleagues = [make_user(email=f"colleague{i}@example.org", name=f"Colleague {i}")
                  for i in range(4)]
    path = f"/patients/{patient_id}/care-team"
    token = csrf_token(therapist_client, path)
    fields = {"user_id": choice_value([str(c.id) for c in colleagues]),
              "relationship": choice_value(["co-therapist", "prescriber", "supervisor",
                                            "other"]),
              "role": choice_value(["read", "write"])}
    fuzz(form(fields), lambda data, outcomes: check_submission(
        app, poster(therapist_client, path, token), data, outcomes,
        allowed={"care_team_members"}, after=renders(therapist_client, path, "/patients/")))


def test_break_glass(app, make_user, login_as, therapist):
    add_patient(app, therapist, "Maya Okafor", record_number="MRN-1")
    add_patient(app, therapist, "Dan Reyes", record_number="MRN-2")
    admin = make_user(email="admin@example.org", name="Practice Admin", is_admin=True)
    client = login_as(admin)
    path = "/admin/emergency-access"
    token = csrf_token(client, path)
    fields = {"patient": Value(st.sampled_from(["MRN-1", "MRN-2", "maya okafor", "DAN REYES"]),
                               st.one_of(free_text(40), long_text(120),
                                         st.sampled_from(["MRN", "Maya", "%", "_"]))),
              "reason": text_value(2000, required=True),
              "password": Value(st.just(TEST_PASSWORD),
                                st.one_of(free_text(30), long_text(256)))}
    fuzz(form(fields), lambda data, outcomes: check_submission(
        app, poster(client, path, token), data, outcomes, allowed={"emergency_access"},
        after=renders(client, path)))


def test_checkin_link(app, therapist, therapist_client):
    """A new check-in link, with reminders on: any address is kept, blank, or refused."""
    app.config["MAIL_SERVER"] = "127.0.0.1"
    patient_id = add_patient(app, therapist, "Maya Okafor")
    page, path = f"/patients/{patient_id}/between-sessions", f"/patients/{patient_id}/checkin-link"
    fields = {"reminder_email": Value(
        st.sampled_from(["", "maya@example.org", " Maya.Okafor+kap@example.co.uk "]),
        st.one_of(free_text(60), long_text(254), st.builds(lambda local: f"{local}@example.org",
                                                           free_text(30))))}
    fuzz(form(fields), lambda data, outcomes: check_submission(
        app, poster(therapist_client, path, csrf_token(therapist_client, page)), data, outcomes,
        succeeded=lambda response: 'class="checkin-code"' in response.get_data(as_text=True),
        allowed={"checkin_links"}, after=renders(therapist_client, page, "/patients/")))


ZONES = choice_value(["", "UTC", "Pacific/Auckland", "America/Los_Angeles", "Europe/Berlin"])


def test_time_zones(app, make_user, login_as, therapist_client):
    """The account's own zone and the practice's: any value is a zone, blank, or refused."""
    fuzz(form({"timezone": ZONES}), lambda data, outcomes: check_submission(
        app, poster(therapist_client, "/account/time-zone",
                    csrf_token(therapist_client, "/account/time-zone")), data, outcomes,
        allowed={"users"}, after=renders(therapist_client, "/account/time-zone", "/patients/")))
    admin = login_as(make_user(email="admin@example.org", name="Admin", is_admin=True))
    # (Requiring two-factor login is left off: it would send this admin to enrolment.)
    fuzz(form({"timezone": ZONES}),
         lambda data, outcomes: check_submission(
             app, poster(admin, "/admin/settings", csrf_token(admin, "/admin/settings")),
             data, outcomes, allowed={"practice_settings"},
             after=renders(admin, "/admin/settings", "/admin/users")))


def test_every_form_of_the_app_is_fuzzed():
    """A new form class must get a fuzz test here (or in test_fuzz_auth.py) to pass."""
    import importlib
    import pkgutil

    import tracker
    from tracker.forms import BaseForm

    for module in pkgutil.walk_packages(tracker.__path__, "tracker."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    fuzzed = {
        "PatientForm": test_patient_new_and_edit, "CourseForm": test_course_new_and_edit,
        "NewSessionForm": test_new_session, "SessionForm": test_session_page,
        "DosingSessionForm": test_session_page,
        "SignForm": test_session_page, "AddendumForm": test_follow_up_and_addendum,
        "FollowUpForm": test_follow_up_and_addendum, "NewUserForm": test_admin_new_user,
        "ShareForm": test_care_team_share, "EmergencyAccessForm": test_break_glass,
        "QuestionnaireForm": test_questionnaire,
        # In test_fuzz_auth.py: sign-in, the code step, enrolment, re-authentication and the
        # password form (also fuzzed here: test_change_password).
        "LoginForm": "test_fuzz_auth", "CodeForm": "test_fuzz_auth",
        "ConfirmTwoFactorForm": "test_fuzz_auth", "ReauthenticateForm": "test_fuzz_auth",
        "ChangePasswordForm": test_change_password, "SetPasswordForm": test_set_password_link,
        # Forms without input: a button and its CSRF token.
        "StartTwoFactorForm": None,
        "LinkForm": test_checkin_link,
        "TimeZoneForm": test_time_zones, "PracticeSettingsForm": test_time_zones,
        # In test_checkin_forms.py: the patient's forms and the therapist's between-sessions
        # forms.
        "AccessCodeForm": "test_checkin_forms", "CheckinForm": "test_checkin_forms",
        "ScheduleForm": "test_checkin_forms", "NextSessionForm": "test_checkin_forms",
    }
    names = {cls.__name__ for cls in subclasses(BaseForm)}
    assert names - set(fuzzed) == set(), "fuzz these forms too"
