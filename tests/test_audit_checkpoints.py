"""The end of the audit trail is anchored outside the database (issue 14, item 3): signed
checkpoints in an append-only file and the application log. Someone who can write to the
database but has no AUDIT_KEY can no longer cut the chain short, empty it, or replace its
last events unnoticed."""

import json
import logging
import os
import time

import pytest
from sqlalchemy import select, text

from tests.support.patients import add_patient
from tracker import create_app, migrate
from tracker.audit import checkpoints
from tracker.audit.models import AuditEvent
from tracker.db import get_db, make_engine


def _views(app, therapist, client, count=5) -> int:
    patient_id = add_patient(app, therapist, "Checkpoint Patient")
    for _ in range(count):
        assert client.get(f"/patients/{patient_id}").status_code == 200
    with app.app_context():
        return get_db().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))


def _verify(app):
    return app.test_cli_runner().invoke(args=["verify-audit"])


def _sql(app, *statements, **params) -> None:
    with app.app_context():
        db = get_db()
        for statement in statements:
            db.execute(text(statement), params)
        db.commit()


def test_verify_audit_writes_a_signed_checkpoint_to_a_private_file_and_the_log(
        app, therapist, therapist_client, caplog):
    last = _views(app, therapist, therapist_client)
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        result = _verify(app)
    assert result.exit_code == 0, result.output
    path = checkpoints.file_path(app)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["seq"] == last and line["reason"] == "verify-audit" and line["mac"]
    assert f"audit checkpoint seq={last}" in caplog.text
    assert "Checkpoint Patient" not in path.read_text() + caplog.text


def test_deleting_the_last_events_and_moving_the_head_fails_verification(
        app, therapist, therapist_client):
    last = _views(app, therapist, therapist_client)
    assert _verify(app).exit_code == 0
    with app.app_context():
        keep = get_db().scalar(select(AuditEvent).where(AuditEvent.seq == last - 2))
        keep_hmac = keep.hmac
    _sql(app, "DELETE FROM audit_events WHERE seq > :seq",
         "UPDATE audit_head SET seq = :seq, hmac = :hmac", seq=last - 2, hmac=keep_hmac)
    result = _verify(app)
    assert result.exit_code != 0
    assert f"the chain ends at event {last - 2}" in result.output
    assert "checkpoint" in result.output and f"event {last}" in result.output


def test_deleting_every_event_fails_verification(app, therapist, therapist_client):
    last = _views(app, therapist, therapist_client)
    assert _verify(app).exit_code == 0
    _sql(app, "DELETE FROM audit_events", "DELETE FROM audit_head")
    result = _verify(app)
    assert result.exit_code != 0
    assert "the chain is empty" in result.output and f"event {last}" in result.output


def test_a_rewritten_tail_fails_verification(app, therapist, therapist_client):
    """Events cut back and new ones appended (the chain verifies on its own): the
    checkpointed event is no longer the one that was recorded."""
    last = _views(app, therapist, therapist_client)
    assert _verify(app).exit_code == 0
    with app.app_context():
        keep = get_db().scalar(select(AuditEvent).where(AuditEvent.seq == last - 3))
        keep_hmac = keep.hmac
    _sql(app, "DELETE FROM audit_events WHERE seq > :seq",
         "UPDATE audit_head SET seq = :seq, hmac = :hmac", seq=last - 3, hmac=keep_hmac)
    _views(app, therapist, therapist_client, count=4)
    result = _verify(app)
    assert result.exit_code != 0
    assert f"event {last} is not the one the checkpoint" in result.output


def test_a_forged_checkpoint_line_is_named(app, therapist, therapist_client):
    _views(app, therapist, therapist_client)
    assert _verify(app).exit_code == 0
    path = checkpoints.file_path(app)
    forged = json.loads(path.read_text().splitlines()[-1])
    forged["seq"] = 1
    with open(path, "a") as handle:
        handle.write(json.dumps(forged) + "\n")
    result = _verify(app)
    assert result.exit_code != 0 and "not a checkpoint signed with AUDIT_KEY" in result.output


