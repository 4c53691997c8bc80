"""Backup and restore (`flask --app tracker backup PATH` / `restore PATH`).

The backup is taken while another connection keeps writing. Each of its transactions adds a
patient "Writer NNNNN" and stamps the number on a counter patient: a consistent backup holds
exactly writers 1..k with the counter at k, for some k between the writes committed before
the backup started and those committed when it ended. Restored into a scratch database (a
new SQLite file, or a new PostgreSQL database), every table equals the source as of the
backup (the source now, less the writes after k), row by row.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.support.courses import make_course
from tests.support.database import database
from tests.support.histories import build_course, build_history
from tests.support.measures import follow_up, questionnaire, saved_measure_id
from tests.support.patients import add_patient, new_patient
from tests.support.sessions import add_addendum, edit_page, save, sign, start_session
from tracker import backup, create_app
from tracker.db import make_engine
from tracker.patients.models import Patient

WRITER = re.compile(r"Writer (\d{5})")
COUNTER = "Backup counter"


# Data -------------------------------------------------------------------------------------


def build_records(app, therapist, client) -> int:
    """A practice with every kind of record: a patient made through the pages with a signed
    dosing session (dosing, new items, private note), an addendum and a PHQ-9 with its
    safety follow-up; a course with every thread; a long history. Returns the counter
    patient's id."""
    pid = new_patient(client, display_name="Maya Okafor", pronouns="she/her",
                      date_of_birth="1984-05-02", weight_kg="64.5",
                      treatment_intentions="Feel at home in my body again.")
    course = make_course(client, pid, start=date.today() - timedelta(days=20))
    dose = start_session(client, pid, course, "dosing", date.today() - timedelta(days=10))
    _, form = edit_page(client, dose)
    form.update({"summary": "Dose 1: steady, tearful at the end.", "intention": "Let go.",
                 "private_notes": "Countertransference: protective.",
                 "dosing-dose_mg": "35", "dosing-baseline-systolic": "128",
                 "dosing-baseline-diastolic": "82", "new_themes-0-label": "the ocean",
                 "new_beliefs-0-old_belief": "I have to earn love",
                 "new_beliefs-0-new_belief": "I am worth care",
                 "new_strategies-0-description": "Walk by the river",
                 "new_strategies-0-target_per_week": "4"})
    assert save(client, dose, form).status_code == 302
    assert sign(client, dose).status_code == 302
    assert add_addendum(client, dose, "Called the next day: slept well.").status_code == 302
    measure = saved_measure_id(questionnaire(client, pid, "phq9", [1] * 9, course_id=course,
                                             taken_on=date.today() - timedelta(days=9)))
    assert follow_up(client, pid, measure, "Safety plan reviewed in session.").status_code == 302

    other = add_patient(app, therapist, "Jonas Weber", weight_kg=Decimal("80.0"))
    history = add_patient(app, therapist, "Ruth Adeyemi")
    counter = add_patient(app, therapist, COUNTER, record_number="W00000")
    with database(app) as db:
        build_course(db, therapist.id, other)
        build_history(db, therapist.id, history, 60)
        db.commit()
    return counter


# The writer -------------------------------------------------------------------------------


class Writer(threading.Thread):
    """Another connection writing while the backup runs: one patient and one update of the
    counter per transaction. Bounded: it stops by itself after `limit` writes or `seconds`."""

    def __init__(self, url: str, therapist_id: int, counter_id: int, *, limit: int = 5000,
                 seconds: float = 30.0):
        super().__init__(daemon=True)
        self.url, self.therapist_id, self.counter_id = url, therapist_id, counter_id
        self.limit, self.seconds = limit, seconds
        self.committed = 0
        self.slowest = 0.0
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self):
        engine = make_engine(self.url)
        deadline = time.monotonic() + self.seconds
        try:
            for number in range(1, self.limit + 1):
                if self.stop.is_set() or time.monotonic() > deadline:
                    break
                started = time.monotonic()
                with Session(engine) as db, db.begin():
                    db.add(Patient(therapist_id=self.therapist_id, name_key="writer",
                                   display_name=f"Writer {number:05d}"))
                    db.execute(update(Patient).where(Patient.id == self.counter_id)
                               .values(record_number=f"W{number:05d}",
                                       updated_at=Patient.updated_at))
                self.committed = number
                self.slowest = max(self.slowest, time.monotonic() - started)
                time.sleep(0.001)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            self.error = error
        finally:
            engine.dispose()

    def wait_for(self, writes: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.committed < writes and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.error is None, self.error
        assert self.committed >= writes, "the writer did not get going"

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=30)
        assert not self.is_alive()
        assert self.error is None, repr(self.error)


