"""Encryption at rest of the private notes and the autosaved drafts (tracker/crypto.py).

Every test reads the raw columns with plain SQL, as someone holding a copy of the database
(a stolen backup, a read-only SQL account) would."""

from __future__ import annotations

import ast
import base64
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.support.app import dispose
from tests.support.courses import db_course, make_course
from tests.support.database import database
from tests.support.patients import add_patient
from tests.support.server import clean_environment
from tests.support.sessions import db_session, edit_page, save_page, start_session
from tracker import ConfigError, create_app, crypto, migrate
from tracker.auth import services as accounts
from tracker.cli import init_command
from tracker.db import get_db, make_engine
from tracker.sessions.models import PsychotherapyNote, SessionDraft

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-real-secret-that-is-long-enough-0123456789abcdef"
AUDIT_KEY = "an-audit-key-that-is-long-enough-0123456789abcdef"
KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
PRIVATE = "She spoke about her father for the first time."
DRAFT_PRIVATE = "Countertransference: felt protective, noted it."


# Helpers ---------------------------------------------------------------------------------


def raw(app, sql: str, **params):
    """One value read with plain SQL, bypassing the models (and the decryption)."""
    with app.extensions["tracker.engine"].connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def raw_note(app, session_id: int) -> str:
    return raw(app, "SELECT body FROM psychotherapy_notes WHERE session_id = :id", id=session_id)


def raw_draft(app, draft_id: int) -> str:
    return raw(app, "SELECT data FROM session_drafts WHERE id = :id", id=draft_id)


def write_raw(app, sql: str, **params) -> None:
    with app.extensions["tracker.engine"].begin() as connection:
        connection.execute(text(sql), params)


def flip_one_byte(stored: str, position: int) -> str:
    prefix, token = stored.rsplit(":", 1)
    data = bytearray(base64.urlsafe_b64decode(token))
    data[position] ^= 0x01
    return f"{prefix}:{base64.urlsafe_b64encode(bytes(data)).decode()}"


def read_note(app, session_id: int) -> str:
    with database(app) as db:
        return db.scalars(select(PsychotherapyNote)
                          .where(PsychotherapyNote.session_id == session_id)).one().body


def read_draft(app, draft_id: int) -> dict:
    with database(app) as db:
        return db.get(SessionDraft, draft_id).data


def other_app(app_config, **config):
    """A second app on the same test database with other keys (the operator's new config)."""
    return create_app({**app_config, **config})


@pytest.fixture
def records(app, therapist):
    """Two sessions with equal private notes and an autosaved draft, written by the app."""
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id)
        sessions = [db_session(db, therapist.id, course, "integration", datetime(2026, 3, day))
                    for day in (2, 9)]
        db.add_all([PsychotherapyNote(session_id=s.id, author_id=therapist.id, body=PRIVATE)
                    for s in sessions])
        draft = SessionDraft(session_id=sessions[0].id, user_id=therapist.id,
                             editor_id="0123456789abcdef", kind="autosave", base_version=1,
                             data={"summary": "Typed", "private_notes": DRAFT_PRIVATE})
        db.add(draft)
        db.commit()
        return {"sessions": [s.id for s in sessions], "draft": draft.id}


# At rest ---------------------------------------------------------------------------------


def test_a_note_saved_on_the_session_page_is_ciphertext_in_the_database(
        app, therapist, therapist_client):
    patient_id = add_patient(app, therapist)
    course_id = make_course(therapist_client, patient_id)
    sid = start_session(therapist_client, patient_id, course_id, "integration", date(2026, 3, 2))

    save_page(therapist_client, sid, summary="Integration.", private_notes=PRIVATE)

    stored = raw_note(app, sid)
    assert stored.startswith("v2:test:")
    assert PRIVATE not in stored and "father" not in stored
    assert read_note(app, sid) == PRIVATE
    _, form = edit_page(therapist_client, sid)
    assert form["private_notes"] == PRIVATE  # The page reads it back decrypted.


def test_equal_notes_give_different_ciphertexts(app, records):
    first, second = (raw_note(app, sid) for sid in records["sessions"])
    assert first != second
    assert first.startswith("v2:test:") and second.startswith("v2:test:")
    assert [read_note(app, sid) for sid in records["sessions"]] == [PRIVATE, PRIVATE]


