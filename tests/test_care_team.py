"""Care teams (sharing a patient read-only or read-write, revoking) and the administrators'
break-glass emergency access."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from tests.support.app import dispose
from tests.support.care_team import team_member
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import field_errors, form_fields, post_with_token, text_of
from tests.support.patients import add_patient
from tests.support.sessions import db_session, edit_page, save, save_page, sign
from tests.support.users import TEST_PASSWORD
from tracker import create_app, migrate
from tracker.audit.models import AuditEvent
from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.db import make_engine, utcnow
from tracker.patients.models import Patient
from tracker.sessions.models import PsychotherapyNote, SessionDraft, TherapySession


@pytest.fixture
def team(app, make_user, admin, login_as):
    """A patient of Dr Rivera with one draft session carrying her private note; accounts for
    every relation to it, each with a signed-in client."""
    primary = make_user(email="rivera@example.org", name="Dr Rivera")
    reader = make_user(email="reader@example.org", name="Sam Supervisor")
    writer = make_user(email="writer@example.org", name="Cody Cotherapist")
    other = make_user(email="other@example.org", name="Olive Other")
    patient_id = add_patient(app, primary, "Maya Okafor", record_number="MRN-7")
    with database(app) as db:
        course = db_course(db, patient_id, "Initial course")
        session = db_session(db, primary.id, course, "preparation", datetime(2026, 3, 2, 10))
        db.add(PsychotherapyNote(session_id=session.id, author_id=primary.id,
                                 body="Rivera's private process note"))
        db.add_all([team_member(patient_id, reader.id, "read", added_by=primary.id,
                                relationship="supervisor"),
                    team_member(patient_id, writer.id, "write", added_by=primary.id)])
        db.commit()
        session_id = session.id

    class Team:
        pass

    t = Team()
    t.patient_id, t.session_id = patient_id, session_id
    t.users = {"primary": primary, "reader": reader, "writer": writer, "other": other,
               "admin": admin}
    t.clients = {name: login_as(user) for name, user in t.users.items()}
    return t


def member_rows(app, patient_id):
    with database(app) as db:
        return [(m.user_id, m.role, m.revoked_at is not None) for m in db.scalars(
            select(CareTeamMember).where(CareTeamMember.patient_id == patient_id)
            .order_by(CareTeamMember.id))]


def test_the_primary_shares_through_the_care_team_page_and_the_list_marks_it(app, team,
                                                                           make_user):
    newcomer = make_user(email="prescriber@example.org", name="Pat Prescriber")
    primary = team.clients["primary"]
    page = primary.get(f"/patients/{team.patient_id}/care-team").get_data(as_text=True)
    assert "Pat Prescriber" in page  # Offered; current members are not offered again.
    assert "Sam Supervisor (reader@example.org)" not in page
    data = form_fields(page, form_id="share-form")
    data.update(user_id=str(newcomer.id), relationship="prescriber", role="read")
    response = primary.post(f"/patients/{team.patient_id}/care-team", data=data)
    assert response.status_code == 302
    assert (newcomer.id, "read", False) in member_rows(app, team.patient_id)

    listing = team.clients["reader"].get("/patients/").get_data(as_text=True)
    assert "Maya Okafor" in listing and "Shared · read only" in listing
    listing = team.clients["writer"].get("/patients/").get_data(as_text=True)
    assert "Shared · read and write" in listing
    own = primary.get("/patients/").get_data(as_text=True)
    assert "Maya Okafor" in own and "Shared ·" not in own
    assert "Maya Okafor" not in team.clients["other"].get("/patients/").get_data(as_text=True)
    assert "Maya Okafor" not in team.clients["admin"].get("/patients/").get_data(as_text=True)


def test_a_share_is_refused_with_a_message_for_a_disabled_or_unknown_account(app, team,
                                                                           make_user):
    disabled = make_user(email="gone@example.org", name="Gone Away")
    with database(app) as db:
        db.get(User, disabled.id).is_disabled = True
        db.commit()
    primary = team.clients["primary"]
    path = f"/patients/{team.patient_id}/care-team"
    for user_id in (disabled.id, team.users["primary"].id, team.users["reader"].id, 999999,
                    "abc"):
        data = form_fields(primary.get(path).get_data(as_text=True), form_id="share-form")
        data.update(user_id=str(user_id), relationship="supervisor", role="write")
        response = primary.post(path, data=data)
        assert response.status_code == 200, user_id
        assert field_errors(response.get_data(as_text=True), "user_id"), user_id
    assert len(member_rows(app, team.patient_id)) == 2


def test_read_members_view_everything_but_change_nothing(app, team):
    reader = team.clients["reader"]
    pid, sid = team.patient_id, team.session_id
    for path in (f"/patients/{pid}", f"/patients/{pid}/progress", f"/patients/{pid}/brief",
                 f"/sessions/{sid}", f"/patients/{pid}/care-team",
                 f"/patients/{pid}/export.json"):
        assert reader.get(path).status_code == 200, path
    page = reader.get(f"/patients/{pid}").get_data(as_text=True)
    assert "Shared with you by Dr Rivera" in page
    assert "New session" not in page and "Edit details" not in page and "Archive" not in page
    session_page = reader.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Continue documenting" not in session_page and "/sign" not in session_page
    for path in (f"/patients/{pid}/edit", f"/sessions/{sid}/edit", f"/patients/{pid}/courses/new",
                 f"/patients/{pid}/sessions/new", f"/patients/{pid}/measures/new/phq9",
                 f"/patients/{pid}/access-history"):
        assert reader.get(path).status_code == 403, path
    for path in (f"/sessions/{sid}/edit", f"/sessions/{sid}/sign", f"/sessions/{sid}/autosave",
                 f"/patients/{pid}/edit", f"/patients/{pid}/archive",
                 f"/patients/{pid}/care-team"):
        assert post_with_token(reader, path, {"summary": "x", "display_name": "x"}
                               ).status_code == 403, path
    with database(app) as db:
        session = db.get(TherapySession, sid)
        assert session.status != "signed" and session.version == 1
        assert db.get(Patient, pid).status == "active"


def test_psychotherapy_notes_stay_with_their_author_on_a_shared_patient(app, team):
    sid = team.session_id
    for name in ("reader", "writer"):
        page = team.clients[name].get(f"/sessions/{sid}").get_data(as_text=True)
        assert "Rivera&#39;s private process note" not in page
        assert "Rivera's private process note" not in page
        export = team.clients[name].get(
            f"/patients/{team.patient_id}/export.json?psychotherapy_notes=1").get_data(
            as_text=True)
        assert "private process note" not in export
    html, _ = edit_page(team.clients["writer"], sid)
    assert "private process note" not in html
    # The co-therapist keeps a note of their own on the same session.
    save_page(team.clients["writer"], sid, private_notes="Cody's own process note",
              summary="Prepared intentions together")
    with database(app) as db:
        notes = {n.author_id: n.body for n in db.scalars(
            select(PsychotherapyNote).where(PsychotherapyNote.session_id == sid))}
    assert notes == {team.users["primary"].id: "Rivera's private process note",
                     team.users["writer"].id: "Cody's own process note"}
    primary_edit, _ = edit_page(team.clients["primary"], sid)
    assert "Rivera&#39;s private process note" in primary_edit
    assert "Cody" not in text_of(primary_edit).split("Psychotherapy notes")[-1][:200]


def test_write_members_document_and_sign_but_do_not_manage_the_team(app, team):
    writer = team.clients["writer"]
    pid, sid = team.patient_id, team.session_id
    save_page(writer, sid, summary="Co-therapist's summary")
    assert sign(writer, sid).status_code == 302
    with database(app) as db:
        session = db.get(TherapySession, sid)
        assert session.status == "signed" and session.signed_by_id == team.users["writer"].id
    for path in (f"/patients/{pid}/archive", f"/patients/{pid}/care-team",
                 f"/patients/{pid}/emergency-access/acknowledge"):
        assert post_with_token(writer, path, {"user_id": "1", "role": "write",
                                              "relationship": "other"}).status_code == 403
    assert writer.get(f"/patients/{pid}/access-history").status_code == 403
    assert len(member_rows(app, pid)) == 2


def test_revoking_ends_access_at_once_and_keeps_the_history(app, team):
    primary = team.clients["primary"]
    reader_id = team.users["reader"].id
    with database(app) as db:
        member_id = db.scalar(select(CareTeamMember.id).where(
            CareTeamMember.user_id == reader_id))
    assert team.clients["reader"].get(f"/patients/{team.patient_id}").status_code == 200
    response = post_with_token(primary, f"/patients/{team.patient_id}/care-team/{member_id}/"
                                        "revoke", {"confirmed": "yes"})
    assert response.status_code == 302
    assert team.clients["reader"].get(f"/patients/{team.patient_id}").status_code == 404
    assert team.clients["reader"].get(f"/sessions/{team.session_id}").status_code == 404
    assert "Maya Okafor" not in team.clients["reader"].get("/patients/").get_data(as_text=True)
    assert (reader_id, "read", True) in member_rows(app, team.patient_id)
    page = primary.get(f"/patients/{team.patient_id}/care-team").get_data(as_text=True)
    assert "Former members" in page and "Sam Supervisor" in page
    with database(app) as db:
        actions = list(db.scalars(select(AuditEvent.action)))
    assert "share_revoke" in actions


def test_admins_see_no_clinical_content_without_the_team_or_emergency_access(team):
    admin = team.clients["admin"]
    for path in (f"/patients/{team.patient_id}", f"/sessions/{team.session_id}",
                 f"/patients/{team.patient_id}/progress", f"/patients/{team.patient_id}/brief",
                 f"/patients/{team.patient_id}/care-team"):
        assert admin.get(path).status_code == 404, path


def open_emergency(client, patient="MRN-7", reason="Patient called the crisis line; primary "
                   "therapist unreachable", password=TEST_PASSWORD):
    page = client.get("/admin/emergency-access").get_data(as_text=True)
    data = form_fields(page, form_id="emergency-form")
    data.update(patient=patient, reason=reason, password=password)
    return client.post("/admin/emergency-access", data=data)


def test_break_glass_asks_a_reason_and_the_password_and_opens_read_only(app, team):
    admin = team.clients["admin"]
    short = open_emergency(admin, reason="urgent")
    assert short.status_code == 200
    assert field_errors(short.get_data(as_text=True), "reason") == [
        "Give a reason of 10 to 2000 characters."]
    wrong = open_emergency(admin, password="not the password")
    assert wrong.status_code == 401
    page = wrong.get_data(as_text=True)
    assert "This is not your current password." in page
    assert "Patient called the crisis line" in page  # What was typed is kept.
    with database(app) as db:
        assert db.scalar(select(EmergencyAccess.id)) is None
    assert admin.get(f"/patients/{team.patient_id}").status_code == 404

    response = open_emergency(admin)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{team.patient_id}"
    page = admin.get(f"/patients/{team.patient_id}").get_data(as_text=True)
    assert "Emergency access, read only" in page and "Maya Okafor" in page
    assert admin.get(f"/sessions/{team.session_id}").status_code == 200
    assert admin.get(f"/sessions/{team.session_id}/edit").status_code == 403
    assert post_with_token(admin, f"/patients/{team.patient_id}/edit",
                           {"display_name": "Changed"}).status_code == 403
    assert "private process note" not in admin.get(
        f"/sessions/{team.session_id}").get_data(as_text=True)
    # The admin's own account list does not show the patient: access is per grant.
    assert "Maya Okafor" not in admin.get("/patients/").get_data(as_text=True)

    with database(app) as db:
        events = [(e.action, e.patient_id) for e in db.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == team.users["admin"].id)
            .order_by(AuditEvent.seq))]
        raw_reason = db.execute(text("SELECT reason FROM emergency_access")).scalar()
    assert ("break_glass", team.patient_id) in events
    assert ("emergency view patients.show", team.patient_id) in events
    assert ("emergency view sessions.show", team.patient_id) in events
    assert "crisis line" not in raw_reason  # Encrypted at rest like the private notes.
    with database(app) as db:
        every_action = " ".join(db.scalars(select(AuditEvent.action)))
    assert "crisis" not in every_action


def test_emergency_access_expires_and_can_be_ended_early(app, team):
    admin = team.clients["admin"]
    assert open_emergency(admin).status_code == 302
    with database(app) as db:
        grant = db.scalar(select(EmergencyAccess))
        grant.expires_at = utcnow() - timedelta(seconds=1)
        db.commit()
    assert admin.get(f"/patients/{team.patient_id}").status_code == 404

    assert open_emergency(admin).status_code == 302
    assert admin.get(f"/patients/{team.patient_id}").status_code == 200
    with database(app) as db:
        grant_id = db.scalar(select(EmergencyAccess.id).where(
            EmergencyAccess.ended_at.is_(None), EmergencyAccess.expires_at > utcnow()))
    assert post_with_token(admin, f"/admin/emergency-access/{grant_id}/end").status_code == 302
    assert admin.get(f"/patients/{team.patient_id}").status_code == 404
    # Only administrators have the break-glass page at all.
    assert team.clients["primary"].get("/admin/emergency-access").status_code == 403
    assert open_emergency(team.clients["admin"]).status_code == 302
    with database(app) as db:
        other_grant = db.scalar(select(EmergencyAccess.id).order_by(EmergencyAccess.id.desc()))
    assert post_with_token(team.clients["primary"],
                           f"/admin/emergency-access/{other_grant}/end").status_code == 403


def test_the_primary_therapist_is_shown_every_emergency_opening(app, team):
    assert open_emergency(team.clients["admin"]).status_code == 302
    primary = team.clients["primary"]
    listing = primary.get("/patients/").get_data(as_text=True)
    assert "Opened in an emergency" in listing
    page = primary.get(f"/patients/{team.patient_id}").get_data(as_text=True)
    assert "This record was opened through emergency access" in page and "Ada Admin" in page
    team_page = primary.get(f"/patients/{team.patient_id}/care-team").get_data(as_text=True)
    assert "Patient called the crisis line; primary therapist unreachable" in team_page
    # Members do not see the reason; the primary acknowledges it once it is over.
    assert "crisis line" not in team.clients["writer"].get(
        f"/patients/{team.patient_id}/care-team").get_data(as_text=True)
    with database(app) as db:
        grant_id = db.scalar(select(EmergencyAccess.id))
    post_with_token(team.clients["admin"], f"/admin/emergency-access/{grant_id}/end")
    response = post_with_token(primary,
                               f"/patients/{team.patient_id}/emergency-access/acknowledge")
    assert response.status_code == 302
    assert "Opened in an emergency" not in primary.get("/patients/").get_data(as_text=True)
    page = primary.get(f"/patients/{team.patient_id}").get_data(as_text=True)
    assert "This record was opened through emergency access" not in page
    history = primary.get(f"/patients/{team.patient_id}/access-history").get_data(as_text=True)
    assert "break_glass" in history


def test_only_one_current_membership_per_account_and_patient(app, team):
    from sqlalchemy.exc import IntegrityError

    with database(app) as db:
        db.add(team_member(team.patient_id, team.users["reader"].id, "write",
                           added_by=team.users["primary"].id, relationship="other"))
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()


def test_a_write_members_save_through_the_form_is_refused_once_revoked(app, team):
    writer = team.clients["writer"]
    html, form = edit_page(writer, team.session_id)
    with database(app) as db:
        member = db.scalar(select(CareTeamMember).where(
            CareTeamMember.user_id == team.users["writer"].id))
        member.revoked_at = utcnow()
        db.commit()
    form["summary"] = "Typed after access was revoked"
    assert save(writer, team.session_id, form).status_code == 404
    with database(app) as db:
        assert db.get(TherapySession, team.session_id).summary != form["summary"]


def test_the_migration_keeps_private_notes_and_allows_one_per_author(app_config, scratch_url):
    """0007 rebuilds psychotherapy_notes with its own id, copying the ciphertext as stored;
    its downgrade refuses to merge two authors' notes into the one-per-session table."""
    url = scratch_url
    engine = make_engine(url)
    migrate.upgrade(engine)
    application = create_app({**app_config, "DATABASE_URL": url})
    try:
        with database(application) as db:
            author = User(email="a@example.org", name="A", password_hash="x")
            colleague = User(email="b@example.org", name="B", password_hash="x")
            db.add_all([author, colleague])
            db.flush()
            patient = Patient(therapist_id=author.id, display_name="P")
            db.add(patient)
            db.flush()
            session = db_session(db, author.id, db_course(db, patient.id), "dosing",
                                 datetime(2026, 3, 2))
            db.add(PsychotherapyNote(session_id=session.id, author_id=author.id, body="Mine"))
            db.commit()
            ids = (session.id, author.id, colleague.id)
        with application.app_context():
            migrate.downgrade(engine, "0006")
            with engine.connect() as connection:
                stored = connection.execute(text("SELECT body FROM psychotherapy_notes")).scalar()
            assert stored.startswith("v1:")  # Still the ciphertext, untouched.
            migrate.upgrade(engine)
        with database(application) as db:
            note = db.scalars(select(PsychotherapyNote)).one()
            assert (note.session_id, note.author_id, note.body) == (ids[0], ids[1], "Mine")
            db.add(PsychotherapyNote(session_id=ids[0], author_id=ids[2], body="Theirs"))
            db.commit()
        with application.app_context(), pytest.raises(RuntimeError, match="more than one"):
            migrate.downgrade(engine, "0006")
    finally:
        dispose(application)
        engine.dispose()


