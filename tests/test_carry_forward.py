"""Carry-forward: which open items come back into a session, with their origin and last
values; decisions required for each; one transaction for the whole page; the lineage of
modified strategies and the status of beliefs and themes.

The first part uses the service (carry_for) on rows built directly in the database; the
second goes through the pages as a therapist would: read the form, fill it, post it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import count, database
from tests.support.forms import field_errors, fieldset, form_fields, text_of
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
)
from tests.support.threads import (
    belief_rating,
    db_belief,
    db_strategy,
    db_theme,
    strategy_review,
)
from tracker.sessions.models import PsychotherapyNote, SessionDraft, TherapySession
from tracker.threads.carry import carry_for
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

# Service level ---------------------------------------------------------------------------


@pytest.fixture
def timeline(app, db, therapist):
    """A patient with nine weekly sessions (ids in date order) and another patient with one."""
    patient_id = add_patient(app, therapist)
    other_id = add_patient(app, therapist, "Other Patient")
    course = db_course(db, patient_id)
    sessions = [
        db_session(db, therapist.id, course, "integration",
                   datetime(2026, 1, 5, 10, 0) + timedelta(days=7 * i)).id
        for i in range(9)
    ]
    other_course = db_course(db, other_id)
    other_session = db_session(db, therapist.id, other_course, "integration",
                               datetime(2026, 1, 5, 10, 0)).id
    db.commit()
    return {"patient": patient_id, "sessions": sessions, "other_patient": other_id,
            "other_session": other_session}


def _carried(db, session_id, **options):
    db.commit()
    db.expunge_all()
    return carry_for(db, load_session(db, session_id), **options)


def _ids(items) -> set[int]:
    return {getattr(item, "record", item).id for item in items}


def test_active_and_paused_strategies_are_carried_retired_and_adopted_are_not(db, timeline):
    """A paused strategy comes back so that it can be resumed ("Continue") or stay paused."""
    pid, s = timeline["patient"], timeline["sessions"]
    active = db_strategy(db, pid, s[0], "Walk by the river")
    paused = db_strategy(db, pid, s[0], "A paused strategy", status="paused")
    for status in ("retired", "adopted"):
        db_strategy(db, pid, s[0], f"A {status} strategy", status=status)
    db_strategy(db, timeline["other_patient"], timeline["other_session"], "Someone else's")

    carry = _carried(db, s[1])

    assert _ids(carry.strategies) == {active.id, paused.id}
    assert carry.added_strategies == []


def test_beliefs_not_integrated_are_carried(db, timeline):
    pid, s = timeline["patient"], timeline["sessions"]
    open_ones = {db_belief(db, pid, s[0], f"new {status}", status).id
                 for status in ("emerging", "strengthening", "slipped_back")}
    db_belief(db, pid, s[0], "new integrated", "integrated")
    db_belief(db, timeline["other_patient"], timeline["other_session"], "someone else's")

    carry = _carried(db, s[1])

    assert _ids(carry.beliefs) == open_ones


def test_open_themes_raised_in_the_last_three_sessions_are_carried(db, timeline):
    pid, s = timeline["patient"], timeline["sessions"]
    target = s[7]  # The three sessions before it: s[4], s[5], s[6].
    recent = db_theme(db, pid, s[0], "the ocean", mentions=[(s[6], "raised")])
    edge = db_theme(db, pid, s[0], "grief for my father", mentions=[(s[4], "raised")])
    new_recently = db_theme(db, pid, s[5], "a red door")  # First appeared three sessions back.
    db_theme(db, pid, s[0], "too old", mentions=[(s[3], "raised")])
    db_theme(db, pid, s[0], "resolved", status="resolved", mentions=[(s[6], "raised")])
    db_theme(db, pid, s[0], "only skipped lately", mentions=[(s[2], "raised"), (s[6], "skip")])
    db_theme(db, pid, s[0], "only raised later", mentions=[(s[8], "raised")])
    db_theme(db, timeline["other_patient"], timeline["other_session"], "someone else's",
           mentions=[(timeline["other_session"], "raised")])

    assert _ids(_carried(db, target).themes) == {recent.id, edge.id, new_recently.id}
    # The window is a setting: with one session, only what came up last time.
    assert _ids(_carried(db, target, theme_window=1).themes) == {recent.id}


def test_items_added_in_a_session_are_listed_apart_and_carried_into_the_next(db, timeline):
    pid, s = timeline["patient"], timeline["sessions"]
    strategy = db_strategy(db, pid, s[1], "Journal before bed")
    belief = db_belief(db, pid, s[1], "I am worth care as I am")
    theme = db_theme(db, pid, s[1], "the ocean", mentions=[(s[1], "raised")])
    db.add(belief_rating(s[1], belief.id, "emerging"))

    carry = _carried(db, s[1])
    assert (carry.strategies, carry.beliefs, carry.themes) == ([], [], [])
    assert _ids(carry.added_strategies) == {strategy.id}
    assert _ids(carry.added_beliefs) == {belief.id}
    assert _ids(carry.added_themes) == {theme.id}
    assert carry.undecided == 0

    following = _carried(db, s[2])
    assert _ids(following.strategies) == {strategy.id}
    assert _ids(following.beliefs) == {belief.id}
    assert _ids(following.themes) == {theme.id}
    assert following.added_strategies == following.added_beliefs == following.added_themes == []
    assert following.undecided == 3


def test_each_carried_item_has_its_origin_and_last_values(db, timeline):
    pid, s = timeline["patient"], timeline["sessions"]
    strategy = db_strategy(db, pid, s[0], "Walk by the river")
    belief = db_belief(db, pid, s[0], "I am worth care as I am")
    db_theme(db, pid, s[0], "the ocean", mentions=[(s[1], "raised"), (s[2], "skip")])
    db.add_all([
        strategy_review(s[1], strategy.id, "continue", times_practised=3, helpfulness=7,
                        barriers="Rainy week"),
        strategy_review(s[2], strategy.id, "skip"),
        # A later session's review is not "last" for s[3].
        strategy_review(s[4], strategy.id, "continue", times_practised=9),
        belief_rating(s[1], belief.id, "strengthening", old_conviction=60, new_conviction=45),
        belief_rating(s[5], belief.id, "integrated", old_conviction=5, new_conviction=95),
    ])

    carry = _carried(db, s[3])

    [carried_strategy] = carry.strategies
    assert carried_strategy.origin.id == s[0]
    assert carried_strategy.last_session.id == s[1]  # The skip in s[2] is not a value.
    assert (carried_strategy.last.times_practised, carried_strategy.last.helpfulness,
            carried_strategy.last.barriers) == (3, 7, "Rainy week")
    assert carried_strategy.current is None and not carried_strategy.decided
    [carried_belief] = carry.beliefs
    assert carried_belief.origin.id == s[0]
    assert carried_belief.last_session.id == s[1]
    assert (carried_belief.last.old_conviction, carried_belief.last.new_conviction) == (60, 45)
    [carried_theme] = carry.themes
    assert carried_theme.origin.id == s[0] and carried_theme.last_session.id == s[1]
    assert carry.undecided == 3


def test_a_decision_taken_in_the_session_keeps_the_item_on_its_page(db, timeline):
    """Pausing a strategy (or integrating a belief, resolving a theme) in this session keeps
    it listed, decided, so that the decision can still be changed while it is a draft."""
    pid, s = timeline["patient"], timeline["sessions"]
    strategy = db_strategy(db, pid, s[0], "Walk by the river", status="paused")
    belief = db_belief(db, pid, s[0], "I am worth care as I am", status="integrated")
    theme = db_theme(db, pid, s[0], "the ocean", status="resolved",
                   mentions=[(s[0], "raised"), (s[1], "resolved")])
    db.add_all([strategy_review(s[1], strategy.id, "pause"),
                belief_rating(s[1], belief.id, "integrated")])

    carry = _carried(db, s[1])
    assert _ids(carry.strategies) == {strategy.id}
    assert _ids(carry.beliefs) == {belief.id}
    assert _ids(carry.themes) == {theme.id}
    assert all(item.decided for item in carry.items) and carry.undecided == 0
    # In the next session only the paused strategy comes back (to be resumed or left
    # paused); the integrated belief and the resolved theme do not.
    later = _carried(db, s[2])
    assert _ids(later.strategies) == {strategy.id}
    assert later.beliefs == [] and later.themes == []


def test_items_that_first_appear_in_a_later_session_are_not_carried_back(db, timeline):
    """Carry-forward brings earlier items forward. A strategy or belief first recorded in a
    later session (a draft documented afterwards) did not exist yet in an earlier one."""
    pid, s = timeline["patient"], timeline["sessions"]
    earlier = db_strategy(db, pid, s[0], "Walk by the river")
    db_strategy(db, pid, s[5], "Journal before bed")
    db_belief(db, pid, s[5], "I am worth care as I am")

    carry = _carried(db, s[3])

    assert _ids(carry.strategies) == {earlier.id}
    assert carry.beliefs == []


# Through the pages ---------------------------------------------------------------------



def _preparation(practice, **extra):
    """2 Mar: a preparation session adds two strategies, a belief and two themes."""
    sid = practice.start("preparation", 2)
    save_page(practice.client, sid, **{
        "summary": "Preparation: set and setting, music, safety plan.",
        "new_strategies-0-category": "nature",
        "new_strategies-0-description": "Walk by the river",
        "new_strategies-0-target_per_week": 5,
        "new_strategies-1-category": "journaling",
        "new_strategies-1-description": "Journal before bed",
        "new_strategies-1-target_per_week": 3,
        "new_beliefs-0-old_belief": "I have to earn love",
        "new_beliefs-0-new_belief": "I am worth care as I am",
        "new_beliefs-0-old_conviction": 80,
        "new_beliefs-0-new_conviction": 20,
        "new_themes-0-label": "the ocean",
        "new_themes-0-category": "imagery",
        "new_themes-0-notes": "Waves, a wide horizon.",
        "new_themes-1-label": "grief for my father",
        "new_themes-1-category": "relationship",
        **extra,
    })
    return sid


def _ids_by_name(app) -> dict[str, int]:
    with database(app) as db:
        rows = {s.description: s.id for s in db.scalars(select(Strategy))}
        rows.update({b.new_belief: b.id for b in db.scalars(select(Belief))})
        rows.update({t.label: t.id for t in db.scalars(select(Theme))})
    return rows


def test_the_page_carries_open_items_with_origin_and_last_values(app, practice):
    client = practice.client
    _preparation(practice)
    ids = _ids_by_name(app)
    walk, journal = ids["Walk by the river"], ids["Journal before bed"]
    belief, ocean = ids["I am worth care as I am"], ids["the ocean"]
    grief = ids["grief for my father"]

    second = practice.start("integration", 9)
    html, form = edit_page(client, second)
    assert set(carried_ids(form, "strategies")) == {walk, journal}
    assert set(carried_ids(form, "beliefs")) == {belief}
    assert set(carried_ids(form, "themes")) == {ocean, grief}
    walk_box = text_of(fieldset(html, f"carried-strategy-{walk}"))
    assert "first in Preparation, 02 Mar 2026" in walk_box
    assert "Not reviewed yet." in walk_box
    assert "Last rated 02 Mar: old 80/100, new 20/100, emerging." in text_of(
        fieldset(html, f"carried-belief-{belief}"))
    decide(form, "strategies", walk, "continue", times_practised=3, helpfulness=7,
           barriers="A rainy week")
    decide(form, "strategies", journal, "pause")
    decide(form, "beliefs", belief, "integrated", old_conviction=10, new_conviction=90)
    decide(form, "themes", ocean, "raised", notes="Calm water this time.")
    decide(form, "themes", grief, "resolved")
    form.update({"summary": "The ocean came back as calm water; grief felt complete.",
                 "intention": "Meet whatever comes with curiosity",
                 "new_beliefs-0-old_belief": "I must stay in control",
                 "new_beliefs-0-new_belief": "I can let things unfold"})
    assert save(client, second, form).status_code == 302
    unfold = _ids_by_name(app)["I can let things unfold"]

    third = practice.start("integration", 16)
    html, form = edit_page(client, third)
    # What is still open comes back, the paused strategy too (to be resumed); the
    # integrated belief and the resolved theme stay behind.
    assert set(carried_ids(form, "strategies")) == {walk, journal}
    assert set(carried_ids(form, "beliefs")) == {unfold}
    assert set(carried_ids(form, "themes")) == {ocean}
    walk_box = text_of(fieldset(html, f"carried-strategy-{walk}"))
    assert "first in Preparation, 02 Mar 2026" in walk_box
    assert ("Last review, 09 Mar: practised 3 of 5, helpfulness 7/10, decision: continue."
            in walk_box)
    assert "Barriers then: A rainy week" in walk_box
    unfold_box = text_of(fieldset(html, f"carried-belief-{unfold}"))
    assert "first in Integration, 09 Mar 2026" in unfold_box
    assert "last came up 09 Mar" in text_of(fieldset(html, f"carried-theme-{ocean}"))
    # Nothing is copied: no text of the last note, no decision, no last values in the inputs.
    assert form["summary"] == "" and form["intention"] == ""
    assert "The ocean came back" not in html and "Calm water this time" not in html
    index = carried_ids(form, "strategies")[walk]
    assert f"strategies-{index}-decision" not in form
    assert form[f"strategies-{index}-times_practised"] == ""
    assert form[f"strategies-{index}-barriers"] == ""


def test_a_theme_stops_coming_back_three_sessions_after_it_last_came_up(app, practice):
    client = practice.client
    _preparation(practice)  # The ocean came up on 2 Mar.
    ocean = _ids_by_name(app)["the ocean"]
    for day in (9, 16, 23):  # Three sessions in which it was "not discussed".
        sid = practice.start("check_in", day)
        _, form = edit_page(client, sid)
        assert ocean in carried_ids(form, "themes"), day
        decide_all(form, themes="skip")
        assert save(client, sid, form).status_code == 302
    last = practice.start("integration", 30)
    _, form = edit_page(client, last)
    assert ocean not in carried_ids(form, "themes")
    assert carried_ids(form, "strategies")  # The strategies still come back.


def test_items_added_in_a_session_are_listed_apart_not_carried_into_it(app, practice):
    client = practice.client
    first = _preparation(practice)
    html, form = edit_page(client, first)
    assert carried_ids(form, "strategies") == carried_ids(form, "themes") == {}
    assert carried_ids(form, "beliefs") == {}
    # Listed apart, under "New in this session", editable in place.
    assert (form["added_themes-0-label"], form["added_themes-0-category"]) == ("the ocean",
                                                                             "imagery")
    assert (form["added_beliefs-0-old_belief"], form["added_beliefs-0-new_belief"]) == (
        "I have to earn love", "I am worth care as I am")
    assert form["added_strategies-0-description"] == "Walk by the river"
    assert form["added_strategies-0-target_per_week"] == "5"
    assert 'id="carried-' not in html
    # No blank block is posted back: nothing would be added twice.
    assert not any(name.startswith(("new_themes-", "new_beliefs-", "new_strategies-"))
                   for name in form)
    save(client, first, form)
    with database(app) as db:
        assert count(db, Strategy) == 2 and count(db, Theme) == 2 and count(db, Belief) == 1


# Decisions required, one transaction ------------------------------------------------------


def _state(app, session_id) -> dict:
    with database(app) as db:
        session = db.get(TherapySession, session_id)
        return {
            "summary": session.summary,
            "version": session.version,
            "reviews": count(db, StrategyReview, StrategyReview.session_id == session_id),
            "ratings": count(db, BeliefRating, BeliefRating.session_id == session_id),
            "mentions": count(db, ThemeMention, ThemeMention.session_id == session_id),
            "notes": count(db, PsychotherapyNote, PsychotherapyNote.session_id == session_id),
            "strategies": sorted((s.description, s.status) for s in db.scalars(select(Strategy))),
            "beliefs": sorted((b.new_belief, b.status) for b in db.scalars(select(Belief))),
            "themes": sorted((t.label, t.status) for t in db.scalars(select(Theme))),
        }


def test_a_draft_saves_without_every_decision_and_signing_needs_them(app, practice):
    """Saving a draft is never refused for completeness (issue 12): an undecided item stays
    undecided, and only signing asks for every decision."""
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    form["summary"] = "Typed before deciding anything."

    response = save(client, second, form)

    assert response.status_code == 302
    with database(app) as db:
        assert db.get(TherapySession, second).summary == "Typed before deciding anything."
        assert db.scalar(select(StrategyReview).where(StrategyReview.strategy_id == walk)) \
            is None
        assert db.get(Strategy, walk).status == "active"
    show = text_of(client.get(f"/sessions/{second}").get_data(as_text=True))
    assert "carried item(s) still need a decision." in show

    # "Not discussed" is a decision.
    _, form = edit_page(client, second)
    index = carried_ids(form, "strategies")[walk]
    form[f"strategies-{index}-decision"] = "skip"
    assert save(client, second, form).status_code == 302
    with database(app) as db:
        review = db.scalar(select(StrategyReview).where(StrategyReview.strategy_id == walk))
        assert review.decision == "skip" and review.session_id == second
    assert "Not discussed" in text_of(client.get(f"/sessions/{second}").get_data(as_text=True))


def test_what_is_typed_for_an_undecided_item_is_kept_until_it_is_decided(app, practice):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    index = carried_ids(form, "strategies")[walk]
    form.update({"summary": "Half done.", f"strategies-{index}-barriers": "Rain all week"})

    response = save(client, second, form)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kept as unsaved typing until you choose a decision" in text_of(page)
    again = form_fields(page, form_id="session-form")
    assert again[f"strategies-{index}-barriers"] == "Rain all week"
    assert again["summary"] == "Half done."
    # Deciding saves it into the record, and the unsaved copy goes.
    again[f"strategies-{index}-decision"] = "continue"
    assert save(client, second, again).status_code == 302
    with database(app) as db:
        review = db.scalar(select(StrategyReview).where(StrategyReview.strategy_id == walk))
        assert review.barriers == "Rain all week"
        assert db.scalars(select(SessionDraft)).all() == []


INVALID_ENTRIES = {
    "new strategy without a target": (
        {"new_strategies-0-description": "Stretch in the morning"},
        "new_strategies-0-target_per_week", "How many times a week?"),
    "new belief without the emerging belief": (
        {"new_beliefs-0-old_belief": "I must stay in control"},
        "new_beliefs-0-new_belief", "Give both the old and the emerging belief."),
    "theme notes without a name": (
        {"new_themes-1-notes": "Something about a door"},
        "new_themes-1-label", "Name the theme, or clear its notes."),
    "conviction above 100": (
        {"beliefs-0-new_conviction": "150"},
        "beliefs-0-new_conviction", "Enter a number from 0 to 100."),
    "times practised above 500": (
        {"strategies-0-times_practised": "501"},
        "strategies-0-times_practised", "Enter 0 to 500."),
}


@pytest.mark.parametrize("case", INVALID_ENTRIES)
def test_one_invalid_entry_saves_nothing_at_all(app, practice, case):
    """Valid decisions for every carried item, a summary, a private note and valid new items,
    plus one invalid entry: nothing of it is saved."""
    changes, field_id, message = INVALID_ENTRIES[case]
    client = practice.client
    _preparation(practice)
    second = practice.start("integration", 9)
    before = _state(app, second)
    _, form = edit_page(client, second)
    decide_all(form, strategies="retire", beliefs="integrated", themes="resolved")
    form.update({
        "summary": "Would be saved with the rest.",
        "private_notes": "Private, would be saved too.",
        "new_themes-0-label": "a red door",
        "new_strategies-1-description": "Breathe for 5 minutes",
        "new_strategies-1-target_per_week": "7",
        **changes,
    })

    response = save(client, second, form)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, field_id) == [message]
    assert _state(app, second) == before


def test_a_modify_decision_without_the_new_description_saves_nothing(app, practice):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    before = _state(app, second)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "modify", new_target=3)
    decide_all(form)
    form["summary"] = "Modified the walk."
    index = carried_ids(form, "strategies")[walk]

    response = save(client, second, form)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, f"strategies-{index}-new_description") == [
        "Describe the modified strategy."]
    assert _state(app, second) == before


def test_a_modify_decision_without_the_new_target_saves_nothing(app, practice):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    before = _state(app, second)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "modify", new_description="Walk by the sea")
    decide_all(form)
    form["summary"] = "Modified the walk."
    index = carried_ids(form, "strategies")[walk]

    response = save(client, second, form)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, f"strategies-{index}-new_target") == [
        "Give the modified strategy a target."]
    assert _state(app, second) == before


def test_a_rule_broken_halfway_through_the_save_rolls_everything_back(app, practice):
    """Taking back a modification whose new version a later session already reviewed is
    refused; the rest of that save (summary, other decisions) is not applied either."""
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "modify", new_description="Walk by the sea", new_target=3)
    assert save(client, second, decide_all(form)).status_code == 302
    save_page(client, practice.start("integration", 16))  # Reviews the new version.
    before = _state(app, second)

    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "continue")
    form["summary"] = "Not to be saved."
    form["new_themes-0-label"] = "a red door"
    response = save(client, second, form)

    assert response.status_code == 200
    assert "already reviewed in another session" in response.get_data(as_text=True)
    assert _state(app, second) == before


def test_a_page_opened_before_the_open_items_changed_saves_nothing(app, practice):
    """Another session saved meanwhile added an open item: the old page's decisions no longer
    cover every carried item, so nothing is saved and the page says why."""
    client = practice.client
    first = _preparation(practice)
    second = practice.start("integration", 9)
    _, stale_form = edit_page(client, second)
    decide_all(stale_form)
    stale_form["summary"] = "Decided on the items I saw."
    save_page(client, first, **{"new_strategies-0-description": "Breathe for 5 minutes",
                                "new_strategies-0-target_per_week": 7})
    before = _state(app, second)

    response = save(client, second, stale_form)

    assert response.status_code == 200
    assert "The open items changed while this page was open" in response.get_data(as_text=True)
    assert _state(app, second) == before


# Lineage and status --------------------------------------------------------------------


def test_modify_creates_a_new_version_that_replaces_the_old(app, practice):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "modify", times_practised=2, helpfulness=6,
           new_category="nature", new_description="Walk by the sea for 20 minutes",
           new_target=3)
    decide_all(form)
    form["summary"] = "The river walk became a sea walk."
    assert save(client, second, form).status_code == 302

    with database(app) as db:
        old = db.get(Strategy, walk)
        new = db.scalar(select(Strategy).where(Strategy.replaces_id == walk))
        review = db.scalar(select(StrategyReview).where(StrategyReview.session_id == second,
                                                        StrategyReview.strategy_id == walk))
        assert old.status == "retired"
        assert (new.description, new.target_per_week, new.status, new.first_session_id) == (
            "Walk by the sea for 20 minutes", 3, "active", second)
        assert review.decision == "modify" and review.new_strategy_id == new.id
        new_id = new.id
    show = text_of(client.get(f"/sessions/{second}").get_data(as_text=True))
    assert "Walk by the river — Modify; practised 2 of 5; helpfulness 6/10; new version: " \
           "“Walk by the sea for 20 minutes”, 3× a week" in show
    # On its own page the new version is the modify decision, not a separately added item.
    html, form = edit_page(client, second)
    assert "Strategy: Walk by the sea" not in html
    index = carried_ids(form, "strategies")[walk]
    assert form[f"strategies-{index}-decision"] == "modify"
    assert form[f"strategies-{index}-new_description"] == "Walk by the sea for 20 minutes"

    # Saving the draft again keeps one new version, updated.
    form[f"strategies-{index}-new_description"] = "Walk by the sea for 30 minutes"
    assert save(client, second, form).status_code == 302
    with database(app) as db:
        assert count(db, Strategy, Strategy.replaces_id == walk) == 1
        assert db.get(Strategy, new_id).description == "Walk by the sea for 30 minutes"

    third = practice.start("integration", 16)
    html, form = edit_page(client, third)
    assert new_id in carried_ids(form, "strategies")
    assert walk not in carried_ids(form, "strategies")
    new_box = text_of(fieldset(html, f"carried-strategy-{new_id}"))
    assert "modified from “Walk by the river”" in new_box

    # The export keeps both, linked.
    export = client.get(f"/patients/{practice.patient}/export.json").get_json()
    by_id = {s["id"]: s for s in export["strategies"]}
    assert by_id[new_id]["replaces_id"] == walk and by_id[walk]["replaced_by_id"] == new_id
    assert by_id[walk]["status"] == "retired"


def test_changing_modify_back_to_continue_removes_the_draft_version(app, practice):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "modify", new_description="Walk by the sea",
           new_target=3)
    decide_all(form)
    assert save(client, second, form).status_code == 302
    with database(app) as db:
        assert count(db, Strategy, Strategy.replaces_id == walk) == 1

    _, form = edit_page(client, second)
    decide(form, "strategies", walk, "continue")
    assert save(client, second, form).status_code == 302

    with database(app) as db:
        assert count(db, Strategy, Strategy.replaces_id == walk) == 0
        assert count(db, Strategy) == 2
        assert db.get(Strategy, walk).status == "active"
        review = db.scalar(select(StrategyReview).where(StrategyReview.strategy_id == walk))
        assert review.decision == "continue" and review.new_strategy_id is None
    _, form = edit_page(client, practice.start("integration", 16))
    assert walk in carried_ids(form, "strategies")


@pytest.mark.parametrize(("decision", "status"), [
    ("pause", "paused"), ("retire", "retired"), ("adopt", "adopted"), ("continue", "active"),
])
def test_strategy_status_follows_the_decision(app, practice, decision, status):
    client = practice.client
    _preparation(practice)
    walk = _ids_by_name(app)["Walk by the river"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    decide(form, "strategies", walk, decision)
    save(client, second, decide_all(form))
    with database(app) as db:
        assert db.get(Strategy, walk).status == status
    _, form = edit_page(client, practice.start("integration", 16))
    assert (walk in carried_ids(form, "strategies")) == (status in ("active", "paused"))


def test_belief_status_follows_the_decision_and_skip_restores_it(app, practice):
    client = practice.client
    _preparation(practice)
    belief = _ids_by_name(app)["I am worth care as I am"]

    def status():
        with database(app) as db:
            return db.get(Belief, belief).status

    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    save(client, second, decide_all(decide(form, "beliefs", belief, "strengthening")))
    assert status() == "strengthening"

    third = practice.start("integration", 16)
    for decision, expected in [("integrated", "integrated"), ("slipped_back", "slipped_back"),
                               ("skip", "strengthening"), ("integrated", "integrated")]:
        _, form = edit_page(client, third)
        decide(form, "beliefs", belief, decision)
        assert save(client, third, decide_all(form)).status_code == 302
        assert status() == expected, decision

    _, form = edit_page(client, practice.start("integration", 23))
    assert belief not in carried_ids(form, "beliefs")  # Integrated: no longer carried.


def test_a_resolved_theme_stops_coming_back_and_can_be_reopened_in_its_draft(app, practice):
    client = practice.client
    _preparation(practice)
    grief = _ids_by_name(app)["grief for my father"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    save(client, second, decide_all(decide(form, "themes", grief, "resolved")))
    with database(app) as db:
        theme = db.get(Theme, grief)
        assert (theme.status, theme.resolved_session_id) == ("resolved", second)

    third = practice.start("integration", 16)
    _, form = edit_page(client, third)
    assert grief not in carried_ids(form, "themes")

    _, form = edit_page(client, second)
    save(client, second, decide(form, "themes", grief, "raised"))
    with database(app) as db:
        theme = db.get(Theme, grief)
        assert (theme.status, theme.resolved_session_id) == ("open", None)
    _, form = edit_page(client, third)
    assert grief in carried_ids(form, "themes")


# Drafts documented out of order ------------------------------------------------------------


def test_saving_an_earlier_draft_again_keeps_a_later_sessions_decisions(app, practice):
    """The 9 March draft is finished after the 16 March session retired the walk and found
    the belief integrated: correcting the earlier summary must not bring them back."""
    client = practice.client
    _preparation(practice)
    ids = _ids_by_name(app)
    walk, belief = ids["Walk by the river"], ids["I am worth care as I am"]
    second = practice.start("integration", 9)
    _, form = edit_page(client, second)
    save(client, second, decide_all(form, strategies="continue", beliefs="strengthening"))
    third = practice.start("integration", 16)
    _, form = edit_page(client, third)
    decide(form, "strategies", walk, "retire")
    decide(form, "beliefs", belief, "integrated")
    assert save(client, third, decide_all(form)).status_code == 302

    _, form = edit_page(client, second)
    form["summary"] = "Corrected summary of 9 March."
    assert save(client, second, form).status_code == 302

    with database(app) as db:
        assert db.get(Strategy, walk).status == "retired"
        assert db.get(Belief, belief).status == "integrated"


def test_a_strategy_added_in_a_later_session_is_not_carried_into_an_earlier_draft(app, practice):
    client = practice.client
    _preparation(practice)
    second = practice.start("integration", 9)
    third = practice.start("check_in", 16)
    save_page(client, third, **{"new_strategies-0-description": "Call a friend on Sundays",
                                "new_strategies-0-target_per_week": 1})
    sunday = _ids_by_name(app)["Call a friend on Sundays"]

    html, form = edit_page(client, second)

    assert sunday not in carried_ids(form, "strategies")
    assert "first in Check-in, 16 Mar 2026" not in html
