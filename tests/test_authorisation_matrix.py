"""The authorisation matrix: every endpoint and method of the app, times every relation an
account can have to a patient, with the answer each must get.

Adding an endpoint without placing it in MATRIX fails test_every_endpoint_is_in_the_matrix.
Each (endpoint, method) runs in a fresh database with fresh sign-ins; the roles that may
change things go last, so that a refused request is tried on the untouched record.
"""

from datetime import date, datetime

import pytest
from flask import url_for

from tests.support.care_team import emergency_access, team_member
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import csrf_token
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember
from tracker.patients.models import Patient
from tracker.sessions.models import SessionDraft

# Who asks. "emergency" is an administrator with an open break-glass grant on the patient.
ROLES = ("anonymous", "other", "admin", "emergency", "reader", "writer", "primary")

LOGIN, OK, FORBIDDEN, NOT_FOUND, NO_LINK = "login", "ok", "403", "404", "401"


def row(anonymous, other, admin, emergency, reader, writer, primary) -> dict:
    return dict(zip(ROLES, (anonymous, other, admin, emergency, reader, writer, primary),
                    strict=True))


PUBLIC = row(OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK)
ADMIN_ONLY = row(LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
# Looking at a patient's record: the care team, and an administrator only under break-glass.
PATIENT_READ = row(LOGIN, NOT_FOUND, NOT_FOUND, OK, OK, OK, OK)
# Documenting and changing it: the primary therapist and write members.
PATIENT_WRITE = row(LOGIN, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, OK, OK)
# Managing the team, archiving, the access history: the primary therapist alone.
PATIENT_PRIMARY = row(LOGIN, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
# The patient's check-in pages: only their own cookie (a link and its code) opens them; no
# therapist's login does (tests/test_checkin_access.py has the patient's side).
PATIENT_PAGE = row(*[NO_LINK] * 7)

MATRIX = {
    ("static", "GET"): PUBLIC,
    ("health.healthz", "GET"): PUBLIC,
    ("csp_report", "POST"): PUBLIC,
    # A signed-in visitor is sent on from the sign-in pages; an anonymous one gets the form
    # (the code step without a password accepted first goes back to the sign-in page).
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.login_code", "GET"): row(LOGIN, OK, OK, OK, OK, OK, OK),
    ("auth.login_code", "POST"): row(LOGIN, OK, OK, OK, OK, OK, OK),
    ("auth.logout", "POST"): row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    # The holder's side of a password reset: nothing without a live link's token.
    ("auth.set_password", "GET"): row(*[NOT_FOUND] * 7),
    ("auth.set_password", "POST"): row(*[NOT_FOUND] * 7),
    ("home", "GET"): SIGNED_IN,
    ("account.change_password", "GET"): SIGNED_IN,
    ("account.change_password", "POST"): SIGNED_IN,
    ("account.csrf_token", "GET"): SIGNED_IN,
    ("account.ping", "POST"): SIGNED_IN,
    ("account.recovery_codes", "GET"): SIGNED_IN,
    ("account.recovery_codes", "POST"): SIGNED_IN,
    ("account.time_zone", "GET"): SIGNED_IN,
    ("account.time_zone", "POST"): SIGNED_IN,
    ("account.two_factor", "GET"): SIGNED_IN,
    ("account.two_factor", "POST"): SIGNED_IN,
    ("account.two_factor_disable", "GET"): SIGNED_IN,
    ("account.two_factor_disable", "POST"): SIGNED_IN,
    ("account.two_factor_setup", "POST"): SIGNED_IN,
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.new_user", "GET"): ADMIN_ONLY,
    ("admin.new_user", "POST"): ADMIN_ONLY,
    ("admin.disable", "POST"): ADMIN_ONLY,
    ("admin.enable", "POST"): ADMIN_ONLY,
    ("admin.reset_password", "POST"): ADMIN_ONLY,
    ("admin.reset_two_factor", "POST"): ADMIN_ONLY,
    ("admin.confirm_recovery", "POST"): ADMIN_ONLY,
    ("admin.settings", "GET"): ADMIN_ONLY,
    ("admin.settings", "POST"): ADMIN_ONLY,
    ("audit.browse", "GET"): ADMIN_ONLY,
    ("care_team.emergency_access", "GET"): ADMIN_ONLY,
    ("care_team.emergency_access", "POST"): ADMIN_ONLY,
    ("care_team.end_emergency_access", "POST"): ADMIN_ONLY,
    ("patients.index", "GET"): SIGNED_IN,
    ("search.index", "GET"): SIGNED_IN,
    ("patients.new", "GET"): SIGNED_IN,
    ("patients.new", "POST"): SIGNED_IN,
    ("patients.show", "GET"): PATIENT_READ,
    ("patients.edit", "GET"): PATIENT_WRITE,
    ("patients.edit", "POST"): PATIENT_WRITE,
    ("patients.archive", "POST"): PATIENT_PRIMARY,
    ("patients.restore", "POST"): PATIENT_PRIMARY,
    ("audit.patient_history", "GET"): PATIENT_PRIMARY,
    ("care_team.show", "GET"): PATIENT_READ,
    ("care_team.show", "POST"): PATIENT_PRIMARY,
    ("care_team.revoke", "POST"): PATIENT_PRIMARY,
    ("care_team.acknowledge", "POST"): PATIENT_PRIMARY,
    ("courses.new_course", "GET"): PATIENT_WRITE,
    ("courses.new_course", "POST"): PATIENT_WRITE,
    ("courses.edit_course", "GET"): PATIENT_WRITE,
    ("courses.edit_course", "POST"): PATIENT_WRITE,
    ("sessions.new", "GET"): PATIENT_WRITE,
    ("sessions.new", "POST"): PATIENT_WRITE,
    ("measures.new", "GET"): PATIENT_WRITE,
    ("measures.new", "POST"): PATIENT_WRITE,
    ("measures.show", "GET"): PATIENT_READ,
    ("measures.follow_up", "POST"): PATIENT_WRITE,
    ("sessions.show", "GET"): PATIENT_READ,
    ("sessions.edit", "GET"): PATIENT_WRITE,
    ("sessions.edit", "POST"): PATIENT_WRITE,
    ("sessions.autosave", "POST"): PATIENT_WRITE,
    ("sessions.discard_draft", "POST"): PATIENT_WRITE,
    ("sessions.remove_item", "POST"): PATIENT_WRITE,
    ("sessions.sign", "POST"): PATIENT_WRITE,
    ("sessions.add_addendum", "POST"): PATIENT_WRITE,
    ("progress.show", "GET"): PATIENT_READ,
    ("progress.brief", "GET"): PATIENT_READ,
    ("progress.print_progress", "GET"): PATIENT_READ,
    ("progress.print_sessions", "GET"): PATIENT_READ,
    ("progress.page_css", "GET"): PATIENT_READ,
    ("export.patient_record", "GET"): PATIENT_READ,
    ("checkins.manage", "GET"): PATIENT_READ,
    ("checkins.plan", "GET"): PATIENT_READ,
    ("checkins.create_link", "POST"): PATIENT_WRITE,
    ("checkins.revoke_link", "POST"): PATIENT_WRITE,
    ("checkins.unlock_link", "POST"): PATIENT_WRITE,
    ("checkins.next_session", "POST"): PATIENT_WRITE,
    ("checkins.add_schedule", "POST"): PATIENT_WRITE,
    ("checkins.end_schedule", "POST"): PATIENT_WRITE,
    # A token that is no link's: nothing, for anyone.
    ("checkin.open_link", "GET"): row(*[NOT_FOUND] * 7),
    ("checkin.open_link", "POST"): row(*[NOT_FOUND] * 7),
    ("checkin.home", "GET"): PATIENT_PAGE,
    ("checkin.submit", "POST"): PATIENT_PAGE,
    ("checkin.questionnaire", "GET"): PATIENT_PAGE,
    ("checkin.questionnaire", "POST"): PATIENT_PAGE,
    ("checkin.crisis", "GET"): PATIENT_PAGE,
    ("checkin.leave", "POST"): PUBLIC,
}


def routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_endpoint_is_in_the_matrix(app):
    assert routes(app) == set(MATRIX), (
        "Place every endpoint in MATRIX with the answer each role must get: "
        f"missing {sorted(routes(app) - set(MATRIX))}, stale {sorted(set(MATRIX) - routes(app))}")


@pytest.fixture
def world(app, make_user, login_as):
    """One patient with a course, a draft session, a flagged questionnaire and a draft of
    the writer's; an account for every role, each signed in with its own client."""
    accounts = {
        "other": make_user(email="other@example.org", name="Other Therapist"),
        "admin": make_user(email="admin@example.org", name="Admin", is_admin=True),
        "emergency": make_user(email="oncall@example.org", name="On-call Admin",
                               is_admin=True),
        "reader": make_user(email="reader@example.org", name="Reader"),
        "writer": make_user(email="writer@example.org", name="Writer"),
        "primary": make_user(email="primary@example.org", name="Primary"),
    }
    target = make_user(email="target@example.org", name="Target Account")
    primary = accounts["primary"]
    patient_id = add_patient(app, primary, "Maya Okafor")
    with database(app) as db:
        course = db_course(db, patient_id)
        session = db_session(db, primary.id, course, "dosing", datetime(2026, 3, 2, 10))
        measure = db_measure(db, primary.id, patient_id, course.id, "phq9", 14,
                             date(2026, 3, 1), item_9=1)
        members = [team_member(patient_id, accounts[name].id, role, added_by=primary.id)
                   for name, role in (("reader", "read"), ("writer", "write"))]
        grant = emergency_access(patient_id, accounts["emergency"].id,
                                 "Crisis call, primary unreachable")
        draft = SessionDraft(session_id=session.id, user_id=accounts["writer"].id,
                             editor_id="d" * 16, base_version=1, data={"summary": "typed"})
        db.add_all([*members, grant, draft])
        db.commit()
        values = {"patient_id": patient_id, "course_id": course.id, "session_id": session.id,
                  "measure_id": measure.id, "member_id": members[0].id, "grant_id": grant.id,
                  "draft_id": draft.id, "user_id": target.id, "item_id": 1, "kind": "theme",
                  "instrument": "phq9", "filename": "favicon.svg", "schedule_id": 1,
                  "token": "n" * 32, "code": "phq9"}
    clients = {"anonymous": app.test_client()}
    clients.update({name: login_as(user) for name, user in accounts.items()})
    return values, clients


def outcome(response) -> str:
    if response.status_code in (302, 303) and response.headers["Location"].startswith("/login"):
        return LOGIN
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    if response.status_code in (200, 204, 302, 303):
        return OK
    return f"unexpected {response.status_code}"


@pytest.mark.parametrize(("endpoint", "method"), sorted(MATRIX),
                         ids=[f"{endpoint} {method}" for endpoint, method in sorted(MATRIX)])
def test_each_role_gets_the_expected_answer(app, world, endpoint, method):
    values, clients = world
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = url_for(endpoint, **{name: values[name] for name in rule.arguments})
    answers = {}
    for role in ROLES:
        client = clients[role]
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token(client, "/login" if role == "anonymous" else "/account/password")
            # Enough for the forms that need it to be taken as a real attempt.
            response = client.post(url, data={"csrf_token": token, "editor_id": "e" * 16,
                                              "version": "1"})
        answers[role] = outcome(response)
    assert answers == MATRIX[endpoint, method]


def test_the_matrix_roles_are_what_they_say(app, world):
    """The fixture's accounts really have the relations the matrix names."""
    values, _ = world
    with database(app) as db:
        roles = {m.user_id: m.role for m in db.query(CareTeamMember)}
        names = {u.email.split("@")[0]: u.id for u in db.query(User)}
        patient = db.get(Patient, values["patient_id"])
    assert roles == {names["reader"]: "read", names["writer"]: "write"}
    assert patient.therapist_id == names["primary"]
