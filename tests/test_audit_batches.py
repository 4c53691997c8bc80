"""Page views' audit events written in batches (tracker/audit/apart.py, issue 17): no write
lock, no fsync and a fraction of a statement per view; each event in the chain once, even
across kill -9; readers of the trail see every view; a change still commits its event in
its own transaction, fully synced."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading

import pytest
from sqlalchemy import event, func, select

from tests.support.browser import Browser
from tests.support.database import database
from tests.support.forms import post_form
from tests.support.patients import add_patient
from tests.support.queries import AUDIT, CONTROL, audit_statements, data_statements
from tests.support.server import SECRETS, kill_all, killable, server_environment
from tests.support.users import TEST_PASSWORD
from tracker.audit import apart, chain, hooks, queue
from tracker.audit.models import AuditEvent

VIEWS = 20


@pytest.fixture
def app_config(app_config):
    """The production batch (config.py), with a time limit no test run reaches."""
    config = {name: value for name, value in app_config.items() if name != "AUDIT_VIEW_BATCH"}
    return {**config, "AUDIT_VIEW_SECONDS": 3600}


def _events(app, action: str | None = None) -> int:
    with database(app) as db:
        query = select(func.count()).select_from(AuditEvent)
        if action:
            query = query.where(AuditEvent.action == action)
        return db.scalar(query)


def _waiting(app) -> int:
    folder = queue.folder(app)
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


def _write_waiting(app) -> None:
    """What waits (the sign-in's events), written: nothing waits, and this worker's next
    view is not due."""
    with app.test_request_context():
        apart.flush()


def _transactions(statements: list[str]) -> list[list[str]]:
    """The statements, one list per transaction (split at each BEGIN)."""
    found: list[list[str]] = []
    for statement in statements:
        if re.match(r"\s*BEGIN\b", statement, re.IGNORECASE) or not found:
            found.append([])
        found[-1].append(statement)
    return found


def _pages(app, therapist) -> list[str]:
    patients = [add_patient(app, therapist, f"Batch Patient {n}") for n in range(3)]
    return [f"/patients/{patients[n % 3]}" for n in range(VIEWS - 5)] + ["/patients/"] * 5


def test_page_views_cost_under_two_audit_statements_and_no_transaction_of_their_own(
        app, therapist, therapist_client, count_queries):
    pages = _pages(app, therapist)
    _write_waiting(app)
    with count_queries() as statements:
        for page in pages:
            assert therapist_client.get(page).status_code == 200
    audit = audit_statements(statements)
    # One batch of 20: the head read and update, the queue ids looked up, one insert of the
    # events and one of the list pages' subjects. Each view wrote them one by one, in a
    # transaction (and an fsync) of its own: 3 or 4 statements, 3.2 a view here.
    assert len(audit) <= 5 < 2 * VIEWS
    assert len(audit) / VIEWS <= 0.25
    writing = [each for each in _transactions(statements) if audit_statements(each)]
    assert len(writing) == 1  # One transaction (one fsync) for the 20 views.
    assert _events(app, "view patients.show") == VIEWS - 5
    assert _events(app, "view patients.index") == 5
    assert _waiting(app) == 0


def test_a_view_below_the_batch_waits_in_the_queue_and_the_access_history_shows_it(
        app, therapist, therapist_client, count_queries):
    patient = add_patient(app, therapist)
    _write_waiting(app)
    with count_queries() as statements:
        for _ in range(3):
            assert therapist_client.get(f"/patients/{patient}").status_code == 200
    assert audit_statements(statements) == []  # Neither written nor locked: queued.
    assert _waiting(app) == 3 and _events(app, "view patients.show") == 0

    page = therapist_client.get(f"/patients/{patient}/access-history")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('title="view patients.show"') == 3
    assert _waiting(app) == 1  # The access-history page's own view, queued in its turn.


def test_verify_audit_and_the_checkpoint_write_what_waits_first(app, therapist,
                                                                therapist_client):
    patient = add_patient(app, therapist)
    _write_waiting(app)
    for _ in range(4):
        therapist_client.get(f"/patients/{patient}")
    assert _waiting(app) == 4
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert _waiting(app) == 0
    assert f"{_events(app)} events verified" in result.output
    assert _events(app, "view patients.show") == 4


def test_views_older_than_the_time_limit_are_written_by_the_next_page(
        app, therapist, therapist_client, monkeypatch):
    app.config["AUDIT_VIEW_SECONDS"] = 5
    clock = [1000.0]
    monkeypatch.setattr(apart.time, "monotonic", lambda: clock[0])
    patient = add_patient(app, therapist)
    _write_waiting(app)
    therapist_client.get(f"/patients/{patient}")
    clock[0] += 4.9
    therapist_client.get(f"/patients/{patient}")
    assert _waiting(app) == 2
    clock[0] += 0.1  # The oldest has waited 5 s: the next view writes them all.
    therapist_client.get(f"/patients/{patient}")
    assert _waiting(app) == 0 and _events(app, "view patients.show") == 3

    therapist_client.get(f"/patients/{patient}")
    clock[0] += 5  # And so does the next page of any kind.
    assert therapist_client.get("/account/time-zone").status_code == 200
    assert _waiting(app) == 0 and _events(app, "view patients.show") == 4


def test_a_crash_after_a_batch_committed_never_writes_it_twice(
        app, therapist, therapist_client, monkeypatch):
    """kill -9 between the commit of a batch and the removal of its files."""
    patient = add_patient(app, therapist)
    _write_waiting(app)
    for _ in range(3):
        therapist_client.get(f"/patients/{patient}")
    with app.test_request_context(), monkeypatch.context() as crash:
        crash.setattr(queue, "forget", lambda db: None)  # The process dies after the commit.
        assert apart.flush() == 3
    assert _waiting(app) == 3 and _events(app, "view patients.show") == 3
    with app.test_request_context():
        assert apart.flush() == 0  # They are in the chain: removed, not written again.
    assert _waiting(app) == 0 and _events(app, "view patients.show") == 3
    with database(app) as db:
        assert chain.verify(db, app.config["AUDIT_KEY"].encode()).ok


def test_two_drains_at_once_write_each_event_once(app, therapist, therapist_client):
    patient = add_patient(app, therapist)
    _write_waiting(app)
    for _ in range(12):
        therapist_client.get(f"/patients/{patient}")
    written, start = [], threading.Barrier(2)

    def drain():
        with app.test_request_context():
            start.wait()
            written.append(apart.flush())

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(written) == 12
    assert _events(app, "view patients.show") == 12 and _waiting(app) == 0


def test_a_view_whose_queue_cannot_be_written_is_written_at_once(
        app, therapist, therapist_client):
    patient = add_patient(app, therapist)
    _write_waiting(app)
    folder = queue.folder(app)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("")  # A file where the folder should be: mkdir fails.
    assert therapist_client.get(f"/patients/{patient}").status_code == 200
    assert _events(app, "view patients.show") == 1


def test_exports_and_prints_are_written_at_once(app, therapist, therapist_client):
    patient = add_patient(app, therapist)
    _write_waiting(app)
    for path in (f"/patients/{patient}/export.json", f"/patients/{patient}/progress/print"):
        assert therapist_client.get(path).status_code == 200
    assert _events(app, "export") == 1 and _events(app, "print") == 1
    assert _waiting(app) == 0


def test_the_audit_of_a_view_adds_no_data_statement(app, practice, count_queries,
                                                    monkeypatch):
    """The view's event is made from what the page loaded: not the session's patient again,
    nor the signed-in account (its row expired by the end of the request's transaction)."""
    app.config["AUDIT_VIEW_BATCH"] = 1  # Each view's event in the chain at once.
    session_id = practice.start("preparation", 2)
    written = []
    original = hooks._write_views

    def watched(endpoint):
        start = len(statements)
        result = original(endpoint)
        written.append(statements[start:])
        return result

    monkeypatch.setattr(hooks, "_write_views", watched)
    for url in (f"/sessions/{session_id}", f"/patients/{practice.patient}"):
        with count_queries() as statements:
            assert practice.client.get(url).status_code == 200
    assert len(written) == 2
    assert [data_statements(each) for each in written] == [[], []]
    with database(app) as db:
        viewed = db.scalars(select(AuditEvent).where(AuditEvent.action.startswith(
            "view sessions.")).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (viewed.patient_id, viewed.record_id) == (practice.patient, session_id)


def test_a_change_commits_its_event_in_its_own_fully_synced_transaction(
        app, therapist, therapist_client, count_queries):
    """After page views were written in batches, a change (a new patient) and its event are
    still one transaction, committed with SQLite's synchronous=FULL (PostgreSQL:
    synchronous_commit on)."""
    patient = add_patient(app, therapist)
    _write_waiting(app)
    for _ in range(VIEWS):
        therapist_client.get(f"/patients/{patient}")
    engine = app.extensions["tracker.engine"]
    settings = []

    def sync_setting(conn, cursor, statement, *args):
        if AUDIT.search(statement) and statement.lstrip().upper().startswith("INSERT"):
            probe = conn.connection.dbapi_connection.cursor()
            probe.execute("SHOW synchronous_commit" if engine.dialect.name == "postgresql"
                          else "PRAGMA synchronous")
            settings.append(probe.fetchone()[0])
            probe.close()

    event.listen(engine, "before_cursor_execute", sync_setting)
    try:
        with count_queries() as statements:
            response = post_form(therapist_client, "/patients/new",
                                 {"display_name": "Changed Patient",
                                  "treatment_intentions": ""})
    finally:
        event.remove(engine, "before_cursor_execute", sync_setting)
    assert response.status_code == 302
    [together] = [each for each in _transactions(statements) if audit_statements(each)]
    assert any(re.match(r"\s*INSERT INTO patients\b", s) for s in together)
    assert not any(CONTROL.match(s) and "COMMIT" in s.upper() for s in together[:-1])
    assert settings == ["on" if engine.dialect.name == "postgresql" else 2]


@pytest.mark.skipif(bool(os.environ.get("TRACKER_TEST_DATABASE_URL")),
                    reason="one served SQLite database is enough for kill -9")
def test_views_waiting_in_the_queue_survive_kill_9_and_reach_the_chain_once(
        app, database_url, therapist):
    """The files of page views are not fsynced: kill -9 of the app (master and workers)
    leaves them in the operating system's cache, and the restarted server writes them."""
    patient = add_patient(app, therapist)
    with tempfile.TemporaryDirectory() as instance:
        env = server_environment(instance, database_url, SESSION_COOKIE_SECURE="false")
        with killable(env, workers=1) as (base, process):
            browser = Browser(base)
            assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
            assert [browser.request(f"/patients/{patient}")[0] for _ in range(6)] == [200] * 6
            kill_all(process)
        # Below the batch: the 6 wait, in files only (the sign-in page wrote its own).
        assert len(os.listdir(os.path.join(instance, queue.FOLDER))) == 6
        assert _events(app, "view patients.show") == 0
        with killable(env, workers=1) as (base, _):
            browser = Browser(base)
            # The restarted worker's first request (the sign-in page) writes them.
            assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
            assert _events(app, "view patients.show") == 6
            assert browser.request(f"/patients/{patient}")[0] == 200
        assert len(os.listdir(os.path.join(instance, queue.FOLDER))) == 1  # Its turn next.
    assert _events(app, "view patients.show") == 6
    with database(app) as db:
        assert chain.verify(db, json.loads(SECRETS["TRACKER_AUDIT_KEY"]).encode()).ok