# Comparing databases ----------------------------------------------------------------------


def dump(url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of the database (as found there, not as the models say): its columns
    and its rows ordered by primary key."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        tables = {}
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
                tables[name] = ([c.name for c in table.columns], [tuple(r) for r in rows])
        return tables
    finally:
        engine.dispose()


def as_of(source: dict, k: int, counter_id: int) -> dict:
    """The source as it was when writer k had just committed (and k+1 had not)."""
    columns, rows = source["patients"]
    name, number, key = (columns.index(c) for c in ("display_name", "record_number", "id"))
    kept = []
    for row in rows:
        match = WRITER.fullmatch(row[name])
        if match and int(match.group(1)) > k:
            continue
        if row[key] == counter_id:
            row = (*row[:number], f"W{k:05d}", *row[number + 1:])
        kept.append(row)
    return {**source, "patients": (columns, kept)}


def writers_in(tables: dict) -> list[int]:
    columns, rows = tables["patients"]
    name = columns.index("display_name")
    return sorted(int(m.group(1)) for row in rows if (m := WRITER.fullmatch(row[name])))


def without_commands(tables: dict) -> dict:
    """The tables without the audit events of the backup and restore commands themselves
    (each written after its copy, into its own database) and without the chain's head,
    which follows them: verify-audit checks the copy's chain whole."""
    columns, rows = tables["audit_events"]
    action = columns.index("action")
    kept = [row for row in rows if not str(row[action]).startswith("command ")]
    return {**{k: v for k, v in tables.items() if k != "audit_head"},
            "audit_events": (columns, kept)}


def assert_identical(restored: dict, expected: dict) -> None:
    restored, expected = without_commands(restored), without_commands(expected)
    assert sorted(restored) == sorted(expected)
    for name in expected:
        assert restored[name][0] == expected[name][0], f"columns of {name}"
        assert restored[name][1] == expected[name][1], f"rows of {name} differ"


# Scratch databases ------------------------------------------------------------------------


@contextmanager
def scratch_database(source_url: str, tmp_path):
    """A new, empty database of the source's kind; dropped afterwards."""
    url = make_url(source_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"tracker_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, app_config: dict):
    return create_app({**app_config, "DATABASE_URL": url})


@contextmanager
def permissive_umask():
    """A permissive umask, so that a 0600 file proves the mode was asked for."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


OUTPUT = re.compile(r"Backed up .+ to .+: \d+(?:\.\d)? (?:bytes|KiB|MiB|GiB) in \d+\.\d\d s\.")


# Tests ------------------------------------------------------------------------------------


def test_backup_while_writing_restores_identical_rows(app, app_config, database_url,
                                                       therapist, therapist_client, tmp_path):
    counter = build_records(app, therapist, therapist_client)
    writer = Writer(database_url, therapist.id, counter)
    writer.start()
    try:
        writer.wait_for(3)
        path = tmp_path / "practice.backup"
        started_after = writer.committed
        with permissive_umask():
            result = app.test_cli_runner().invoke(args=["backup", str(path)])
        ended_before = writer.committed
    finally:
        writer.finish()
    assert result.exit_code == 0, result.output
    assert OUTPUT.search(result.output), result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial*"))
    assert writer.slowest < 5, f"a write waited {writer.slowest:.1f} s for the backup"
    source = dump(database_url)

    with scratch_database(database_url, tmp_path) as scratch:
        target = app_on(scratch, app_config)
        runner = target.test_cli_runner()
        restored_result = runner.invoke(args=["restore", str(path)])
        assert restored_result.exit_code == 0, restored_result.output
        restored = dump(scratch)
        k = writers_in(restored)[-1] if writers_in(restored) else 0
        assert writers_in(restored) == list(range(1, k + 1)), "writes are missing in between"
        assert started_after <= k <= ended_before, (started_after, k, ended_before)
        assert_identical(restored, as_of(source, k, counter))
        # Where the app keeps an audit trail, its chain verifies on the copy too.
        if "verify-audit" in target.cli.commands:
            verified = runner.invoke(args=["verify-audit"])
            assert verified.exit_code == 0, verified.output
            assert re.search(r"\b[1-9]\d* events verified", verified.output), verified.output

        # A database that holds data is not overwritten without --force.
        with database(target) as db:
            db.add(Patient(therapist_id=therapist.id, display_name="Added after", name_key=""))
            db.commit()
        refused = runner.invoke(args=["restore", str(path)])
        assert refused.exit_code != 0
        assert "not empty" in refused.output and "--force" in refused.output
        assert "Added after" in repr(dump(scratch)["patients"])
        forced = runner.invoke(args=["restore", "--force", str(path)])
        assert forced.exit_code == 0, forced.output
        assert_identical(dump(scratch), as_of(source, k, counter))
        target.extensions["tracker.engine"].dispose()


def test_the_restored_database_serves_the_app(app, app_config, database_url, therapist,
                                              therapist_client, login_as, tmp_path):
    build_records(app, therapist, therapist_client)
    path = tmp_path / "practice.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    with scratch_database(database_url, tmp_path) as scratch:
        target = app_on(scratch, app_config)
        assert target.test_cli_runner().invoke(args=["restore", str(path)]).exit_code == 0
        client = login_as(therapist, client=target.test_client())
        listing = client.get("/patients/").get_data(as_text=True)
        assert "Maya Okafor" in listing and "Ruth Adeyemi" in listing
        pid = int(re.search(r'/patients/(\d+)">Maya Okafor', listing).group(1))
        for page in (f"/patients/{pid}", f"/patients/{pid}/progress",
                     f"/patients/{pid}/brief"):
            assert client.get(page).status_code == 200, page
        assert "Countertransference" in str(client.get(f"/patients/{pid}/export.json",
                                            query_string={"psychotherapy_notes": "1"}).json)
        target.extensions["tracker.engine"].dispose()


def test_backup_never_overwrites_and_restore_refuses_foreign_files(app, database_url,
                                                                  therapist, tmp_path):
    add_patient(app, therapist)
    runner = app.test_cli_runner()
    existing = tmp_path / "existing.backup"
    existing.write_text("keep me")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert existing.read_text() == "keep me"
    missing_folder = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "x.backup")])
    assert missing_folder.exit_code != 0 and "does not exist" in missing_folder.output

    before = dump(database_url)
    for content in (b"", b"not a backup at all", b"PGDMP" if "sqlite" in database_url
                    else b"SQLite format 3\x00"):
        foreign = tmp_path / f"foreign-{len(content)}.backup"
        foreign.write_bytes(content)
        refused = runner.invoke(args=["restore", "--force", str(foreign)])
        assert refused.exit_code != 0, refused.output
        assert "backup" in refused.output
    assert dump(database_url) == before


def test_an_empty_database_is_one_without_rows(database_url, tmp_path):
    with scratch_database(database_url, tmp_path) as scratch:
        assert backup.is_empty(scratch)
        engine = make_engine(scratch)
        from tracker import migrate

        migrate.upgrade(engine)  # `flask init` on a new database: schema, no rows.
        engine.dispose()
        assert backup.is_empty(scratch)


def test_sqlite_backup_in_small_steps_stays_consistent_under_writes(tmp_path, app_config,
                                                                   monkeypatch):
    """Copied a few pages at a time, the copy starts again whenever another connection
    writes between two steps; when writes keep coming it finishes in one read (which blocks
    no writer in WAL mode). Either way the result is one consistent snapshot."""
    from tracker import migrate
    from tracker.auth import services as accounts

    path = tmp_path / "busy.sqlite3"
    url = f"sqlite:///{path}"
    source_app = app_on(url, app_config)
    migrate.upgrade(source_app.extensions["tracker.engine"])
    with database(source_app) as db:
        user = accounts.create_user(db, email="t@example.org", name="T", password="x" * 12)
        db.commit()
    counter = add_patient(source_app, user, COUNTER, record_number="W00000")
    history = add_patient(source_app, user, "History")
    with database(source_app) as db:
        build_history(db, user.id, history, 80)
        db.commit()

    # Besides the writer thread, writes between every two steps (that leave the content as
    # it was: SQLite does not even touch a page when a row is rewritten unchanged).
    toucher = sqlite3.connect(path, isolation_level=None, timeout=10)
    remaining = []
    counting = backup._restart_counter

    def restart_counter():
        inner = counting()

        def progress(status, left, total):
            remaining.append(left)
            if len(remaining) <= 200:  # Bounded: a copy that never gives up still ends.
                toucher.execute("UPDATE users SET name = name || '~'")
                toucher.execute("UPDATE users SET name = substr(name, 1, length(name) - 1)")
            inner(status, left, total)

        return progress

    monkeypatch.setattr(backup, "_restart_counter", restart_counter)
    writer = Writer(url, user.id, counter)
    writer.start()
    try:
        writer.wait_for(3)
        started_after = writer.committed
        outcome = backup.backup(url, tmp_path / "busy.backup", pages_per_step=2)
        ended_before = writer.committed
    finally:
        writer.finish()
        toucher.close()
    # Every step was undone by a write; after MAX_RESTARTS of them, one read finished it.
    assert len(remaining) == backup.MAX_RESTARTS + 2, remaining
    copy = sqlite3.connect(outcome.path)
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    restored = dump(f"sqlite:///{outcome.path}")
    k = writers_in(restored)[-1] if writers_in(restored) else 0
    assert writers_in(restored) == list(range(1, k + 1))
    assert started_after <= k <= ended_before
    assert_identical(restored, as_of(dump(url), k, counter))
    source_app.extensions["tracker.engine"].dispose()


def test_postgres_password_stays_off_command_lines_and_output(monkeypatch, tmp_path):
    url = make_url("postgresql+psycopg://alice:s3cr%27t%20pw@db.example:6543/tracker"
                   "?sslmode=require&connect_timeout=5&unrelated=1")
    conninfo, env = backup.pg_connection(url)
    assert "s3cr" not in conninfo
    assert env["PGPASSWORD"] == "s3cr't pw"
    assert conninfo == ("host='db.example' port='6543' user='alice' dbname='tracker' "
                        "sslmode='require' connect_timeout='5'")
    assert "s3cr" not in backup.describe(url)

    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        raise backup.BackupError("stopped")

    monkeypatch.setattr(backup, "_run", lambda command, env, stdout: fake_run(command))
    with pytest.raises(backup.BackupError):
        backup.backup(url, tmp_path / "x.backup")
    assert calls and not any("s3cr" in part for part in calls[0])
    assert not list(tmp_path.iterdir())  # Nothing left behind.


@pytest.mark.skipif(not os.environ.get("TRACKER_TEST_DATABASE_URL"),
                    reason="PostgreSQL leg only (TRACKER_TEST_DATABASE_URL)")
def test_postgres_backup_with_a_password_in_the_url_never_prints_it(app_config, database_url,
                                                                   therapist, app, tmp_path):
    add_patient(app, therapist)
    url = make_url(database_url).set(password="never-print-me-42")
    target = app_on(url.render_as_string(hide_password=False), app_config)
    result = target.test_cli_runner().invoke(args=["backup", str(tmp_path / "pw.backup")])
    target.extensions["tracker.engine"].dispose()
    assert result.exit_code == 0, result.output
    assert "never-print-me-42" not in result.output
    assert "***" in result.output

    # A failure names its cause, and leaves no file behind.
    missing = url.set(database=f"tracker_missing_{uuid.uuid4().hex[:8]}")
    elsewhere = app_on(missing.render_as_string(hide_password=False), app_config)
    runner = elsewhere.test_cli_runner()
    failed = runner.invoke(args=["backup", str(tmp_path / "missing.backup")])
    assert failed.exit_code != 0 and "pg_dump failed" in failed.output, failed.output
    refused = runner.invoke(args=["restore", str(tmp_path / "pw.backup")])
    assert refused.exit_code != 0 and "Cannot read the configured database" in refused.output
    assert "never-print-me-42" not in failed.output + refused.output
    # (The instance folder holds the audit checkpoint the first backup wrote.)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "instance") == ["pw.backup"]
