"""Which patients an account may see, for the patient list and search (issue 17): three
indexed lookups of the account's own rows united (its patients, its care-team memberships,
an administrator's open emergency access), never an OR over a join that reads the whole
practice. The list is one statement of its own (two when questionnaires are scheduled on its
page), search two, whatever the size of the practice; every access rule still holds."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from tests.support.care_team import emergency_access, team_member
from tests.support.checkins import between_sessions_patient
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.patients import add_patient
from tests.support.queries import data_statements
from tests.support.sessions import db_session
from tracker import dates
from tracker.audit.models import AuditEvent, AuditSubject
from tracker.care_team.models import EmergencyAccess
from tracker.db import utcnow
from tracker.patients.models import Patient

# What every signed-in page reads before its own work (the sign-in check, the practice's
# settings, the account again for the audit event): counted by the sign-in's own tests.
SIGN_IN = re.compile(r"\bFROM\s+(login_sessions|practice_settings|users\s+WHERE\s+users\.id\s*=)")
LIST_BUDGET, SEARCH_BUDGET = 2, 2  # Of the page's own; issue 17: ≤ 3 with the sign-in.
NAME = re.compile(r'<th scope="row"><a href="/patients/\d+">([^<]*)</a>')
OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]*)</option>')


def own_statements(statements: list[str]) -> list[str]:
    return [s for s in data_statements(statements) if not SIGN_IN.search(s)]


def counted(client, count_queries, url: str) -> tuple[list[str], str]:
    """The page's own data statements (after a warm-up request), and the page."""
    client.get(url)
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return own_statements(statements), response.get_data(as_text=True)


def documented_patient(app, owner, name: str, words: str, *, day: int = 1) -> int:
    patient_id = add_patient(app, owner, name)
    with database(app) as db:
        course = db_course(db, patient_id, "Course")
        db_session(db, owner.id, course, "integration", datetime(2026, 5, day, 10),
                   summary=words)
        db.commit()
    return patient_id


def grow_practice(app, owners, admin, per_owner: int) -> None:
    """Colleagues' patients by the hundred, shared among the colleagues, archived, opened by
    the administrator in emergencies: nothing the signed-in therapist may see."""
    with database(app) as db:
        for number, owner in enumerate(owners):
            patients = [Patient(therapist_id=owner.id, display_name=f"Other {number}-{i}",
                                name_key=f"other {number}-{i}",
                                status="archived" if i % 7 == 0 else "active")
                        for i in range(per_owner)]
            db.add_all(patients)
            db.flush()
            colleague = owners[(number + 1) % len(owners)]
            db.add_all([team_member(patient.id, colleague.id, "write", added_by=owner.id)
                        for patient in patients[::3] if colleague.id != owner.id])
            db.add_all([emergency_access(patient.id, admin.id, "A crisis call at night")
                        for patient in patients[::11]])
        db.commit()


@pytest.fixture
def caseload(app, make_user, therapist, admin):
    """The therapist's own patients (one archived), one shared with them read-only, one of
    theirs shared with a colleague; everyone's sessions say "lantern"."""
    colleague = make_user(email="colleague@example.org", name="Dr Colleague")
    own = [documented_patient(app, therapist, f"Own {n}", "lantern by the sea", day=n + 1)
           for n in range(3)]
    archived = add_patient(app, therapist, "Own Archived", archived=True)
    shared = documented_patient(app, colleague, "Shared With Me", "lantern in the hall")
    theirs = documented_patient(app, colleague, "Not Mine", "lantern on the hill")
    with database(app) as db:
        db.add_all([team_member(shared, therapist.id, "read", added_by=colleague.id),
                    team_member(own[0], colleague.id, "write", added_by=therapist.id)])
        db.commit()
    return {"colleague": colleague, "own": own, "archived": archived, "shared": shared,
            "theirs": theirs}


def test_the_list_and_search_cost_the_same_statements_in_a_large_practice(
        app, make_user, therapist, admin, therapist_client, login_as, caseload, count_queries):
    admin_client = login_as(admin)
    with database(app) as db:
        db.add(emergency_access(caseload["theirs"], admin.id, "A crisis call at night"))
        db.commit()
    pages = {"list": "/patients/", "archived": "/patients/?status=archived",
             "search": "/search?q=lantern", "one patient": f"/search?q=lantern&patient="
                                                           f"{caseload['own'][1]}"}

    def measure():
        found = {name: counted(therapist_client, count_queries, url)
                 for name, url in pages.items()}
        found["admin search"] = counted(admin_client, count_queries, "/search?q=lantern")
        return found

    small = measure()
    owners = [caseload["colleague"], *(make_user(email=f"c{n}@example.org") for n in range(2))]
    grow_practice(app, owners, admin, per_owner=120)
    large = measure()
    for name, (statements, html) in small.items():
        assert len(large[name][0]) == len(statements), (name, large[name][0])
        assert large[name][1].count("lantern") == html.count("lantern"), name
    assert len(small["list"][0]) == len(small["archived"][0]) == 1 <= LIST_BUDGET
    assert sorted(NAME.findall(large["list"][1])) == ["Own 0", "Own 1", "Own 2",
                                                      "Shared With Me"]
    assert NAME.findall(large["archived"][1]) == ["Own Archived"]
    for name in ("search", "one patient", "admin search"):
        assert len(small[name][0]) == SEARCH_BUDGET, (name, small[name][0])
    assert [name for _, name in OPTION.findall(large["search"][1])] == [
        "Own 0", "Own 1", "Own 2", "Own Archived", "Shared With Me"]
    assert large["one patient"][1].count("search-result__title") == 1


