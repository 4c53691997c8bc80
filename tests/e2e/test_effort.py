"""How much a therapist must do: an integration session with five carried items, from the
patient page to the signed session, in ten actions or fewer (a click, a choice, a field
typed), with the mouse as most people use it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from tests.e2e.conftest import EMAIL
from tests.e2e.test_journey import sign_in
from tests.support.keys import TEST_ENCRYPTION_KEY
from tests.support.server import SERVER_KEY_ID
from tracker import create_app
from tracker.auth.services import find_by_email
from tracker.courses import services as courses
from tracker.db import get_db
from tracker.patients import services as patients
from tracker.sessions import services as sessions
from tracker.sessions.models import TherapySession
from tracker.threads.carry import carry_for

MAX_ACTIONS = 10


def _document(db, user, session_id: int, summary: str, **new) -> None:
    session = db.get(TherapySession, session_id)
    carry = carry_for(db, session)
    sessions.save_session(db, user, session, carry, sessions.SessionInput(
        version=session.version, starts_at=session.starts_at,
        duration_minutes=session.duration_minutes, follows_dosing_id=session.follows_dosing_id,
        intention="", summary=summary, private_notes="", dosing=new.pop("dosing", None),
        # Whatever is carried into it is "not discussed" here.
        strategies={i.record.id: {"decision": "skip"} for i in carry.strategies},
        beliefs={i.record.id: {"decision": "skip"} for i in carry.beliefs},
        themes={i.record.id: {"decision": "skip"} for i in carry.themes},
        new_themes=new.get("themes", []),
        new_beliefs=new.get("beliefs", []), new_strategies=new.get("strategies", [])))
    db.flush()
    session = db.get(TherapySession, session_id)
    sessions.sign_session(db, user, session, session.version)


@pytest.fixture
def five_open_items(served_database):
    """A patient with a signed preparation (two themes, two beliefs, a strategy) and a
    signed dosing session two days ago: the next session is an integration session."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": served_database,
                      "ENCRYPTION_KEYS": {SERVER_KEY_ID: TEST_ENCRYPTION_KEY},
                      "ENCRYPTION_KEY_ID": SERVER_KEY_ID})
    today = date.today()
    with app.app_context():
        db = get_db()
        user = find_by_email(db, EMAIL)
        patient = patients.create_patient(db, user, {
            **dict.fromkeys(patients.PATIENT_FIELDS), "treatment_intentions": "",
            "display_name": "Sam Effort"})
        course = courses.create_course(db, patient, {
            "title": "Course", "start_date": today - timedelta(days=20),
            "planned_dosing_sessions": 3, "default_medication": "racemic_ketamine",
            "default_route": "im", "status": "active"})
        prep = sessions.create_session(db, user, patient, course, kind="preparation",
                                       starts_at=datetime.combine(today - timedelta(days=9),
                                                                  time(10)),
                                       duration_minutes=60)
        _document(db, user, prep.id, "Preparation.",
                  themes=[{"label": "The ocean", "category": "imagery", "notes": ""},
                          {"label": "My father", "category": "relationship", "notes": ""}],
                  beliefs=[{"old_belief": "I must hold it all", "new_belief": "I can be helped",
                            "old_conviction": 80, "new_conviction": 20},
                           {"old_belief": "I am too much", "new_belief": "I am enough",
                            "old_conviction": 70, "new_conviction": 30}],
                  strategies=[{"category": "nature", "description": "A walk after lunch",
                               "target_per_week": 5}])
        dose = sessions.create_session(db, user, patient, course, kind="dosing",
                                       starts_at=datetime.combine(today - timedelta(days=2),
                                                                  time(10)),
                                       duration_minutes=150)
        _document(db, user, dose.id, "Dose.", dosing={
            "medication": "racemic_ketamine", "route": "im", "dose_mg": 35, "boosters": [],
            "weight_kg": 70, "administered_at": time(10, 15), "monitoring_start": time(10),
            "monitoring_end": time(12), "vitals": {}, "adverse_events": [],
            "adverse_event_notes": "", "transport_home": None, "transport_notes": ""})
        db.commit()
        patient_id = patient.id
    app.extensions["tracker.engine"].dispose()
    return patient_id


class Counter:
    """Counts what the therapist does: every click, choice and field typed into."""

    def __init__(self, page):
        self.page, self.actions = page, []

    def click(self, locator, what: str) -> None:
        locator.click()
        self.actions.append(f"click {what}")

    def fill(self, locator, text: str, what: str) -> None:
        locator.fill(text)
        self.actions.append(f"type {what}")


def test_a_five_item_integration_session_takes_ten_actions_or_fewer(server, browser,
                                                                     five_open_items):
    base, secret = server
    context = browser.new_context(base_url=base)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, secret)
    page.goto(f"/patients/{five_open_items}")
    me = Counter(page)

    me.click(page.get_by_role("link", name="New session"), "New session")
    # The kind defaults from the course: integration, after a dose that has none yet.
    assert page.get_by_label("Kind of session").input_value() == "integration"
    me.click(page.get_by_role("button", name="Start documenting"), "Start documenting")
    page.wait_for_url(re.compile(r"/sessions/\d+/edit$"))
    me.fill(page.get_by_label("Summary (progress note)"), "The ocean felt calmer.", "summary")
    for item, decision in (("A walk after lunch", "Continue"),
                           ("I must hold it all", "Strengthening"),
                           ("I am too much", "Emerging"),
                           ("The ocean", "Came up"), ("My father", "Not discussed")):
        box = page.locator("fieldset.carried", has_text=item)
        me.click(box.get_by_label(decision, exact=True), f"{decision} on {item}")
    me.click(page.get_by_role("button", name="Save and review for signing"), "Save")
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    me.click(page.get_by_role("button", name="Sign and lock"), "Sign")
    page.get_by_text("Signed and locked").wait_for()

    assert len(me.actions) <= MAX_ACTIONS, me.actions
    context.close()