def test_two_clinicians_drafts_never_touch_even_with_the_same_editor_id(app, team):
    """Editor ids come from the browser; one account's cannot reach another's draft."""
    editor = "ab" * 8
    for name, summary in (("writer", "Writer's typing"), ("primary", "Primary's typing")):
        response = post_with_token(team.clients[name], f"/sessions/{team.session_id}/autosave",
                                   {"editor_id": editor, "version": "1", "summary": summary})
        assert response.status_code == 200, name
    with database(app) as db:
        drafts = {d.user_id: d.data["summary"][0] for d in db.scalars(select(SessionDraft))}
    assert drafts == {team.users["writer"].id: "Writer's typing",
                      team.users["primary"].id: "Primary's typing"}


def test_a_colleagues_unsaved_copy_does_not_block_signing_and_goes_with_their_access(app,
                                                                                     team):
    sid = team.session_id
    response = post_with_token(team.clients["writer"], f"/sessions/{sid}/autosave",
                               {"editor_id": "cd" * 8, "version": "1",
                                "private_notes": "Cody's unsaved private typing"})
    assert response.status_code == 200
    with database(app) as db:
        member_id = db.scalar(select(CareTeamMember.id).where(
            CareTeamMember.user_id == team.users["writer"].id))
    post_with_token(team.clients["primary"],
                    f"/patients/{team.patient_id}/care-team/{member_id}/revoke",
                    {"confirmed": "yes"})
    with database(app) as db:
        assert db.scalar(select(SessionDraft.id)) is None  # Their typing left with them.
    save_page(team.clients["primary"], sid, summary="Prepared the first dose")
    post_with_token(team.clients["writer"], f"/sessions/{sid}/autosave", {})  # Now a 404.
    assert sign(team.clients["primary"], sid).status_code == 302
    with database(app) as db:
        assert db.get(TherapySession, sid).status == "signed"


