"""The audit trail: what is recorded, that it holds no clinical text, that the chain shows
tampering, and that events are append-only."""

from sqlalchemy import select, text

from tests.support.forms import post_form
from tests.support.patients import add_patient
from tests.support.users import TEST_PASSWORD
from tracker import create_app, migrate
from tracker.audit.models import AuditEvent
from tracker.db import get_db, make_engine

SECRET_NAME = "Zebulon Quartermaine-Audit"


def events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(get_db().scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def actions(app) -> list[str]:
    return [e.action for e in events(app)]


def test_a_change_writes_an_event_naming_actor_patient_and_address(app, therapist,
                                                                   therapist_client):
    response = post_form(therapist_client, "/patients/new",
                         {"display_name": SECRET_NAME, "treatment_intentions": "grief"})
    patient_id = int(response.headers["Location"].rsplit("/", 1)[1])
    change = next(e for e in events(app) if e.action == "change patients.new")
    assert change.actor_id == therapist.id
    assert change.patient_id == patient_id
    assert (change.record_type, change.record_id) == ("patient", patient_id)
    assert change.remote_addr == "127.0.0.1"
    assert change.occurred_at.tzinfo is not None


def test_refused_input_writes_no_change_event(app, therapist_client):
    before = actions(app)
    response = post_form(therapist_client, "/patients/new", {"display_name": ""})
    assert response.status_code == 200
    assert [a for a in actions(app)[len(before):] if a.startswith("change")] == []


def test_views_exports_and_prints_are_recorded(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist, SECRET_NAME)
    for path in (f"/patients/{patient_id}", f"/patients/{patient_id}/export.json",
                 f"/patients/{patient_id}/progress/print"):
        assert therapist_client.get(path).status_code == 200
    recorded = {(e.action, e.patient_id) for e in events(app)}
    assert ("view patients.show", patient_id) in recorded
    assert ("export", patient_id) in recorded
    assert ("print", patient_id) in recorded


def test_sign_ins_failures_and_lockouts_are_recorded(app, client, therapist):
    for _ in range(5):
        post_form(client, "/login", {"email": therapist.email, "password": "wrong"})
    post_form(client, "/login", {"email": therapist.email, "password": "wrong"})
    fresh = app.test_client()
    assert post_form(fresh, "/login", {"email": "nobody@example.org",
                                       "password": "wrong"}).status_code == 401
    recorded = [(e.action, e.actor_id) for e in events(app)]
    assert recorded.count(("login_failed", therapist.id)) == 5
    assert ("login_locked_out", therapist.id) in recorded
    assert ("login_failed", None) in recorded  # Unknown account: no id to name.

    other = app.test_client()
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "100 per minute"
    post_form(other, "/login", {"email": therapist.email, "password": TEST_PASSWORD},
              environ_base={"REMOTE_ADDR": "10.1.2.3"})
    post_form(other, "/logout", form_path="/patients/")
    recorded = [(e.action, e.actor_id, e.remote_addr) for e in events(app)]
    login = recorded.index(("login", therapist.id, "10.1.2.3"))
    assert ("logout", therapist.id, "127.0.0.1") in recorded[login:]


def test_events_never_hold_clinical_text(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist, SECRET_NAME,
                             treatment_intentions="Secret intention 4711")
    therapist_client.get(f"/patients/{patient_id}")
    post_form(therapist_client, f"/patients/{patient_id}/edit",
              {"display_name": SECRET_NAME + " II", "treatment_intentions": "Secret 4711"},
              form_path=f"/patients/{patient_id}/edit")
    with app.app_context():
        rows = get_db().execute(text("SELECT * FROM audit_events")).all()
    dump = repr(rows)
    assert rows and SECRET_NAME not in dump and "4711" not in dump


def test_verify_audit_passes_and_names_the_first_changed_event(app, therapist,
                                                               therapist_client):
    patient_id = add_patient(app, therapist, SECRET_NAME)
    for _ in range(3):
        therapist_client.get(f"/patients/{patient_id}")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "intact" in result.output
    chain = events(app)
    target = chain[2]
    with app.app_context():
        db = get_db()
        db.execute(text("UPDATE audit_events SET patient_id = 999 WHERE seq = :seq"),
                   {"seq": target.seq})
        db.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code != 0
    assert f"broken at event {target.seq}: its content was changed" in result.output


def test_verify_audit_notices_removed_events(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist, SECRET_NAME)
    for _ in range(4):
        therapist_client.get(f"/patients/{patient_id}")
    chain = events(app)
    with app.app_context():
        db = get_db()
        db.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": chain[1].seq})
        db.commit()
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code != 0 and f"event {chain[1].seq} is missing" in result.output
    with app.app_context():
        db = get_db()
        db.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": chain[1].seq})
        db.commit()
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code != 0 and "were removed" in result.output


def test_events_are_append_only_in_the_database(tmp_path, app_config, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    migrate.upgrade(make_engine(url))
    own = create_app(dict(app_config, DATABASE_URL=url))
    with own.app_context():
        from tracker.audit import chain

        db = get_db()
        chain.append(db, b"k" * 32, action="test")
        db.commit()
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            try:
                db.execute(text(statement))
                db.commit()
            except Exception as error:  # noqa: BLE001
                db.rollback()
                assert "append-only" in str(error)
            else:
                raise AssertionError(f"{statement} was allowed")
        assert db.scalar(select(AuditEvent.action)) == "test"


def test_admins_browse_the_trail_and_therapists_see_their_patients_history(
        app, make_user, login_as, therapist, therapist_client):
    patient_id = add_patient(app, therapist, SECRET_NAME)
    therapist_client.get(f"/patients/{patient_id}")
    assert therapist_client.get("/admin/audit").status_code == 403
    history = therapist_client.get(f"/patients/{patient_id}/access-history")
    assert history.status_code == 200 and "view patients.show" in history.get_data(as_text=True)

    admin = login_as(make_user(email="admin@example.org", name="Admin", is_admin=True))
    page = admin.get(f"/admin/audit?patient={patient_id}").get_data(as_text=True)
    assert "view patients.show" in page and SECRET_NAME not in page
    assert admin.get(f"/patients/{patient_id}/access-history").status_code == 404


def test_the_audit_trail_filters_by_record_number(app, make_user, login_as, therapist,
                                                  therapist_client):
    wanted = add_patient(app, therapist, "Maya Okafor", record_number="KAP-0042")
    other = add_patient(app, therapist, "Daniel Reyes", record_number="KAP-0043")
    therapist_client.get(f"/patients/{wanted}")
    therapist_client.get(f"/patients/{other}")
    admin = login_as(make_user(email="admin@example.org", name="Admin", is_admin=True))
    page = admin.get("/admin/audit?record=KAP-0042").get_data(as_text=True)
    assert "1 event." in page and "Viewed the patient page" in page
    assert "Maya Okafor" not in page  # Ids and record numbers only, never the name.
    assert "0 events." in admin.get("/admin/audit?record=NOPE").get_data(as_text=True)