def test_autosaved_drafts_are_encrypted_too(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist)
    course_id = make_course(therapist_client, patient_id)
    sid = start_session(therapist_client, patient_id, course_id, "integration", date(2026, 3, 2))
    _, form = edit_page(therapist_client, sid)
    form.update(summary="Half a summary", private_notes=DRAFT_PRIVATE)

    response = therapist_client.post(f"/sessions/{sid}/autosave", data=form)

    assert response.get_json()["status"] == "saved"
    stored = raw(app, "SELECT data FROM session_drafts WHERE session_id = :id", id=sid)
    assert stored.startswith("v2:test:")
    assert DRAFT_PRIVATE not in stored and "Countertransference" not in stored
    assert "Half a summary" not in stored and "private_notes" not in stored
    with database(app) as db:
        [draft] = db.scalars(select(SessionDraft).where(SessionDraft.session_id == sid))
        assert draft.data["private_notes"] == [DRAFT_PRIVATE]


@pytest.mark.parametrize("position", [0, 12, -1], ids=["nonce", "ciphertext", "tag"])
def test_changing_one_byte_makes_reading_fail(app, records, position):
    sid = records["sessions"][0]
    write_raw(app, "UPDATE psychotherapy_notes SET body = :body WHERE session_id = :id",
              body=flip_one_byte(raw_note(app, sid), position), id=sid)

    with pytest.raises(crypto.DecryptionError) as raised:
        read_note(app, sid)
    message = str(raised.value)
    assert "'test'" in message and "psychotherapy_notes.body" in message
    assert PRIVATE not in message
    assert read_note(app, records["sessions"][1]) == PRIVATE  # The other note still reads.


def test_plaintext_put_in_place_of_the_ciphertext_is_refused(app, records):
    sid = records["sessions"][0]
    write_raw(app, "UPDATE psychotherapy_notes SET body = :body WHERE session_id = :id",
              body="Planted text", id=sid)
    with pytest.raises(crypto.DecryptionError, match="not in the encrypted format"):
        read_note(app, sid)


def test_a_value_cannot_be_moved_to_the_other_column(app, therapist, records):
    # A note that happens to be a valid draft document, so that only the binding of each
    # value to its column stops it from being read as one.
    sid, draft_id = records["sessions"][1], records["draft"]
    with database(app) as db:
        note = db.scalars(select(PsychotherapyNote)
                          .where(PsychotherapyNote.session_id == sid)).one()
        note.body = '{"summary": "moved", "private_notes": "x"}'
        db.commit()
    note, draft = raw_note(app, sid), raw_draft(app, draft_id)

    write_raw(app, "UPDATE session_drafts SET data = :v WHERE id = :id", v=note, id=draft_id)
    with pytest.raises(crypto.DecryptionError, match="session_drafts.data"):
        read_draft(app, draft_id)

    write_raw(app, "UPDATE psychotherapy_notes SET body = :v WHERE session_id = :id",
              v=draft, id=sid)
    with pytest.raises(crypto.DecryptionError, match="psychotherapy_notes.body"):
        read_note(app, sid)


def test_a_value_under_an_unknown_key_names_the_key(app, app_config, records):
    only_b = other_app(app_config, ENCRYPTION_KEYS={"b": KEY_B}, ENCRYPTION_KEY_ID="b")
    try:
        with pytest.raises(crypto.DecryptionError, match="key 'test'.*not in ENCRYPTION_KEYS"):
            read_note(only_b, records["sessions"][0])
    finally:
        dispose(only_b)


# Rotation --------------------------------------------------------------------------------


def test_rotate_keys_re_encrypts_everything_with_the_new_key(app, app_config, records):
    key_a = app_config["ENCRYPTION_KEYS"]["test"]
    sids, draft_id = records["sessions"], records["draft"]
    updated_at = raw(app, "SELECT updated_at FROM psychotherapy_notes WHERE session_id = :id",
                     id=sids[0])
    both = other_app(app_config, ENCRYPTION_KEYS={"test": key_a, "b": KEY_B},
                     ENCRYPTION_KEY_ID="b")
    only_b = other_app(app_config, ENCRYPTION_KEYS={"b": KEY_B}, ENCRYPTION_KEY_ID="b")
    try:
        result = both.test_cli_runner().invoke(args=["rotate-keys", "--batch-size", "1"])

        assert result.exit_code == 0, result.output
        assert "Re-encrypted 3 of 3 values with key 'b'" in result.output
        assert "'test'" in result.output  # Named as no longer used.
        stored = [raw_note(app, sid) for sid in sids] + [raw_draft(app, draft_id)]
        assert all(value.startswith("v2:b:") for value in stored), stored
        assert raw(app, "SELECT updated_at FROM psychotherapy_notes WHERE session_id = :id",
                   id=sids[0]) == updated_at  # Not an edit of the note.
        for application in (both, only_b):  # Old key removed: everything still reads.
            assert [read_note(application, sid) for sid in sids] == [PRIVATE, PRIVATE]
            assert read_draft(application, draft_id)["private_notes"] == DRAFT_PRIVATE
        with pytest.raises(crypto.DecryptionError):
            read_note(app, sids[0])  # Key A alone no longer reads them.

        again = both.test_cli_runner().invoke(args=["rotate-keys"])
        assert again.exit_code == 0, again.output
        assert "Re-encrypted 0 of 3 values" in again.output
        assert [raw_note(app, sid) for sid in sids] + [raw_draft(app, draft_id)] == stored
    finally:
        dispose(both, only_b)


