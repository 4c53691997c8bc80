"""Finishing a session quickly and reading it at a glance (issue 12): the kind a new session
defaults to, "day N after dose M", one conflict copy per author, labels people read, and the
dosing flags where the therapist looks."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.dosing import db_dosing
from tests.support.forms import field_errors, form_fields, main_of, only_post_form, text_of
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.sessions import (
    db_session,
    decide_all,
    edit_page,
    save,
    save_page,
    sign,
    signed,
)
from tracker.sessions.models import SessionDraft, TherapySession
from tracker.threads.models import Belief, BeliefRating, Strategy, Theme, ThemeMention


def _kind_offered(client, patient_id: int) -> str:
    html = client.get(f"/patients/{patient_id}/sessions/new").get_data(as_text=True)
    return only_post_form(html)["kind"]


# 14. The kind of a new session defaults from the course ------------------------------------

def test_a_new_sessions_kind_follows_the_course(app, practice):
    assert _kind_offered(practice.client, practice.patient) == "preparation"
    practice.start("preparation", 2)
    assert _kind_offered(practice.client, practice.patient) == "preparation"  # no dose yet
    practice.start("dosing", 9)
    assert _kind_offered(practice.client, practice.patient) == "integration"
    practice.start("integration", 10)
    assert _kind_offered(practice.client, practice.patient) == "dosing"  # doses remain


def test_after_the_last_planned_dose_and_its_integration_comes_a_check_in(app, therapist,
                                                                        therapist_client):
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id, planned=1)
        dose = db_session(db, therapist.id, course, "dosing", datetime(2026, 3, 2, 10))
        db_session(db, therapist.id, course, "integration", datetime(2026, 3, 3, 10),
                   follows_dosing_id=dose.id)
        db.commit()
    assert _kind_offered(therapist_client, patient_id) == "check_in"


# 17. Integration sessions show "day N after dose M" ---------------------------------------

def test_an_integration_session_says_which_day_after_which_dose(app, practice):
    practice.start("dosing", 2)
    second_dose = practice.start("dosing", 9)
    integration = practice.start("integration", 11)  # Attached to the second dose.
    later = practice.start("integration", 23)
    page = text_of(practice.client.get(f"/sessions/{integration}/edit").get_data(as_text=True))
    assert "Day 2 after dose 2 · inside the 7-day integration window" in page
    # Computed from the session's own dose, not from today.
    late_page = text_of(practice.client.get(f"/sessions/{later}").get_data(as_text=True))
    assert "Day 14 after dose 2 · outside the 7-day integration window" in late_page
    dose_page = text_of(practice.client.get(f"/sessions/{second_dose}").get_data(as_text=True))
    assert "after dose" not in dose_page.split("Summary")[0]


# 18. One refused save leaves at most one conflict copy per author and session -------------

@pytest.fixture
def second_tab(login_as, therapist):
    return login_as(therapist)


def test_retrying_a_refused_save_leaves_one_conflict_copy(app, practice, second_tab):
    sid = practice.start("preparation", 2)
    _, mine = edit_page(practice.client, sid)
    assert save(practice.client, sid, {**mine, "summary": "Saved first."}).status_code == 302
    for attempt in range(8):  # The stale tab retries, each time from a fresh page of its own.
        _, stale = edit_page(second_tab, sid)
        stale["version"] = "1"
        assert save(second_tab, sid, {**stale, "summary": f"Retry {attempt}."}).status_code == 302
    with database(app) as db:
        copies = db.scalars(select(SessionDraft).where(SessionDraft.kind == "conflict")).all()
        assert [c.data["summary"] for c in copies] == [["Retry 7."]]


# 19. Small things seen on screen ---------------------------------------------------------

def test_grid_headers_use_proper_short_labels(app, practice):
    first = practice.start("preparation", 2)
    save_page(practice.client, first, summary="Preparation.", **{
        "new_themes-0-label": "The ocean", "new_strategies-0-description": "Walk by the river",
        "new_strategies-0-target_per_week": 5})
    integration = practice.start("integration", 9)
    save_page(practice.client, integration, summary="Integration.")
    html = practice.client.get(f"/patients/{practice.patient}/progress").get_data(as_text=True)
    kinds = re.findall(r'<span class="grid__kind">(.*?)</span>', html)
    assert "Prep." in kinds and "Integ." in kinds and "Inte" not in kinds


def test_the_brief_prints_no_double_full_stop_after_barriers(app, practice):
    first = practice.start("preparation", 2)
    save_page(practice.client, first, summary="Preparation.", **{
        "new_strategies-0-description": "Walk by the river",
        "new_strategies-0-target_per_week": 5})
    second = practice.start("integration", 9)
    save_page(practice.client, second, summary="Integration.", **{
        "strategies-0-barriers": "Long days at work."})
    brief = text_of(practice.client.get(f"/patients/{practice.patient}/brief")
                    .get_data(as_text=True))
    assert "barriers: Long days at work." in brief and "work.." not in brief


def test_the_access_history_reads_in_words(app, practice):
    practice.client.get(f"/patients/{practice.patient}/care-team")
    practice.client.get(f"/patients/{practice.patient}/progress")
    page = practice.client.get(f"/patients/{practice.patient}/access-history").get_data(
        as_text=True)
    text = text_of(main_of(page))
    assert "Viewed the care team" in text and "Viewed the progress page" in text
    assert "view care_team.show" not in text


def test_every_audited_page_has_words(app):
    from tracker.audit.hooks import CLINICAL_BLUEPRINTS, NOT_AUDITED
    from tracker.audit.labels import PAGES

    audited = {rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint.split(".")[0] in CLINICAL_BLUEPRINTS
               and rule.endpoint not in NOT_AUDITED}
    assert audited - set(PAGES) == set()


def test_care_team_and_access_history_look_like_their_neighbours(app, practice):
    html = practice.client.get(f"/patients/{practice.patient}").get_data(as_text=True)
    for name in ("Brief", "Care team", "Access history"):
        assert re.search(rf'<a class="button button--secondary" href="[^"]+">{name}</a>', html)


# Dosing flags where the therapist looks (items 9 and 10) ----------------------------------

@pytest.fixture
def flagged_dose(app, therapist):
    """A signed dosing session whose discharge SpO2 was 86 %, yesterday."""
    patient_id = add_patient(app, therapist)
    yesterday = datetime.combine(date.today() - timedelta(days=1), datetime.min.time())
    with database(app) as db:
        course = db_course(db, patient_id, start=date.today() - timedelta(days=10))
        session = db_session(db, therapist.id, course, "dosing", yesterday.replace(hour=10),
                             summary="Dose.", **signed(therapist.id))
        db_dosing(db, session.id, vitals=[{"timepoint": "discharge", "spo2": 86}])
        db.commit()
        return patient_id, session.id


def test_a_low_spo2_is_flagged_on_the_signed_session_and_in_the_brief(app, flagged_dose,
                                                                     therapist_client):
    patient_id, session_id = flagged_dose
    page = text_of(therapist_client.get(f"/sessions/{session_id}").get_data(as_text=True))
    assert "SpO2 86% at discharge is below 92%." in page
    brief = text_of(therapist_client.get(f"/patients/{patient_id}/brief").get_data(as_text=True))
    assert "At the last dosing session" in brief and "SpO2 86% at discharge is below 92%." in brief


def test_the_form_shows_the_flag_while_the_dose_is_documented(app, practice):
    sid = practice.start("dosing", 2)
    _, form = edit_page(practice.client, sid)
    form.update({"summary": "Dose.", "dosing-dose_mg": "35", "dosing-discharge-spo2": "86"})
    decide_all(form)
    assert save(practice.client, sid, form).status_code == 302
    page = text_of(practice.client.get(f"/sessions/{sid}/edit").get_data(as_text=True))
    assert "SpO2 86% at discharge is below 92%." in page
    sign(practice.client, sid)
    assert "SpO2 86% at discharge" in text_of(
        practice.client.get(f"/sessions/{sid}").get_data(as_text=True))


# 15. New items are added one at a time, and those of this draft can be edited --------------

def _add(client, sid: int, form: dict, kind: str):
    return client.post(f"/sessions/{sid}/edit", data={**form, "add_item": kind})


def test_new_item_blocks_start_collapsed_to_their_add_buttons(app, practice):
    sid = practice.start("preparation", 2)
    html, form = edit_page(practice.client, sid)
    assert not any(name.startswith(("new_themes-", "new_beliefs-", "new_strategies-"))
                   for name in form)
    for kind in ("theme", "belief", "strategy"):
        assert f'name="add_item" value="{kind}"' in html
        # The block a script copies when the button is pressed.
        assert f'<template id="new-{kind}-template">' in html
    assert 'name="new_themes-__index__-label"' in html


def test_add_another_works_without_javascript_and_loses_nothing(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form["summary"] = "Typed before adding a theme."
    response = _add(practice.client, sid, form, "theme")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    form = form_fields(page, form_id="session-form")
    assert form["summary"] == "Typed before adding a theme."
    assert "new_themes-0-label" in form and "new_themes-1-label" not in form
    with database(app) as db:  # Nothing saved yet, but the typing is kept server-side.
        session = db.get(TherapySession, sid)
        assert session.summary == ""
        assert db.scalar(select(SessionDraft)).data["summary"] == ["Typed before adding a theme."]
    form["new_themes-0-label"] = "The ocean"
    form = form_fields(_add(practice.client, sid, form, "theme").get_data(as_text=True),
                       form_id="session-form")
    assert form["new_themes-0-label"] == "The ocean" and form["new_themes-1-label"] == ""
    form["new_themes-1-label"] = "A locked room"
    assert save(practice.client, sid, form).status_code == 302
    with database(app) as db:
        assert sorted(t.label for t in db.scalars(select(Theme))) == ["A locked room",
                                                                     "The ocean"]


def test_items_added_in_this_draft_can_be_edited(app, practice):
    sid = practice.start("preparation", 2)
    save_page(practice.client, sid, summary="Preparation.", **{
        "new_themes-0-label": "The ocen", "new_themes-0-notes": "Waves",
        "new_beliefs-0-old_belief": "I am alone", "new_beliefs-0-new_belief": "I am held",
        "new_beliefs-0-old_conviction": "80",
        "new_strategies-0-description": "Walk", "new_strategies-0-target_per_week": "3"})
    html, form = edit_page(practice.client, sid)
    assert form["added_themes-0-label"] == "The ocen"
    assert form["added_beliefs-0-old_conviction"] == "80"
    form.update({"added_themes-0-label": "The ocean", "added_themes-0-notes": "Warm waves",
                 "added_beliefs-0-new_belief": "I am held by others",
                 "added_beliefs-0-old_conviction": "70",
                 "added_strategies-0-description": "Walk by the river",
                 "added_strategies-0-target_per_week": "5"})
    assert save(practice.client, sid, form).status_code == 302
    with database(app) as db:
        theme, belief = db.scalar(select(Theme)), db.scalar(select(Belief))
        assert theme.label == "The ocean"
        assert db.scalar(select(ThemeMention)).notes == "Warm waves"
        assert belief.new_belief == "I am held by others"
        assert db.scalar(select(BeliefRating)).old_conviction == 70
        strategy = db.scalar(select(Strategy))
        assert (strategy.description, strategy.target_per_week) == ("Walk by the river", 5)
    # Emptied, it is refused next to the field (remove is the way to take it back).
    _, form = edit_page(practice.client, sid)
    form["added_themes-0-label"] = ""
    response = save(practice.client, sid, form)
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "added_themes-0-label") == [
        "A theme needs a name; remove it instead."]


# 5. The signed session lists the measures taken at it ------------------------------------

def test_a_session_lists_its_measures_with_band_and_change_on_its_page_and_print(
        app, therapist, therapist_client):
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id, start=date(2026, 3, 1))
        first = db_session(db, therapist.id, course, "preparation", datetime(2026, 3, 2, 10),
                           summary="Preparation.", **signed(therapist.id))
        later = db_session(db, therapist.id, course, "integration", datetime(2026, 3, 20, 10),
                           summary="Integration.", **signed(therapist.id))
        db_measure(db, therapist.id, patient_id, course.id, "phq9", 18, date(2026, 3, 2),
                   session_id=first.id)
        db_measure(db, therapist.id, patient_id, course.id, "phq9", 11, date(2026, 3, 20),
                   session_id=later.id)
        db_measure(db, therapist.id, patient_id, course.id, "gad7", 9, date(2026, 3, 10))
        db.commit()
        first_id, later_id = first.id, later.id
    page = text_of(therapist_client.get(f"/sessions/{later_id}").get_data(as_text=True))
    assert "Measures taken at this session" in page
    assert re.search(r"PHQ-9\s*: 11 \(moderate\), -7 from baseline", page)
    # Taken between sessions, not at this one (the page still offers to enter one).
    assert not re.search(r"GAD-7\s*:", page)
    baseline = text_of(therapist_client.get(f"/sessions/{first_id}").get_data(as_text=True))
    assert re.search(r"PHQ-9\s*: 18 \(moderately severe\), baseline", baseline)
    printed = text_of(therapist_client.get(f"/patients/{patient_id}/sessions/print")
                      .get_data(as_text=True))
    assert "PHQ-9: 11 (moderate), -7 from baseline" in printed
    assert "PHQ-9: 18 (moderately severe), baseline" in printed


def test_the_course_summary_print_states_an_open_safety_flag_in_words(app, therapist,
                                                                     therapist_client):
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id, start=date(2026, 3, 1))
        db_measure(db, therapist.id, patient_id, course.id, "phq9", 12, date(2026, 3, 5),
                   item_9=1)
        db.commit()
    printed = text_of(therapist_client.get(f"/patients/{patient_id}/progress/print")
                      .get_data(as_text=True))
    assert ("Open safety flag: PHQ-9 of 05 Mar 2026, item 9 answered above 0; no safety "
            "follow-up is recorded yet.") in printed
