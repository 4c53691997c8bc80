"""Every patient whose data a response shows is in the audit events of that response (issue
14, item 5): the patient list and search results name the patients they showed (ids only,
never names or search words); an administrator's searches under emergency access are
emergency reads in the primary therapist's access history; a page answered to a failed POST
writes its view event."""

from datetime import datetime

from sqlalchemy import select, text

from tests.support.care_team import emergency_access
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import post_form
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tracker.audit.models import AuditEvent, AuditSubject


def _events(app, action: str) -> list[tuple[AuditEvent, set[int]]]:
    with database(app) as db:
        found = db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.seq)).all()
        return [(event, set(db.scalars(select(AuditSubject.patient_id)
                                       .where(AuditSubject.event_id == event.id))))
                for event in found]


def _audit_dump(app) -> str:
    with database(app) as db:
        return repr(db.execute(text("SELECT * FROM audit_events")).all()
                    + db.execute(text("SELECT * FROM audit_subjects")).all())


def _searchable(app, therapist, name: str, words: str) -> int:
    patient_id = add_patient(app, therapist, name)
    with database(app) as db:
        course = db_course(db, patient_id, "Course")
        db_session(db, therapist.id, course, "integration", datetime(2026, 5, 1, 10),
                   summary=words)
        db.commit()
    return patient_id


def test_the_patient_list_names_every_patient_it_showed(app, therapist, therapist_client):
    shown = {add_patient(app, therapist, f"Listed Patient {n}") for n in range(3)}
    assert therapist_client.get("/patients/").status_code == 200
    [(event, subjects)] = _events(app, "view patients.index")
    assert subjects == shown and event.patient_id is None
    assert "Listed Patient" not in _audit_dump(app)
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output


def test_search_results_name_the_patients_they_showed(app, therapist, therapist_client):
    found = _searchable(app, therapist, "Quilla Searchable", "lanternfish by the harbour")
    assert "lanternfish" in therapist_client.get("/search?q=lanternfish").get_data(as_text=True)
    [(_, subjects)] = _events(app, "view search.index")
    assert found in subjects
    dump = _audit_dump(app)
    assert "lanternfish" not in dump and "Quilla" not in dump


def test_an_emergency_search_reaches_the_primary_therapists_access_history(
        app, therapist, therapist_client, admin, login_as):
    patient_id = _searchable(app, therapist, "Quilla Searchable", "lanternfish by the harbour")
    with database(app) as db:
        db.add(emergency_access(patient_id, admin.id, "Crisis call on the weekend"))
        db.commit()
    admin_client = login_as(admin)
    page = admin_client.get("/search?q=lanternfish").get_data(as_text=True)
    assert "lanternfish" in page
    [(event, subjects)] = _events(app, "emergency view search.index")
    assert subjects == {patient_id} and event.actor_id == admin.id
    history = therapist_client.get(f"/patients/{patient_id}/access-history")
    assert "In an emergency: viewed search results" in history.get_data(as_text=True)


def test_a_page_answered_to_a_failed_post_writes_a_view_event(app, therapist,
                                                              therapist_client):
    patient_id = add_patient(app, therapist, "Failed Post Patient")
    response = post_form(therapist_client, f"/patients/{patient_id}/edit",
                         {"display_name": ""}, form_path=f"/patients/{patient_id}/edit")
    assert response.status_code == 200 and "Failed Post Patient" in response.get_data(
        as_text=True)
    assert [event.patient_id for event, _ in _events(app, "view patients.edit")][-1:] == [
        patient_id]
    response = post_form(therapist_client, f"/patients/{patient_id}/archive", {},
                         form_path=f"/patients/{patient_id}")
    assert response.status_code == 200 and "Archive" in response.get_data(as_text=True)
    assert [event.patient_id for event, _ in _events(app, "view patients.archive")] == [
        patient_id]


def test_a_removed_subject_breaks_the_chain(app, therapist, therapist_client):
    for n in range(2):
        add_patient(app, therapist, f"Listed Patient {n}")
    therapist_client.get("/patients/")
    [(event, _)] = _events(app, "view patients.index")
    with database(app) as db:
        db.execute(text("DELETE FROM audit_subjects WHERE event_id = :id"), {"id": event.id})
        db.commit()
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code != 0
    assert f"broken at event {event.seq}: its content was changed" in result.output
