"""A session's life through its pages: signing, addenda, two editors on one draft, autosave
across an idle logout, private psychotherapy notes, and dosing details with their checks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from tests.support.courses import db_course
from tests.support.database import count, database
from tests.support.forms import csrf_token, field_errors, form_fields, post_with_token, text_of
from tests.support.patients import add_patient
from tests.support.sessions import (
    carried_ids,
    db_session,
    decide,
    decide_all,
    edit_page,
    load_session,
    save,
    save_page,
    sign,
)
from tracker.auth.models import LoginSession
from tracker.db import utcnow
from tracker.dosing.models import DosingRecord, VitalSigns
from tracker.export.session_record import content_hash, session_record_options
from tracker.sessions import services as notes
from tracker.sessions.models import Addendum, PsychotherapyNote, SessionDraft, TherapySession
from tracker.threads.carry import Carry
from tracker.threads.models import Strategy, Theme


def _session(app, session_id) -> TherapySession:
    with database(app) as db:
        return db.get(TherapySession, session_id)


def _flashes(html: str) -> str:
    match = re.search(r'<div class="flashes">(.*?)</div>\s*</div>', html, re.S)
    return text_of(match.group(1)) if match else ""


def _with_strategy(practice) -> tuple[int, int]:
    """A preparation session that adds a strategy, and an integration session after it."""
    first = practice.start("preparation", 2)
    save_page(practice.client, first, summary="Preparation.", **{
        "new_strategies-0-description": "Walk by the river",
        "new_strategies-0-target_per_week": 5})
    return first, practice.start("integration", 9)


# Signing ---------------------------------------------------------------------------------


def test_signing_is_refused_without_a_summary(app, practice):
    sid = practice.start("preparation", 2)
    save_page(practice.client, sid)  # Saved, but no summary.

    show = practice.client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Write a summary for the progress note." in text_of(show)
    assert f'action="/sessions/{sid}/sign"' not in show  # No sign button yet.
    response = post_with_token(practice.client, f"/sessions/{sid}/sign",
                               {"version": _session(app, sid).version})

    assert response.status_code == 302
    page = practice.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Write a summary for the progress note." in _flashes(page)
    session = _session(app, sid)
    assert (session.status, session.signed_at, session.content_hash) == ("draft", None, None)


def test_signing_is_refused_while_a_carried_item_has_no_decision(app, practice):
    client = practice.client
    first = practice.start("preparation", 2)
    save_page(client, first, summary="Preparation.")
    second = practice.start("integration", 9)
    save_page(client, second, summary="Integration, nothing open yet.")
    # The preparation session, still a draft, gets a strategy: the integration session after
    # it must now review it before it can be signed.
    save_page(client, first, **{"new_strategies-0-description": "Walk by the river",
                                "new_strategies-0-target_per_week": 5})

    show = client.get(f"/sessions/{second}").get_data(as_text=True)
    assert "1 carried item(s) still need a decision." in text_of(show)
    response = post_with_token(client, f"/sessions/{second}/sign",
                               {"version": _session(app, second).version})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 carried item(s) still need a decision." in _flashes(page)
    assert _session(app, second).status == "draft"

    save_page(client, second)  # Decide, then it signs.
    assert sign(client, second).status_code == 302
    assert _session(app, second).status == "signed"


def test_signing_stores_who_when_and_the_content_hash(app, practice, therapist):
    client = practice.client
    _, second = _with_strategy(practice)
    save_page(client, second, summary="The walk helps.", intention="Be gentle",
              private_notes="Private process note.")
    before = utcnow()

    response = sign(client, second)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{second}"
    page = client.get(f"/sessions/{second}").get_data(as_text=True)
    assert "Signed and locked." in _flashes(page)
    with database(app) as db:
        session = db.scalars(select(TherapySession).where(TherapySession.id == second)
                             .options(*session_record_options())).one()
        assert session.status == "signed"
        assert session.signed_by_id == therapist.id
        assert before - timedelta(seconds=1) <= session.signed_at <= utcnow()
        assert session.content_hash == content_hash(session)
        assert len(session.content_hash) == 64
        hash_value = session.content_hash
    assert f"Signed by {therapist.name} on" in text_of(page)
    assert hash_value[:16] in page


def test_a_dosing_session_signs_with_a_hash_that_matches_after_reloading(app, practice):
    """The hash is computed from values typed into the form (decimals) and must match the
    same record read back from the database."""
    sid = practice.start("dosing", 9)
    save_page(practice.client, sid, summary="Dose 1, calm.", **{
        "dosing-dose_mg": "35.5", "dosing-weight_kg": "70.5",
        "dosing-boosters-0-dose_mg": "15", "dosing-boosters-0-given_at": "10:40",
        "dosing-baseline-systolic": "128", "dosing-baseline-diastolic": "82"})
    assert sign(practice.client, sid).status_code == 302
    with database(app) as db:
        session = db.scalars(select(TherapySession).where(TherapySession.id == sid)
                             .options(*session_record_options())).one()
        assert session.status == "signed"
        assert session.content_hash == content_hash(session)


def test_a_signed_session_is_locked(app, practice):
    client = practice.client
    _, second = _with_strategy(practice)
    _, stale_form = edit_page(client, second)
    decide_all(stale_form)
    save_page(client, second, summary="Signed text.")
    assert sign(client, second).status_code == 302
    signed = _session(app, second)

    # The edit page sends the reader to the session page.
    response = client.get(f"/sessions/{second}/edit")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{second}"
    # Saving, autosaving and removing items are refused.
    stale_form.update(summary="Changed after signing.", version=str(signed.version))
    response = save(client, second, stale_form)
    assert response.status_code == 302 and response.headers["Location"] == f"/sessions/{second}"
    autosave = client.post(f"/sessions/{second}/autosave", data=stale_form)
    assert autosave.status_code == 409
    assert autosave.get_json()["status"] == "locked"
    # Signing again changes nothing.
    response = post_with_token(client, f"/sessions/{second}/sign", {"version": signed.version})
    assert "already signed" in _flashes(client.get(response.headers["Location"]).get_data(
        as_text=True))

    after = _session(app, second)
    assert (after.summary, after.version, after.signed_at, after.content_hash,
            after.signed_by_id) == ("Signed text.", signed.version, signed.signed_at,
                                    signed.content_hash, signed.signed_by_id)
    with database(app) as db:
        assert count(db, SessionDraft, SessionDraft.session_id == second) == 0


def test_addenda_only_on_signed_sessions_dated_attributed_and_beside_the_original(
        app, practice, therapist):
    client = practice.client
    sid = practice.start("preparation", 2)
    save_page(client, sid, summary="Original summary.")

    response = post_with_token(client, f"/sessions/{sid}/addenda", {"body": "Too early."})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Addenda are for signed sessions" in _flashes(page)
    with database(app) as db:
        assert count(db, Addendum) == 0

    assert sign(client, sid).status_code == 302
    signed = _session(app, sid)
    show = client.get(f"/sessions/{sid}").get_data(as_text=True)
    form = form_fields(show, action=f"/sessions/{sid}/addenda")
    # An empty addendum is refused.
    response = client.post(f"/sessions/{sid}/addenda", data={**form, "body": ""})
    assert response.status_code == 200
    with database(app) as db:
        assert count(db, Addendum) == 0
    for body in ("Correction: the dose was given at 10:05.", "Second addendum."):
        response = client.post(f"/sessions/{sid}/addenda", data={**form, "body": body})
        assert response.status_code == 302

    with database(app) as db:
        addenda = db.scalars(select(Addendum).order_by(Addendum.id)).all()
        assert [a.body for a in addenda] == ["Correction: the dose was given at 10:05.",
                                             "Second addendum."]
        assert {a.author_id for a in addenda} == {therapist.id}
        assert all(utcnow() - a.created_at < timedelta(minutes=1) for a in addenda)
        session = db.scalars(select(TherapySession).where(TherapySession.id == sid)
                             .options(*session_record_options())).one()
        # The original is untouched and its signature still verifies.
        assert (session.summary, session.content_hash) == ("Original summary.",
                                                           signed.content_hash)
        assert content_hash(session) == signed.content_hash
        stamp = addenda[0].created_at.strftime("%d %b %Y %H:%M")
    page = text_of(client.get(f"/sessions/{sid}").get_data(as_text=True))
    assert f"{stamp} UTC · {therapist.name} Correction: the dose was given at 10:05." in page
    assert "Original summary." in page


# Two editors, one draft --------------------------------------------------------------------


@pytest.fixture
def second_tab(login_as, therapist):
    """The same therapist signed in a second time (another browser, or a colleague's)."""
    return login_as(therapist)


def test_the_later_of_two_saves_is_refused_and_kept_as_a_conflict_copy(app, practice,
                                                                        second_tab):
    first_tab = practice.client
    _, sid = _with_strategy(practice)
    _, mine = edit_page(first_tab, sid)
    _, theirs = edit_page(second_tab, sid)
    decide_all(mine)
    decide_all(theirs, strategies="pause")
    mine["summary"] = "Summary typed in the first tab."
    theirs["summary"] = "Summary typed in the second tab."

    assert save(first_tab, sid, mine).status_code == 302
    response = save(second_tab, sid, theirs)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{sid}/edit"
    html = second_tab.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone saved this session after you opened it, so your save was not applied." \
        in _flashes(html)
    assert "A version you typed was not saved" in html
    assert "Summary typed in the second tab." in text_of(html)
    assert "Load my version into the form" in html
    # The form shows the saved version.
    assert form_fields(html, form_id="session-form")["summary"] == \
        "Summary typed in the first tab."
    session = _session(app, sid)
    assert session.summary == "Summary typed in the first tab."
    with database(app) as db:
        [copy] = db.scalars(select(SessionDraft).where(SessionDraft.kind == "conflict")).all()
        assert copy.data["summary"] == ["Summary typed in the second tab."]
        assert db.scalar(select(Strategy)).status == "active"  # The first tab's "continue".
    # The copy belongs to the therapist, not to the tab: the first tab lists it too.
    assert "Load my version" in first_tab.get(f"/sessions/{sid}/edit").get_data(as_text=True)


def test_a_conflict_copy_can_be_loaded_and_saved(app, practice, second_tab):
    first_tab = practice.client
    _, sid = _with_strategy(practice)
    _, mine = edit_page(first_tab, sid)
    _, theirs = edit_page(second_tab, sid)
    save(first_tab, sid, decide_all({**mine, "summary": "First tab."}))
    save(second_tab, sid, decide_all({**theirs, "summary": "Second tab."}, strategies="pause"))

    html = second_tab.get(f"/sessions/{sid}/edit").get_data(as_text=True)
    link = re.search(r'href="([^"]*\?draft=\d+)"', html).group(1)
    loaded = second_tab.get(link).get_data(as_text=True)
    assert "is loaded into the form" in loaded
    form = form_fields(loaded, form_id="session-form")
    assert form["summary"] == "Second tab."
    response = save(second_tab, sid, form)

    assert response.status_code == 302
    assert "Session saved." in _flashes(second_tab.get(response.headers["Location"]).get_data(
        as_text=True))
    assert _session(app, sid).summary == "Second tab."
    with database(app) as db:
        assert db.scalar(select(Strategy)).status == "paused"
        # Reconciled: the refused copy is gone, and so are the autosaved ones it superseded.
        assert db.scalars(select(SessionDraft)).all() == []
    assert "was not saved" not in second_tab.get(f"/sessions/{sid}/edit").get_data(as_text=True)


def test_a_save_racing_past_the_version_check_fails_on_the_version_column(app, db, therapist):
    """Two requests that both read version 1 before either committed: the database update of
    the second matches no row (version_id_col), so it cannot overwrite the first."""
    patient_id = add_patient(app, therapist)
    course = db_course(db, patient_id)
    sid = db_session(db, therapist.id, course, "preparation", datetime(2026, 3, 2, 10)).id
    db.commit()
    db.expunge_all()
    late = load_session(db, sid)  # Read by the slower request...
    read_version = late.version
    db.commit()  # (its transaction's read part is over; the object keeps version 1)

    with app.app_context():  # ... while the faster request saves and commits.
        from tracker.db import get_db

        other = get_db()
        fast = load_session(other, sid)
        notes.save_session(other, other.get(type(therapist), therapist.id), fast, Carry(),
                           _input(fast.version, "Fast."))
        other.commit()

    from sqlalchemy.orm.exc import StaleDataError

    with pytest.raises(StaleDataError):
        notes.save_session(db, db.get(type(therapist), therapist.id), late, Carry(),
                           _input(late.version, "Slow."))
        db.flush()
    db.rollback()
    db.expunge_all()
    saved = db.get(TherapySession, sid)
    assert saved.summary == "Fast." and saved.version > read_version


def _input(version, summary):
    return notes.SessionInput(
        version=version, starts_at=datetime(2026, 3, 2, 10), duration_minutes=50,
        follows_dosing_id=None, intention="", summary=summary, private_notes="", dosing=None,
        strategies={}, beliefs={}, themes={}, new_themes=[], new_beliefs=[], new_strategies=[])


def test_signing_from_a_page_opened_before_a_save_is_refused(app, practice, second_tab):
    sid = practice.start("preparation", 2)
    save_page(practice.client, sid, summary="Ready.")
    stale = form_fields(practice.client.get(f"/sessions/{sid}").get_data(as_text=True),
                        action=f"/sessions/{sid}/sign")
    save_page(second_tab, sid, summary="Changed in the other tab.")

    response = practice.client.post(f"/sessions/{sid}/sign", data=stale)

    page = practice.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The session changed since you opened it" in _flashes(page)
    assert _session(app, sid).status == "draft"


# Autosave and idle logout ------------------------------------------------------------------


def test_autosaved_typing_survives_an_idle_logout(app, practice, login_as, therapist):
    client = practice.client
    sid = practice.start("preparation", 2)
    html, form = edit_page(client, sid)
    assert 'data-idle-seconds="900"' in html and 'id="idle-warning"' in html
    form["summary"] = "A long note, typed for twenty minutes."
    form["private_notes"] = "Private thoughts typed too."

    response = client.post(f"/sessions/{sid}/autosave", data=form)

    assert response.status_code == 200
    assert response.get_json()["status"] == "saved"
    assert _session(app, sid).summary == ""  # Kept apart from the saved record.

    with database(app) as db:  # Sixteen minutes without a request.
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=16)))
        db.commit()
    response = client.get(f"/sessions/{sid}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")

    login_as(therapist, client=client)
    html, form = edit_page(client, sid)
    assert "Unsaved typing from" in html and "was restored. Save to keep it." in html
    assert form["summary"] == "A long note, typed for twenty minutes."
    assert form["private_notes"] == "Private thoughts typed too."
    assert save(client, sid, form).status_code == 302
    assert _session(app, sid).summary == "A long note, typed for twenty minutes."
    _, form = edit_page(client, sid)
    assert form["summary"] == "A long note, typed for twenty minutes."


