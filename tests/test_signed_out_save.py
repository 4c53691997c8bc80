"""A Save posted after an idle sign-out (issue 15, item 2): it was redirected to /login and
thrown away. It is kept, encrypted, bound to the login that ended, and brought back once the
same account signs in again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from tests.support.database import database
from tests.support.forms import form_fields, post_form, text_of
from tests.support.sessions import decide_all, edit_page, save
from tests.support.users import TEST_PASSWORD
from tracker.audit.models import AuditEvent
from tracker.auth.models import LoginSession
from tracker.db import utcnow
from tracker.sessions.models import SessionDraft, TherapySession


def _idle_for(app, minutes: int) -> None:
    """Every login of the test last used `minutes` ago."""
    with database(app) as db:
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(
            minutes=minutes)))
        db.commit()


@pytest.fixture
def typed(app, practice):
    """A session page with a summary and a private note typed, left open past the idle
    limit."""
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form.update(summary="Typed before the break.", private_notes="Private, typed too.")
    _idle_for(app, app.config["SESSION_IDLE_MINUTES"] + 1)
    return sid, decide_all(form)


def _drafts(app):
    with database(app) as db:
        return db.scalars(select(SessionDraft)).all()


def test_a_save_after_an_idle_sign_out_is_kept_and_restored_after_signing_in(
        app, practice, therapist, typed):
    sid, form = typed
    response = save(practice.client, sid, form)

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    login_page = practice.client.get("/login").get_data(as_text=True)
    assert "your save was not applied. What you sent is kept" in text_of(login_page)
    with database(app) as db:
        assert db.get(TherapySession, sid).summary == ""
        [copy] = db.scalars(select(SessionDraft)).all()
        login = db.scalar(select(LoginSession))
        assert (copy.kind, copy.ended_login_id, login.ended_reason) == ("conflict", login.id,
                                                                        "idle")
        assert copy.data["summary"] == ["Typed before the break."]
        raw = db.execute(text("SELECT data FROM session_drafts")).scalar_one()
        assert raw.startswith("v2:") and "Typed before" not in raw  # Encrypted.
        event = db.scalars(select(AuditEvent).where(
            AuditEvent.action == "signed_out_save_kept")).one()
        assert (event.actor_id, event.record_id) == (therapist.id, sid)

    signed_in = post_form(practice.client, "/login", {"email": therapist.email,
                                                      "password": TEST_PASSWORD})
    assert signed_in.headers["Location"] == f"/sessions/{sid}/edit?draft={copy.id}"
    page = practice.client.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert "You had been signed out for inactivity when you saved this session" in page
    restored = form_fields(page, form_id="session-form")
    assert restored["summary"] == "Typed before the break."
    assert restored["private_notes"] == "Private, typed too."
    assert save(practice.client, sid, restored).status_code == 302
    with database(app) as db:
        assert db.get(TherapySession, sid).summary == "Typed before the break."
    assert _drafts(app) == []  # Reconciled.
    # Told once: the next sign-in goes where it always did.
    assert post_form(app.test_client(), "/login", {"email": therapist.email,
                                                   "password": TEST_PASSWORD}
                     ).headers["Location"] == "/patients/"


def test_another_account_signing_in_on_that_browser_is_not_given_it(
        app, practice, make_user, typed):
    sid, form = typed
    save(practice.client, sid, form)
    colleague = make_user(email="colleague@example.org", name="A Colleague")

    response = post_form(practice.client, "/login", {"email": colleague.email,
                                                     "password": TEST_PASSWORD})

    assert response.headers["Location"] == "/patients/"
    with database(app) as db:
        assert db.scalar(select(SessionDraft.ended_login_id)) is not None  # Still waiting.


def test_a_save_from_a_page_signed_out_on_purpose_keeps_nothing(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    logout = form_fields(practice.client.get("/patients/").get_data(as_text=True),
                         action="/logout")
    practice.client.post("/logout", data=logout)
    # (The stale page still holds the old token; the cookie of the ended login is gone.)
    response = save(practice.client, sid, decide_all({**form, "summary": "After logout."}))
    assert response.status_code in (302, 400)
    assert _drafts(app) == []


def test_a_post_without_the_pages_token_keeps_nothing(app, practice, typed):
    sid, form = typed
    response = save(practice.client, sid, {**form, "csrf_token": "forged"})
    assert response.status_code == 400
    with database(app) as db:
        assert db.scalar(select(func.count()).select_from(SessionDraft)) == 0


def test_a_login_past_its_lifetime_long_ago_keeps_nothing(app, practice, typed):
    sid, form = typed
    _idle_for(app, app.config["SESSION_LIFETIME_HOURS"] * 60 + 1)
    response = save(practice.client, sid, form)
    assert response.status_code == 302
    assert _drafts(app) == []
