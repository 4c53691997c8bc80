"""A save that fails in the database keeps what was typed (issue 15, item 1): two tabs racing
to write the first private note of a session, and any integrity error during a save, give
the page with a conflict copy, never a 500."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from tests.support.database import database
from tests.support.sessions import decide_all, edit_page, save
from tracker.sessions import services
from tracker.sessions.models import PsychotherapyNote, SessionDraft

postgres_only = pytest.mark.skipif(not os.environ.get("TRACKER_TEST_DATABASE_URL"),
                                   reason="PostgreSQL leg only: on SQLite a save holds the "
                                          "write lock from its first read, so it cannot race")


def _two_tabs(practice, second_tab):
    sid = practice.start("preparation", 2)
    _, mine = edit_page(practice.client, sid)
    _, theirs = edit_page(second_tab, sid)
    mine["private_notes"] = "Typed in the first tab."
    theirs["private_notes"] = "Typed in the second tab."
    return sid, decide_all(mine), decide_all(theirs)


def _kept_as_conflict_copy(app, client, sid, response, text):
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{sid}/edit"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your save was not applied" in html
    with database(app) as db:
        [copy] = db.scalars(select(SessionDraft).where(SessionDraft.kind == "conflict")).all()
        assert copy.data["private_notes"] == [text]


@pytest.fixture
def second_tab(login_as, therapist):
    return login_as(therapist)


@postgres_only
def test_two_tabs_writing_the_first_private_note_keep_the_later_as_a_conflict_copy(
        app, practice, second_tab, monkeypatch):
    """The later save had looked for its note before the first committed one: its insert
    then hits the one-note-per-author constraint (it answered 500, its text kept nowhere)."""
    sid, mine, theirs = _two_tabs(practice, second_tab)
    save_note = services._save_private_note
    raced = []

    def first_tab_commits_meanwhile(*args):
        save_note(*args)
        if not raced:
            raced.append("the first tab's save")
            # In a thread of its own: a request inside this one would share its context.
            first = threading.Thread(
                target=lambda: raced.append(save(practice.client, sid, mine).status_code))
            first.start()
            first.join()

    monkeypatch.setattr(services, "_save_private_note", first_tab_commits_meanwhile)
    response = save(second_tab, sid, theirs)

    assert raced == ["the first tab's save", 302]
    _kept_as_conflict_copy(app, second_tab, sid, response, "Typed in the second tab.")
    with database(app) as db:
        [note] = db.scalars(select(PsychotherapyNote)).all()
        assert note.body == "Typed in the first tab."


def test_any_integrity_error_during_a_save_keeps_what_was_typed(app, practice, second_tab,
                                                                monkeypatch):
    sid, _, theirs = _two_tabs(practice, second_tab)
    save_note = services._save_private_note

    def and_a_duplicate(db, session, user, body):
        save_note(db, session, user, body)
        db.add(PsychotherapyNote(session_id=session.id, author_id=user.id, body="twice"))

    monkeypatch.setattr(services, "_save_private_note", and_a_duplicate)
    response = save(second_tab, sid, theirs)

    _kept_as_conflict_copy(app, second_tab, sid, response, "Typed in the second tab.")
    with database(app) as db:
        assert db.scalars(select(PsychotherapyNote)).all() == []