def test_the_list_of_patients_with_questionnaires_due_takes_one_statement_more(
        app, therapist, therapist_client, count_queries):
    with app.app_context():
        today = dates.today()
    for number in range(3):
        between_sessions_patient(app, therapist, f"Patient {number}", today)
    statements, html = counted(therapist_client, count_queries, "/patients/")
    assert len(statements) == LIST_BUDGET, statements
    assert html.count("PHQ-9 due") == 3 and html.count("GAD-7 due") == 3
    assert html.count("2 new check-ins") == 3 and html.count("No check-in for 4 days") == 3


def test_no_statement_reads_the_whole_practice(app, therapist, admin, therapist_client,
                                               login_as, caseload):
    """SQLite's plans: every table of the patient list and search is searched through an
    index, none scanned (PostgreSQL chooses by the size of the tables)."""
    engine = app.extensions["tracker.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    captured = []

    def capture(conn, cursor, statement, parameters, *args):
        if statement.lstrip().startswith(("SELECT", "WITH")) and "EXPLAIN" not in statement:
            captured.append((statement, parameters))

    admin_client = login_as(admin)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for client, url in ((therapist_client, "/patients/"),
                            (therapist_client, "/search?q=lantern"),
                            (admin_client, "/search?q=lantern")):
            assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    visible = [(s, p) for s, p in captured if "care_team_members" in s]
    assert len(visible) == 3
    with engine.connect() as connection:
        plans = [[row[-1] for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters)] for statement, parameters in visible]
    for plan in plans:
        assert not [step for step in plan if step.startswith("SCAN ")
                    and not re.match(r"SCAN (ways|visible|shown|\(subquery)", step)], plan
    # Nor does the list read a patient's history: a safety answer given at home and the
    # active course are each one seek (migration 0021).
    assert {"SEARCH measure_responses USING INDEX ix_measure_responses_patient_id_source_"
            "safety_flag (patient_id=? AND source=? AND safety_flag=?)",
            "SEARCH courses USING INDEX ix_courses_patient_id_status_start_date (patient_id=? "
            "AND status=?)"} <= set(plans[0]), plans[0]


def test_every_way_in_is_kept_and_an_account_sees_a_patient_once(
        app, make_user, therapist, admin, therapist_client, login_as, caseload):
    admin_client = login_as(admin)
    colleague_client = login_as(caseload["colleague"])
    with database(app) as db:
        # The administrator is on the care team of one patient and opened it in an emergency
        # too; another patient only in an emergency; a third through access that expired.
        db.add(team_member(caseload["own"][2], admin.id, "read", added_by=therapist.id))
        db.add(emergency_access(caseload["own"][2], admin.id, "A crisis call at night"))
        db.add(emergency_access(caseload["own"][1], admin.id, "A crisis call at night"))
        db.add(emergency_access(caseload["theirs"], admin.id, "An old crisis call"))
        db.flush()
        expired = db.scalars(select(EmergencyAccess)
                             .where(EmergencyAccess.patient_id == caseload["theirs"])).one()
        expired.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    search = admin_client.get("/search?q=lantern").get_data(as_text=True)
    assert [name for _, name in OPTION.findall(search)] == ["Own 1", "Own 2"]
    # The list is of one's own patients and those shared: emergency access is not a caseload.
    listed = admin_client.get("/patients/").get_data(as_text=True)
    assert NAME.findall(listed) == ["Own 2"] and "Shared · read only" in listed
    # Audited as emergency access only for the patient seen through it alone.
    with database(app) as db:
        subjects = {event_.action: set(db.scalars(select(AuditSubject.patient_id).where(
            AuditSubject.event_id == event_.id))) for event_ in db.scalars(select(AuditEvent)
            .where(AuditEvent.actor_id == admin.id, AuditEvent.action.like("%search.index")))}
    assert subjects == {"view search.index": {caseload["own"][2]},
                        "emergency view search.index": {caseload["own"][1]}}
    # The colleague sees their own two patients and the one shared with them, read and write.
    listed = colleague_client.get("/patients/").get_data(as_text=True)
    assert sorted(NAME.findall(listed)) == ["Not Mine", "Own 0", "Shared With Me"]
    assert "Shared · read and write" in listed
    assert "Own 0" in colleague_client.get("/search?q=lantern").get_data(as_text=True)