def test_the_primary_signs_while_a_member_has_an_unsaved_copy(app, team):
    sid = team.session_id
    post_with_token(team.clients["writer"], f"/sessions/{sid}/autosave",
                    {"editor_id": "ef" * 8, "version": "1", "summary": "typing"})
    save_page(team.clients["primary"], sid, summary="Prepared the first dose")
    page = team.clients["primary"].get(f"/sessions/{sid}").get_data(as_text=True)
    assert "unsaved cop" not in page  # Another clinician's drafts are not even mentioned.
    assert sign(team.clients["primary"], sid).status_code == 302
    with database(app) as db:
        assert db.get(TherapySession, sid).status == "signed"


def test_care_team_events_name_the_member_or_grant_and_failed_break_glass_is_recorded(app,
                                                                                     team):
    admin_id = team.users["admin"].id
    open_emergency(team.clients["admin"], password="wrong password")
    assert open_emergency(team.clients["admin"]).status_code == 302
    with database(app) as db:
        grant_id = db.scalar(select(EmergencyAccess.id))
        member_id = db.scalar(select(CareTeamMember.id).where(
            CareTeamMember.user_id == team.users["reader"].id))
    post_with_token(team.clients["admin"], f"/admin/emergency-access/{grant_id}/end")
    post_with_token(team.clients["primary"],
                    f"/patients/{team.patient_id}/care-team/{member_id}/revoke",
                    {"confirmed": "yes"})
    with database(app) as db:
        events = [(e.action, e.actor_id, e.patient_id, e.record_type, e.record_id)
                  for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    pid = team.patient_id
    assert ("reauth_failed care_team.emergency_access", admin_id, None, None, None) in events
    assert ("break_glass", admin_id, pid, "emergency_access", grant_id) in events
    assert ("break_glass_end", admin_id, pid, "emergency_access", grant_id) in events
    assert ("share_revoke", team.users["primary"].id, pid, "care_team_member",
            member_id) in events


def test_break_glass_names_the_patient_and_lists_no_one(app, team, make_user):
    admin = team.clients["admin"]
    page = admin.get("/admin/emergency-access").get_data(as_text=True)
    assert "Maya Okafor" not in page and "MRN-7" not in page
    response = open_emergency(admin, patient="Nobody Known")
    assert field_errors(response.get_data(as_text=True), "patient") == [
        "No active patient has this record number or full name."]
    add_patient(app, make_user(email="x@example.org"), "Maya Okafor")
    response = open_emergency(admin, patient="maya okafor")
    assert field_errors(response.get_data(as_text=True), "patient") == [
        "More than one active patient has this name: use the record number."]
    assert open_emergency(admin, patient="MRN-7").headers["Location"] == (
        f"/patients/{team.patient_id}")


def test_an_opening_still_under_way_stays_flagged_after_acknowledging(app, team):
    assert open_emergency(team.clients["admin"]).status_code == 302
    primary = team.clients["primary"]
    post_with_token(primary, f"/patients/{team.patient_id}/emergency-access/acknowledge")
    assert "Opened in an emergency" in primary.get("/patients/").get_data(as_text=True)
    with database(app) as db:
        db.scalar(select(EmergencyAccess)).ended_at = utcnow()
        db.commit()
    post_with_token(primary, f"/patients/{team.patient_id}/emergency-access/acknowledge")
    assert "Opened in an emergency" not in primary.get("/patients/").get_data(as_text=True)