def test_backups_and_the_first_event_of_a_day_write_checkpoints(
        app, therapist, therapist_client, tmp_path):
    _views(app, therapist, therapist_client, count=1)
    path = checkpoints.file_path(app)
    assert [json.loads(line)["reason"] for line in path.read_text().splitlines()] == ["daily"]
    yesterday = time.time() - 26 * 3600
    os.utime(path, (yesterday, yesterday))
    _views(app, therapist, therapist_client, count=1)
    assert [json.loads(line)["reason"] for line in path.read_text().splitlines()] == [
        "daily", "daily"]
    if app.extensions["tracker.engine"].dialect.name == "sqlite":
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.db")])
        assert result.exit_code == 0, result.output
        assert json.loads(path.read_text().splitlines()[-1])["reason"] == "backup"
    result = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text().splitlines()[-1])["reason"] == "command"
    assert _verify(app).exit_code == 0


def _own_app(tmp_path, app_config, monkeypatch, url):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return create_app(dict(app_config, DATABASE_URL=url))


def _append(own, count):
    from tracker.audit import chain

    with own.app_context():
        db = get_db()
        for number in range(count):
            chain.append(db, own.config["AUDIT_KEY"].encode(), action=f"test {number}")
            db.commit()


@pytest.mark.usefixtures("database_url")
def test_sqlite_replace_into_over_the_last_ids_is_refused(tmp_path, app_config, monkeypatch):
    own = _own_app(tmp_path, app_config, monkeypatch, f"sqlite:///{tmp_path / 'own.sqlite3'}")
    _append(own, 8)
    assert own.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0
    for statement in (
            "REPLACE INTO audit_events SELECT * FROM audit_events WHERE seq > 3",
            "INSERT OR REPLACE INTO audit_events (id, seq, occurred_at, action, prev_hmac, hmac)"
            " SELECT id, seq, occurred_at, 'x', prev_hmac, hmac FROM audit_events"
            " WHERE seq > 3",
            "REPLACE INTO audit_events (id, seq, occurred_at, action, prev_hmac, hmac)"
            " SELECT id + 100, seq, occurred_at, 'x', prev_hmac, hmac FROM audit_events"
            " WHERE seq > 3"):
        with own.app_context():
            db = get_db()
            with pytest.raises(Exception, match="append-only"):
                db.execute(text(statement))
            db.rollback()
    with own.app_context():
        assert get_db().scalar(text("SELECT count(*) FROM audit_events")) == 8
    assert own.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0
    own.extensions["tracker.engine"].dispose()


def test_postgresql_truncate_is_refused_or_detected(scratch_url, tmp_path, app_config,
                                                    monkeypatch):
    if not scratch_url.startswith("postgresql"):
        pytest.skip("PostgreSQL leg (TRACKER_TEST_DATABASE_URL)")
    own = _own_app(tmp_path, app_config, monkeypatch, scratch_url)
    _append(own, 6)
    assert own.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0
    with own.app_context():
        db = get_db()
        with pytest.raises(Exception, match="append-only"):
            db.execute(text("TRUNCATE audit_events, audit_subjects"))
        db.rollback()
        # The owner (here a superuser) can still switch the triggers off: then it shows.
        for table in ("audit_events", "audit_subjects"):
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
        db.execute(text("TRUNCATE audit_events, audit_subjects"))
        db.execute(text("DELETE FROM audit_head"))
        db.commit()
    result = own.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code != 0 and "the chain is empty" in result.output
    own.extensions["tracker.engine"].dispose()


@pytest.fixture
def blocked_config(app_config, tmp_path):
    """A checkpoint file that cannot be created (its folder is a file)."""
    (tmp_path / "blocker").write_text("")
    app_config["AUDIT_CHECKPOINT_FILE"] = str(tmp_path / "blocker" / "checkpoints.jsonl")
    return app_config


def test_an_unwritable_checkpoint_file_is_said_and_pages_still_answer(
        blocked_config, app, therapist, therapist_client, caplog):
    _views(app, therapist, therapist_client, count=2)  # Logged, never a 500.
    assert "audit checkpoint could not be written" in caplog.text
    for command in ("audit-checkpoint", "verify-audit"):
        result = app.test_cli_runner().invoke(args=[command])
        assert result.exit_code == 1 and "No audit checkpoint written" in result.output