def test_autosave_needs_the_csrf_token_and_an_editor_id(app, practice):
    client = practice.client
    sid = practice.start("preparation", 2)
    _, form = edit_page(client, sid)
    without_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post(f"/sessions/{sid}/autosave", data=without_token).status_code == 400
    response = client.post(f"/sessions/{sid}/autosave", data={**form, "editor_id": "x"})
    assert response.status_code == 400
    with database(app) as db:
        assert count(db, SessionDraft) == 0


def test_a_form_with_errors_is_kept_as_typed(app, practice):
    """Leaving a page whose save was refused for an error loses nothing either."""
    client = practice.client
    _, sid = _with_strategy(practice)
    _, form = edit_page(client, sid)
    decide_all(form)
    form.update({"summary": "Typed, but the walk was practised 900 times.",
                 "strategies-0-times_practised": "900"})
    assert save(client, sid, form).status_code == 200

    html, form = edit_page(client, sid)
    assert form["summary"] == "Typed, but the walk was practised 900 times."
    assert _session(app, sid).summary == ""


# Private psychotherapy notes -----------------------------------------------------------------

PRIVATE = "Transference: I felt like her father tonight."


def test_private_notes_are_stored_apart_and_exported_only_on_request(app, practice, therapist):
    client = practice.client
    sid = practice.start("integration", 9)
    save_page(client, sid, summary="Progress note.", private_notes=PRIVATE)

    with database(app) as db:
        note = db.scalars(select(PsychotherapyNote)
                          .where(PsychotherapyNote.session_id == sid)).one()
        assert (note.body, note.author_id) == (PRIVATE, therapist.id)
        row = db.execute(text("SELECT * FROM therapy_sessions WHERE id = :id"),
                         {"id": sid}).one()
        assert not any(PRIVATE in str(value) for value in row)
    show = client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert PRIVATE in show and "Visible only to you" in show
    assert PRIVATE not in client.get(f"/patients/{practice.patient}").get_data(as_text=True)

    export = client.get(f"/patients/{practice.patient}/export.json")
    assert export.status_code == 200
    assert PRIVATE not in export.get_data(as_text=True)
    assert "psychotherapy_notes" not in export.get_json()
    asked = client.get(f"/patients/{practice.patient}/export.json?psychotherapy_notes=1")
    assert [n["body"] for n in asked.get_json()["psychotherapy_notes"]] == [PRIVATE]

    # Signing does not cover it, and it never enters the hash.
    assert sign(client, sid).status_code == 302
    with database(app) as db:
        session = db.scalars(select(TherapySession).where(TherapySession.id == sid)
                             .options(*session_record_options())).one()
        assert session.content_hash == content_hash(session)