def test_rotate_keys_changes_nothing_when_a_value_cannot_be_read(app, app_config, records):
    sids = records["sessions"]
    before = raw_note(app, sids[0])
    write_raw(app, "UPDATE psychotherapy_notes SET body = :v WHERE session_id = :id",
              v=flip_one_byte(raw_note(app, sids[1]), 20), id=sids[1])
    both = other_app(app_config, ENCRYPTION_KEYS={**app_config["ENCRYPTION_KEYS"], "b": KEY_B},
                     ENCRYPTION_KEY_ID="b")
    try:
        result = both.test_cli_runner().invoke(args=["rotate-keys"])
    finally:
        dispose(both)
    assert result.exit_code != 0
    assert "key 'test'" in result.output and "Nothing was changed" in result.output
    assert PRIVATE not in result.output
    assert raw_note(app, sids[0]) == before
    assert raw_draft(app, records["draft"]).startswith("v2:test:")


def test_rotate_keys_help_gives_the_procedure(runner):
    result = runner.invoke(args=["rotate-keys", "--help"])
    assert "1. Add a new key" in result.output and "3. Remove the old key" in result.output


# Configuration ---------------------------------------------------------------------------


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(folder))
    for name in os.environ:
        if name.startswith(("TRACKER_", "FLASK_")) and name != "TRACKER_INSTANCE_PATH":
            monkeypatch.delenv(name)
    return folder


def write_config(instance: Path, keys_part: str) -> None:
    """A production config.py whose other secrets are fine (the audit trail's key too)."""
    (instance / "config.py").write_text(
        f"SECRET_KEY = {SECRET!r}\nAUDIT_KEY = {AUDIT_KEY!r}\n{keys_part}\n")


SHORT_KEY = base64.urlsafe_b64encode(b"k" * 16).decode()


@pytest.mark.parametrize(("keys_part", "expected"), [
    ("", "ENCRYPTION_KEYS is empty"),
    ("ENCRYPTION_KEYS = {}", "ENCRYPTION_KEYS is empty"),
    (f"ENCRYPTION_KEYS = {{'a': {KEY_A!r}}}", "ENCRYPTION_KEY_ID None is not one of"),
    (f"ENCRYPTION_KEYS = {{'a': {KEY_A!r}}}\nENCRYPTION_KEY_ID = 'b'",
     "ENCRYPTION_KEY_ID 'b' is not one of"),
    (f"ENCRYPTION_KEYS = {{'a': {SHORT_KEY!r}}}\nENCRYPTION_KEY_ID = 'a'", "16 bytes, not 32"),
    ("ENCRYPTION_KEYS = {'a': 'not a key!'}\nENCRYPTION_KEY_ID = 'a'", "not urlsafe base64"),
    (f"ENCRYPTION_KEYS = {{'a:b': {KEY_A!r}}}\nENCRYPTION_KEY_ID = 'a:b'", "unusable key id"),
], ids=["missing", "empty", "no-id", "unknown-id", "short", "not-base64", "bad-id"])
def test_refuses_to_start_without_usable_keys(instance, keys_part, expected):
    write_config(instance, keys_part)
    with pytest.raises(ConfigError) as raised:
        create_app()
    message = str(raised.value)
    assert expected in message and "\n" not in message
    assert SHORT_KEY not in message and KEY_A not in message  # Never echoes a key.


def test_starts_with_keys_from_the_instance_file_or_the_environment(instance, monkeypatch):
    write_config(instance, f"ENCRYPTION_KEYS = {{'a': {KEY_A!r}}}\nENCRYPTION_KEY_ID = 'a'")
    assert create_app().config["ENCRYPTION_KEY_ID"] == "a"

    write_config(instance, "")
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", f'{{"e": "{KEY_A}"}}')
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEY_ID", "e")
    assert create_app().config["ENCRYPTION_KEYS"] == {"e": KEY_A}

    monkeypatch.delenv("TRACKER_ENCRYPTION_KEYS")
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS__20261123_ab12", KEY_B)
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEY_ID", "20261123_ab12")
    assert create_app().config["ENCRYPTION_KEYS"] == {"20261123_ab12": KEY_B}

    # The environment filled this app's own dict, not a default shared with the next app.
    monkeypatch.delenv("TRACKER_ENCRYPTION_KEYS__20261123_ab12")
    monkeypatch.delenv("TRACKER_ENCRYPTION_KEY_ID")
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS is empty"):
        create_app()


