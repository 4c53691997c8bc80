"""SQLite's write lock held past the busy timeout (issue 15, item 4): a page view still
answers, its audit event waits in the queue and reaches the chain later, exactly once, even
across kill -9; a change answers a "busy, try again" page that keeps what was posted."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.support.browser import Browser
from tests.support.database import database
from tests.support.forms import form_fields, text_of
from tests.support.patients import add_patient
from tests.support.server import SECRETS, kill_all, killable, server_environment
from tests.support.sessions import decide_all, edit_page, save
from tests.support.users import TEST_PASSWORD
from tracker.audit import appending, chain, queue
from tracker.audit.models import AuditEvent
from tracker.auth.models import LoginSession
from tracker.db import utcnow
from tracker.sessions.models import TherapySession

pytestmark = pytest.mark.skipif(bool(os.environ.get("TRACKER_TEST_DATABASE_URL")),
                                reason="SQLite's write lock (PostgreSQL has no such lock)")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SQLITE_BUSY_TIMEOUT_MS": 100}


@contextmanager
def write_lock_held(database_url: str):
    """Another writer holding SQLite's write lock (a long transaction of another process)."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _views(app, patient_id: int) -> int:
    with database(app) as db:
        return db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "view patients.show", AuditEvent.patient_id == patient_id))


def _chain_verifies(app, key: str | None = None) -> bool:
    with database(app) as db:
        return chain.verify(db, (key or app.config["AUDIT_KEY"]).encode()).ok


def test_a_page_view_answers_while_the_lock_is_held_and_its_event_follows(
        app, database_url, therapist, therapist_client):
    patient = add_patient(app, therapist)
    with write_lock_held(database_url):
        response = therapist_client.get(f"/patients/{patient}")  # It answered 500.
        assert response.status_code == 200
        assert "Maya Okafor" in response.get_data(as_text=True)
        [waiting] = list(queue.folder(app).glob("*.json"))
        assert oct(waiting.stat().st_mode & 0o777) == "0o600"
        assert "Maya" not in waiting.read_text()  # Ids only.
    assert _views(app, patient) == 0

    assert therapist_client.get(f"/patients/{patient}").status_code == 200

    assert _views(app, patient) == 2  # The queued one, then this one.
    assert list(queue.folder(app).iterdir()) == []
    assert _chain_verifies(app)


def test_a_login_due_its_touch_is_not_refused_by_the_lock(app, database_url, therapist,
                                                          therapist_client):
    patient = add_patient(app, therapist)
    with database(app) as db:
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=1)))
        db.commit()
    with write_lock_held(database_url):
        assert therapist_client.get(f"/patients/{patient}").status_code == 200


def test_a_save_refused_by_the_lock_answers_busy_and_keeps_what_was_posted(
        app, database_url, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form.update(summary='Typed while busy: "quoted" <b>and</b> kept.',
                private_notes="Line one.\nLine two.")
    with write_lock_held(database_url):
        response = save(practice.client, sid, decide_all(form))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "The database is busy" in page and "nothing was saved" in text_of(page)
    kept = form_fields(page, action=f"/sessions/{sid}/edit")
    assert kept["summary"] == 'Typed while busy: "quoted" <b>and</b> kept.'
    assert kept["private_notes"] == "Line one.\nLine two."
    with database(app) as db:
        assert db.get(TherapySession, sid).summary == ""

    again = practice.client.post(f"/sessions/{sid}/edit", data=kept)  # "Try again".
    assert again.status_code == 302
    with database(app) as db:
        assert db.get(TherapySession, sid).summary == kept["summary"]


def test_a_busy_sign_in_page_does_not_write_the_password_back(app, database_url, therapist):
    client = app.test_client()
    token = form_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    with write_lock_held(database_url):
        response = client.post("/login", data={"csrf_token": token, "email": therapist.email,
                                               "password": TEST_PASSWORD})
    assert response.status_code == 503
    assert TEST_PASSWORD not in response.get_data(as_text=True)


def test_a_crash_after_the_drain_committed_never_writes_an_event_twice(
        app, database_url, therapist, therapist_client):
    """kill -9 between the commit that wrote the queued events and the removal of their
    files: the files are still there, with ids already in the chain."""
    patient = add_patient(app, therapist)
    with write_lock_held(database_url):
        for _ in range(3):
            assert therapist_client.get(f"/patients/{patient}").status_code == 200
    with app.test_request_context(), Session(bind=app.extensions["tracker.engine"]) as db:
        assert queue.drain(db, app, appending.append_all) == 3
        db.commit()  # ... and the process dies here: queue.forget(db) never runs.
    assert len(list(queue.folder(app).glob("*.json"))) == 3

    assert therapist_client.get(f"/patients/{patient}").status_code == 200

    assert _views(app, patient) == 4
    assert list(queue.folder(app).iterdir()) == []
    assert _chain_verifies(app)


def test_events_queued_by_a_server_killed_with_sigkill_reach_the_chain_once(
        app, database_url, therapist):
    patient = add_patient(app, therapist)
    with tempfile.TemporaryDirectory() as instance:
        env = server_environment(instance, database_url, SESSION_COOKIE_SECURE="false",
                                 SQLITE_BUSY_TIMEOUT_MS="100")
        with killable(env) as (base, process):
            browser = Browser(base)
            assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
            with write_lock_held(database_url):
                statuses = [browser.request(f"/patients/{patient}")[0] for _ in range(5)]
            assert statuses == [200] * 5
            kill_all(process)
        assert _views(app, patient) == 0
        # The restarted server writes each view at once (no batch to wait for), so that the
        # page below writes what the killed one left, whichever worker serves it.
        with killable({**env, "TRACKER_AUDIT_VIEW_BATCH": "1"}) as (base, _):
            browser = Browser(base)
            assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
            assert browser.request(f"/patients/{patient}")[0] == 200  # Its write drains.
        assert len(os.listdir(os.path.join(instance, queue.FOLDER))) == 0
    assert _views(app, patient) == 6
    assert _chain_verifies(app, json.loads(SECRETS["TRACKER_AUDIT_KEY"]))