# Dosing through the page ---------------------------------------------------------------------


def _dosing_form(client, sid, **changes) -> dict:
    _, form = edit_page(client, sid)
    form.update({"summary": "Dose 1.", "dosing-medication": "racemic_ketamine",
                 "dosing-route": "im", "dosing-dose_mg": "35",
                 "dosing-administered_at": "10:05", "dosing-monitoring_start": "10:00",
                 "dosing-monitoring_end": "12:15"})
    form.update(changes)
    return decide_all(form)


def test_an_implausible_dose_is_refused_next_to_the_dose_field(app, practice):
    sid = practice.start("dosing", 9)
    response = save(practice.client, sid,
                    _dosing_form(practice.client, sid, **{"dosing-dose_mg": "5000"}))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, "dosing-dose_mg") == [
        "A dose of 5000 mg is outside the plausible range (1–1000 mg). "
        "Check for a typing error."]
    assert 'aria-invalid="true"' in html
    with database(app) as db:
        assert count(db, DosingRecord) == 0
    assert _session(app, sid).summary == ""


def test_an_implausible_blood_pressure_is_refused_next_to_its_fields(app, practice):
    sid = practice.start("dosing", 9)
    response = save(practice.client, sid, _dosing_form(practice.client, sid, **{
        "dosing-baseline-systolic": "400", "dosing-baseline-diastolic": "20"}))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, "dosing-baseline-systolic") == [
        "A systolic pressure of 400 mmHg is outside the plausible range (60–260 mmHg). "
        "Check for a typing error."]
    assert "outside the plausible range" in field_errors(html, "dosing-baseline-diastolic")[0]
    with database(app) as db:
        assert count(db, DosingRecord) == 0 and count(db, VitalSigns) == 0


