"""An encrypted value opens in its own row only (issue 14, item 8). It used to be
authenticated with its column's name alone: a note's ciphertext copied, by someone who can
write to the database, into another row (another patient's, another author's) opened there,
under the other author's name. Every test copies raw ciphertext with plain SQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text

from tests.support.app import dispose
from tests.support.care_team import emergency_access
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tracker import create_app, crypto, migrate
from tracker.auth import services as accounts
from tracker.auth.models import User
from tracker.care_team.models import EmergencyAccess
from tracker.db import get_db, make_engine
from tracker.sessions.models import PsychotherapyNote, SessionDraft

KEY_B = "ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGQ="
MINE = "Hers alone: the dream about the lake."
THEIRS = "Another patient, another author."


def raw(app, sql: str, **params):
    with app.extensions["tracker.engine"].connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def write_raw(app, sql: str, **params) -> None:
    with app.extensions["tracker.engine"].begin() as connection:
        connection.execute(text(sql), params)


def copy_value(app, table: str, column: str, source: int, target: int) -> None:
    """What an attacker with write access to the database does: move ciphertext."""
    value = raw(app, f"SELECT {column} FROM {table} WHERE id = :id", id=source)  # noqa: S608
    write_raw(app, f"UPDATE {table} SET {column} = :v WHERE id = :id", v=value,  # noqa: S608
              id=target)


@pytest.fixture
def two_practices(app, therapist, make_user):
    """Two therapists, each with a patient, a session, a private note and a draft; the second
    also has two-factor login, and an administrator opened each record in an emergency."""
    other = make_user(email="other@example.org", name="Other Therapist")
    admin = make_user(email="admin@example.org", name="Admin", is_admin=True)
    patients = [add_patient(app, therapist, "Maya Okafor"), add_patient(app, other, "Ben Ito")]
    ids = {"users": [therapist.id, other.id]}
    with database(app) as db:
        sessions = [db_session(db, user, db_course(db, patient), "integration",
                               datetime(2026, 3, 2))
                    for user, patient in zip(ids["users"], patients, strict=True)]
        notes = [PsychotherapyNote(session_id=s.id, author_id=u, body=body)
                 for s, u, body in zip(sessions, ids["users"], (MINE, THEIRS), strict=True)]
        drafts = [SessionDraft(session_id=s.id, user_id=u, editor_id="a" * 16,
                               base_version=1, data={"private_notes": [body]})
                  for s, u, body in zip(sessions, ids["users"], (MINE, THEIRS), strict=True)]
        grants = [emergency_access(patient, admin.id, f"Reason {n}")
                  for n, patient in enumerate(patients)]
        db.add_all([*notes, *drafts, *grants])
        for user in db.scalars(select(User).where(User.id.in_(ids["users"]))):
            user.totp_secret = f"SECRET{user.id}AAAAAAAAAAAAAAAAAAAAAA"[:32]
        db.commit()
        ids.update(sessions=[s.id for s in sessions], notes=[n.id for n in notes],
                   drafts=[d.id for d in drafts], grants=[g.id for g in grants])
    return ids


def read(app, model, row_id):
    with database(app) as db:
        row = db.get(model, row_id)
        return {PsychotherapyNote: lambda: row.body, SessionDraft: lambda: row.data,
                User: lambda: row.totp_secret, EmergencyAccess: lambda: row.reason}[model]()


def test_a_note_copied_into_another_patients_row_does_not_open_there(
        app, two_practices, login_as, make_user):
    ids = two_practices
    copy_value(app, "psychotherapy_notes", "body", ids["notes"][0], ids["notes"][1])
    write_raw(app, "DELETE FROM session_drafts")  # The page would restore the draft instead.

    with pytest.raises(crypto.DecryptionError) as raised:
        read(app, PsychotherapyNote, ids["notes"][1])
    message = str(raised.value)
    assert "psychotherapy_notes.body" in message and "another row" in message
    assert MINE not in message
    assert read(app, PsychotherapyNote, ids["notes"][0]) == MINE  # Still opens at home.

    # The other author opens their session: a clear page, not a 500, and not the note.
    with database(app) as db:
        other = db.get(User, ids["users"][1])
        other.totp_secret = None  # Sign in with the password alone.
        db.commit()
    client = login_as(other)
    for path in (f"/sessions/{ids['sessions'][1]}/edit", f"/sessions/{ids['sessions'][1]}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 409, path
        assert "cannot be opened here" in page and "Nothing was changed" in page
        assert MINE not in page


def test_a_note_copied_to_another_session_of_the_same_author_does_not_open(app, two_practices):
    ids = two_practices
    with database(app) as db:
        author = db.get(User, ids["users"][0])
    third = add_patient(app, author, "Third")
    with database(app) as db:
        session = db_session(db, ids["users"][0], db_course(db, third), "integration",
                             datetime(2026, 3, 9))
        note = PsychotherapyNote(session_id=session.id, author_id=ids["users"][0], body="x")
        db.add(note)
        db.commit()
        target = note.id
    copy_value(app, "psychotherapy_notes", "body", ids["notes"][0], target)
    with pytest.raises(crypto.DecryptionError, match="psychotherapy_notes.body"):
        read(app, PsychotherapyNote, target)


@pytest.mark.parametrize(("model", "table", "column", "key"), [
    (SessionDraft, "session_drafts", "data", "drafts"),
    (User, "users", "totp_secret", "users"),
    (EmergencyAccess, "emergency_access", "reason", "grants"),
], ids=["draft", "two-factor secret", "emergency reason"])
def test_every_encrypted_column_is_bound_to_its_row(app, two_practices, model, table, column,
                                                    key):
    first, second = two_practices[key]
    before = read(app, model, first)
    copy_value(app, table, column, first, second)
    with pytest.raises(crypto.DecryptionError, match=f"{table}.{column}"):
        read(app, model, second)
    assert read(app, model, first) == before


def test_rotate_keys_keeps_each_value_bound_to_its_row(app, app_config, two_practices):
    ids = two_practices
    both = create_app({**app_config, "ENCRYPTION_KEYS": {**app_config["ENCRYPTION_KEYS"],
                                                         "b": KEY_B},
                       "ENCRYPTION_KEY_ID": "b"})
    try:
        result = both.test_cli_runner().invoke(args=["rotate-keys", "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        assert raw(app, "SELECT body FROM psychotherapy_notes WHERE id = :id",
                   id=ids["notes"][0]).startswith("v2:b:")
        assert read(both, PsychotherapyNote, ids["notes"][0]) == MINE
        assert read(both, SessionDraft, ids["drafts"][1]) == {"private_notes": [THEIRS]}

        copy_value(app, "psychotherapy_notes", "body", ids["notes"][0], ids["notes"][1])
        with pytest.raises(crypto.DecryptionError):
            read(both, PsychotherapyNote, ids["notes"][1])
    finally:
        dispose(both)


def test_rotate_keys_refuses_to_re_seal_a_value_copied_from_another_row(
        app, app_config, two_practices):
    ids = two_practices
    copy_value(app, "psychotherapy_notes", "body", ids["notes"][0], ids["notes"][1])
    copied = raw(app, "SELECT body FROM psychotherapy_notes WHERE id = :id", id=ids["notes"][1])
    both = create_app({**app_config, "ENCRYPTION_KEYS": {**app_config["ENCRYPTION_KEYS"],
                                                         "b": KEY_B},
                       "ENCRYPTION_KEY_ID": "b"})
    try:
        result = both.test_cli_runner().invoke(args=["rotate-keys"])
    finally:
        dispose(both)
    assert result.exit_code != 0 and "Nothing was changed" in result.output
    assert MINE not in result.output
    assert raw(app, "SELECT body FROM psychotherapy_notes WHERE id = :id",
               id=ids["notes"][1]) == copied  # Not laundered into a value of that row.


def test_the_migration_binds_stored_values_to_their_rows_and_unbinds_them_on_downgrade(
        app_config, scratch_url):
    engine = make_engine(scratch_url)
    migrate.upgrade(engine)
    application = create_app({**app_config, "DATABASE_URL": scratch_url})
    try:
        with application.app_context():
            db = get_db()
            user = accounts.create_user(db, email="t@example.org", name="T",
                                        password="correct horse battery staple")
            db.commit()
        patient_id = add_patient(application, user)
        with application.app_context():
            db = get_db()
            course = db_course(db, patient_id)
            notes = [PsychotherapyNote(author_id=user.id, body=body, session_id=db_session(
                db, user.id, course, "integration", datetime(2026, 3, day)).id)
                for day, body in ((2, MINE), (9, THEIRS))]
            db.add_all(notes)
            db.commit()
            note_ids = [n.id for n in notes]

            migrate.downgrade(engine, "0013")
        stored = [raw(application, "SELECT body FROM psychotherapy_notes WHERE id = :id",
                      id=i) for i in note_ids]
        assert all(value.startswith("v1:test:") for value in stored)  # Column-bound again.
        with application.app_context():
            ring = crypto.keyring()
            assert ring.decrypt(stored[0], "psychotherapy_notes.body") == MINE

        with pytest.raises(RuntimeError, match="need the encryption keys"):
            migrate.upgrade(engine)  # Outside the app: no keys to re-encrypt with.
        with application.app_context():
            migrate.upgrade(engine)
        assert raw(application, "SELECT body FROM psychotherapy_notes WHERE id = :id",
                   id=note_ids[0]).startswith("v2:test:")
        assert [read(application, PsychotherapyNote, i) for i in note_ids] == [MINE, THEIRS]
        copy_value(application, "psychotherapy_notes", "body", note_ids[0], note_ids[1])
        with pytest.raises(crypto.DecryptionError):
            read(application, PsychotherapyNote, note_ids[1])
    finally:
        dispose(application)
        engine.dispose()