def test_testing_and_debug_without_keys_get_a_throwaway_key(instance):
    for config in ({"TESTING": True}, {"DEBUG": True}):
        application = create_app(config)
        key_id = application.config["ENCRYPTION_KEY_ID"]
        assert key_id.startswith("ephemeral-")
        with application.app_context():
            ring = crypto.keyring()
            sealed = ring.encrypt(PRIVATE, "psychotherapy_notes.body")
            assert sealed.startswith(f"v1:{key_id}:") and PRIVATE not in sealed
            assert ring.decrypt(sealed, "psychotherapy_notes.body") == PRIVATE


def test_the_column_type_never_writes_plaintext_and_null_stays_null(app):
    column = PsychotherapyNote.__table__.c.body.type
    assert column.process_bind_param(None, None) is None
    with pytest.raises(TypeError, match="sealed to their row"):
        column.process_bind_param(PRIVATE, None)
    with app.app_context():
        place = column.place({"id": 1, "session_id": 2, "author_id": 3})
        sealed = crypto.keyring().seal(PRIVATE, place)
        assert column.process_bind_param(sealed, None) == sealed
        assert sealed.startswith("v2:test:") and PRIVATE not in sealed
        assert crypto.keyring().open(sealed, place) == PRIVATE


# Commands --------------------------------------------------------------------------------


def test_init_writes_a_key_and_adds_one_to_an_older_config(instance):
    runner = CliRunner()
    result = runner.invoke(init_command, [])
    assert result.exit_code == 0, result.output
    written = (instance / "config.py").read_text()
    assert "ENCRYPTION_KEYS = {" in written and "ENCRYPTION_KEY_ID = " in written
    create_app()  # Starts: a usable key was written.

    write_config(instance, "")  # A config.py from before encryption (SECRET_KEY only).
    result = runner.invoke(init_command, [])
    assert result.exit_code == 0, result.output
    assert "(encryption key added)" in result.output
    updated = (instance / "config.py").read_text()
    assert updated.startswith(f"SECRET_KEY = {SECRET!r}\n") and "ENCRYPTION_KEYS = {" in updated
    assert updated.count("ENCRYPTION_KEYS = {") == 1
    assert create_app().config["SECRET_KEY"] == SECRET

    result = runner.invoke(init_command, [])
    assert "(encryption key added)" not in result.output
    assert (instance / "config.py").read_text() == updated


def test_generate_key_prints_a_usable_key_even_before_the_app_can_start(instance):
    env = clean_environment()
    env["TRACKER_INSTANCE_PATH"] = str(instance)  # Empty: the app itself refuses to start.
    runs = [subprocess.run([sys.executable, "-m", "flask", "--app", "tracker", "generate-key"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            for _ in range(2)]
    keys = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        keys.append(ast.literal_eval("{" + run.stdout.strip() + "}"))
    assert keys[0] != keys[1]
    [(key_id, key)] = keys[0].items()
    ring = crypto.Keyring.from_config(keys[0], key_id)
    assert ring.decrypt(ring.encrypt(PRIVATE, "x"), "x") == PRIVATE
    assert len(base64.urlsafe_b64decode(key)) == 32


# The migration of existing data ----------------------------------------------------------


def test_the_migration_encrypts_notes_and_drafts_written_before_it(app_config, scratch_url):
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
            session = db_session(db, user.id, db_course(db, patient_id), "integration",
                                 datetime(2026, 3, 2))
            db.add(PsychotherapyNote(session_id=session.id, author_id=user.id, body=PRIVATE))
            db.add(SessionDraft(session_id=session.id, user_id=user.id, editor_id="e" * 16,
                                base_version=1, data={"private_notes": DRAFT_PRIVATE}))
            db.commit()
            sid = session.id

            migrate.downgrade(engine, "0003")  # Back to plaintext, as before encryption.
        assert raw_note(application, sid) == PRIVATE
        assert DRAFT_PRIVATE in str(raw(application, "SELECT data FROM session_drafts"))

        with pytest.raises(RuntimeError, match="need the encryption keys"):
            migrate.upgrade(engine)  # Outside the app: no keys to encrypt with.
        with application.app_context():
            migrate.upgrade(engine)

        assert raw_note(application, sid).startswith("v2:test:")
        draft = raw(application, "SELECT data FROM session_drafts")
        assert draft.startswith("v2:test:") and DRAFT_PRIVATE not in draft
        assert read_note(application, sid) == PRIVATE
        with database(application) as db:
            assert db.scalar(select(SessionDraft)).data == {"private_notes": DRAFT_PRIVATE}
    finally:
        dispose(application)
        engine.dispose()