def test_a_notable_blood_pressure_is_accepted_and_flagged_with_mg_per_kg(app, practice):
    client = practice.client
    sid = practice.start("dosing", 9)
    response = save(client, sid, _dosing_form(client, sid, **{
        "dosing-baseline-systolic": "182", "dosing-baseline-diastolic": "96",
        "dosing-baseline-heart_rate": "80", "dosing-baseline-spo2": "98",
        "dosing-boosters-0-dose_mg": "15", "dosing-boosters-0-given_at": "10:45"}))

    assert response.status_code == 302
    with database(app) as db:
        record = db.get(DosingRecord, sid)
        assert (record.dose_mg, record.weight_kg) == (Decimal("35.0"), Decimal("70.0"))
        [vitals] = db.scalars(select(VitalSigns)).all()
        assert (vitals.timepoint, vitals.systolic, vitals.diastolic) == ("baseline", 182, 96)
    show = text_of(client.get(f"/sessions/{sid}").get_data(as_text=True))
    assert "Dose 35.0 mg (0.50 mg/kg)" in show
    assert "Total 50.0 mg (0.71 mg/kg)" in show
    assert "182/96 Clinically notable" in show
    assert ("Blood pressure 182/96 at baseline (before dosing) is clinically notable "
            "(systolic ≥ 180).") in show
    # The edit page says it too, and keeps the values.
    html, form = edit_page(client, sid)
    assert "Accepted, but worth a second look" in html
    assert (form["dosing-dose_mg"], form["dosing-baseline-systolic"]) == ("35.0", "182")
    assert carried_ids(form, "strategies") == {}


def test_csrf_protects_the_session_forms(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    del form["csrf_token"]
    form["summary"] = "Forged."
    # Refused, and nothing kept: a forged post must not plant text in the therapist's
    # drafts (tests/test_session_csrf.py); an expired page keeps its typing in the browser.
    response = save(practice.client, sid, form)
    assert response.status_code == 400
    assert _session(app, sid).summary == ""
    assert "nothing was saved" in response.get_data(as_text=True)
    with database(app) as db:
        assert count(db, SessionDraft) == 0
    token = csrf_token(practice.client, f"/sessions/{sid}")
    assert token


# What the review of the first version found: typed text must survive every path ----------


def test_remove_from_a_stale_page_is_refused_and_cannot_overwrite_a_newer_save(
        app, practice, second_tab):
    first = practice.start("preparation", 2)
    save_page(practice.client, first, summary="Preparation.", **{
        "new_themes-0-label": "the ocean", "new_themes-0-category": "imagery"})
    with database(app) as db:
        theme_id = db.scalar(select(Theme.id))
    _, stale = edit_page(practice.client, first)
    _, fresh = edit_page(second_tab, first)
    assert save(second_tab, first, {**fresh, "summary": "B's careful summary."}).status_code == 302
    response = practice.client.post(
        f"/sessions/{first}/added/theme/{theme_id}/remove",
        data={**stale, "summary": "A's stale summary."})
    assert response.status_code == 302
    with database(app) as db:
        assert db.get(Theme, theme_id) is not None  # Not removed.
        assert db.get(TherapySession, first).summary == "B's careful summary."
        copies = db.scalars(select(SessionDraft)).all()
    assert [c.kind for c in copies] == ["conflict"]
    html, form = edit_page(practice.client, first)
    assert form["summary"] == "B's careful summary."  # Nothing stale restored silently.
    assert "A&#39;s stale summary." in html or "A's stale summary." in html


def test_a_save_keeps_another_tabs_unsaved_typing_and_signing_waits_for_it(
        app, practice, second_tab):
    sid = practice.start("preparation", 2)
    _, tab_a = edit_page(practice.client, sid)
    _, tab_b = edit_page(second_tab, sid)
    autosave = practice.client.post(f"/sessions/{sid}/autosave",
                                    data={**tab_a, "summary": "Long text typed in tab A."})
    assert autosave.get_json()["status"] == "saved"
    assert save(second_tab, sid, {**tab_b, "summary": "Saved in tab B."}).status_code == 302
    with database(app) as db:
        assert [d.data["summary"] for d in db.scalars(select(SessionDraft))] == [
            ["Long text typed in tab A."]]
    html, _ = edit_page(second_tab, sid)
    assert "Unsaved typing from another tab" in html and "Long text typed in tab A." in html
    show = practice.client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "unsaved copy" in show and 'action="/sessions/' + str(sid) + '/sign"' not in show


def test_a_page_with_an_expired_csrf_token_keeps_its_typing(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form["csrf_token"] = "expired-token"
    autosave = practice.client.post(f"/sessions/{sid}/autosave",
                                    data={**form, "summary": "Typed before signing in again."})
    assert autosave.status_code == 400 and autosave.get_json() == {"status": "csrf"}
    fresh = practice.client.get("/account/csrf-token").get_json()["csrf_token"]
    retried = practice.client.post(f"/sessions/{sid}/autosave",
                                   data={**form, "csrf_token": fresh,
                                         "summary": "Typed before signing in again."})
    assert retried.get_json()["status"] == "saved"


@pytest.mark.parametrize("version", ["99999999999999999999", "2147483648", "0", "-1", "x"])
def test_out_of_range_versions_are_refused_without_an_error(app, practice, version):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    autosave = practice.client.post(f"/sessions/{sid}/autosave", data={**form, "version": version})
    assert autosave.status_code == 400
    response = save(practice.client, sid, {**form, "version": version, "summary": "Kept."})
    assert response.status_code in (200, 302)
    assert _session(app, sid).summary == ""


def test_the_new_version_of_a_modified_strategy_cannot_be_removed_on_its_own(app, practice):
    _, sid = _with_strategy(practice)
    _, form = edit_page(practice.client, sid)
    walk = next(iter(carried_ids(form, "strategies")))
    decide(form, "strategies", walk, "modify", new_description="Walk at lunch",
           new_target="4", new_category="nature")
    assert save(practice.client, sid, decide_all(form)).status_code == 302
    with database(app) as db:
        version_id = db.scalar(select(Strategy.id).where(Strategy.replaces_id == walk))
    _, form = edit_page(practice.client, sid)
    response = practice.client.post(f"/sessions/{sid}/added/strategy/{version_id}/remove",
                                    data=form)
    assert response.status_code == 302
    with database(app) as db:
        assert db.get(Strategy, version_id) is not None
