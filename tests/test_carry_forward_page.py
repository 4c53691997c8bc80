"""The carry-forward page (a draft's edit page) written with plain controls
(tracker/controls.py): the same page as through WTForms' widgets, errors next to their
fields with what was typed kept, and a fixed number of statements of its own."""

from __future__ import annotations

import re
import traceback
from decimal import Decimal

import pytest
from sqlalchemy import event
from wtforms import Form

from tests.support.checkins import db_checkin, db_link
from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import field_errors, form_fields
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import data_statements
from tests.support.sessions import carried_ids, days_ago, db_session, edit_page, save, signed
from tests.support.threads import (
    belief_rating,
    db_belief,
    db_strategy,
    db_theme,
    strategy_review,
    theme_mention,
)
from tracker import controls
from tracker.courses.models import Course
from tracker.dosing.forms import DosingForm

# What differs from one request to the next: the CSRF token and the tab's editor id.
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
EDITOR = re.compile(r'(id="editor_id" name="editor_id" type="hidden" value)="[^"]*"')


@pytest.fixture
def draft(app, therapist, therapist_client):
    """An integration draft after a dose: a strategy to review (with the patient's check-ins
    since the dose), one paused, a belief, two themes, and, saved in the draft already, the
    walk modified, the belief rated and a theme, a belief and a strategy added."""
    pid = add_patient(app, therapist, weight_kg=Decimal("70.0"))
    with database(app) as db:
        course = db_course(db, pid, start=(days_ago(30)).date())
        prep = db_session(db, therapist.id, course, "preparation", days_ago(20),
                          **signed(therapist.id))
        walk = db_strategy(db, pid, prep.id, 'A "short" walk <after> lunch')
        db_strategy(db, pid, prep.id, "Journal at night", status="paused",
                    category="journaling", target_per_week=3)
        belief = db_belief(db, pid, prep.id)
        ocean = db_theme(db, pid, prep.id)
        db_theme(db, pid, prep.id, "my father's voice")
        dose = db_session(db, therapist.id, course, "dosing", days_ago(10),
                          **signed(therapist.id))
        db.add_all([strategy_review(dose.id, walk.id, times_practised=3, helpfulness=6,
                                    barriers="Rain & wind"),
                    belief_rating(dose.id, belief.id, old_conviction=70, new_conviction=30),
                    theme_mention(dose.id, ocean.id, notes="Waves")])
        link = db_link(db, pid, therapist.id)
        for ago, answer in ((8, "yes"), (6, "little"), (4, "no")):
            db_checkin(db, link, (days_ago(ago)).date(), practised={walk.id: answer})
        sid = db_session(db, therapist.id, course, "integration", days_ago(1),
                         follows_dosing_id=dose.id).id
        db.commit()
    _, form = edit_page(therapist_client, sid)
    strategies = carried_ids(form, "strategies")
    walk_index = strategies[walk.id]
    form.update({f"strategies-{walk_index}-decision": "modify",
                 f"strategies-{walk_index}-new_description": "Walk at dawn",
                 f"strategies-{walk_index}-new_target": "4",
                 f"beliefs-{carried_ids(form, 'beliefs')[belief.id]}-decision": "strengthening",
                 "new_themes-0-label": "the lighthouse", "new_themes-0-notes": "Bright",
                 "new_beliefs-0-old_belief": "I am alone",
                 "new_beliefs-0-new_belief": "I can ask", "new_beliefs-0-old_conviction": "80",
                 "new_strategies-0-description": "Call a friend",
                 "new_strategies-0-target_per_week": "2", "summary": "Calmer."})
    assert save(therapist_client, sid, form).status_code == 302
    return sid


@pytest.fixture
def widgets(app, monkeypatch):
    """Render the page's controls through WTForms' widgets instead (as before)."""
    def use_widgets():
        for name, render in {"control": lambda f, **kw: f(**kw),
                             "label": lambda f, **kw: f.label(**kw),
                             "radios": lambda f: [(o(), o.label.text) for o in f],
                             "hidden_controls": lambda form: form.hidden_tag()}.items():
            monkeypatch.setattr(controls, name, render)
            monkeypatch.setitem(app.jinja_env.globals,
                                "control_label" if name == "label" else name, render)

    return use_widgets


def _page(response) -> str:
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return EDITOR.sub(r'\1="…"', html.replace(TOKEN.search(html).group(1), "…"))


def test_the_page_is_the_one_the_widgets_write(therapist_client, draft, widgets):
    client = therapist_client
    client.get(f"/sessions/{draft}/edit")  # (Shows the fixture's "Session saved.")
    html = _page(client.get(f"/sessions/{draft}/edit"))
    for wanted in ('id="carried-strategy-', 'id="carried-belief-', 'id="carried-theme-',
                   "Walk at dawn", "the lighthouse", "Call a friend",
                   'id="reported-', "Paused", 'A &#34;short&#34; walk &lt;after&gt; lunch'):
        assert wanted in html, wanted
    assert re.search(r'<input checked id="strategies-\d-decision-1" name="strategies-\d-decision"'
                     r' type="radio" value="modify">', html)
    widgets()
    assert _page(client.get(f"/sessions/{draft}/edit")) == html


def test_errors_stand_next_to_their_fields_with_what_was_typed(therapist_client, draft,
                                                               widgets):
    client = therapist_client
    _, form = edit_page(client, draft)
    typed = {"strategies-0-times_practised": "501", "strategies-0-helpfulness": "ten",
             "strategies-1-decision": "modify", "strategies-1-new_description": "",
             "beliefs-0-new_conviction": "150", "duration_minutes": "0",
             "themes-0-notes": "Waves again", "added_themes-0-label": ""}
    response = save(client, draft, {**form, **typed})
    html = _page(response)
    expected = {"strategies-0-times_practised": ["Enter 0 to 500."],
                "strategies-0-helpfulness": ["Not a valid integer value.", "Enter 0 to 10."],
                "strategies-1-new_description": ["Describe the modified strategy."],
                "beliefs-0-new_conviction": ["Enter a number from 0 to 100."],
                "duration_minutes": ["Number must be between 1 and 720."],
                "added_themes-0-label": ["A theme needs a name; remove it instead."]}
    for field_id, messages in expected.items():
        assert field_errors(html, field_id) == messages, field_id
        tag = re.search(rf'<(input|textarea)[^>]*id="{field_id}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag and f'{field_id}-error' in tag, tag
    kept = form_fields(html, form_id="session-form")
    for name, value in typed.items():
        assert kept[name] == value, name
    assert "Some entries need attention" in html
    widgets()  # The same page, written by the widgets.
    assert _page(save(client, draft, {**form, **typed})) == html


def _own_statements(statements_and_stacks) -> list[str]:
    """The page's own statements: run inside the view, the carry-forward's computation
    (tracker/threads/) aside; signing in and the audit trail run outside it."""
    return [statement for statement, stack in statements_and_stacks
            if any(f.name == "edit" and f.filename.endswith("sessions/views.py") for f in stack)
            and not any("/tracker/threads/" in f.filename for f in stack)]


def _patient(app, user, name, n_sessions) -> int:
    """A patient with n sessions of history (each reviewing a strategy, a belief, a theme),
    checking in, and a draft integration session after them."""
    pid = add_patient(app, user, name, weight_kg=Decimal("70.0"))
    with database(app) as db:
        ids = build_history(db, user.id, pid, n_sessions, start=days_ago(7 * n_sessions + 7))
        link = db_link(db, pid, user.id, token_hash=f"{pid:064x}")
        for ago in (5, 3):
            db_checkin(db, link, (days_ago(ago)).date(), practised={ids["strategy"]: "yes"})
        course = db.get(Course, ids["course"])
        draft = db_session(db, user.id, course, "integration", days_ago(1),
                           follows_dosing_id=ids["sessions"][-2])
        db.commit()
        return draft.id


def test_the_page_runs_a_fixed_number_of_statements(app, therapist, therapist_client):
    client = therapist_client
    engine = app.extensions["tracker.engine"]
    counts = {}
    for label, n in (("short", 4), ("long", 40)):
        draft = _patient(app, therapist, f"Patient {label}", n)
        client.get(f"/sessions/{draft}/edit")  # Warm.
        seen = []

        def record(conn, cursor, statement, *args, seen=seen):
            seen.append((statement, traceback.extract_stack()))

        event.listen(engine, "before_cursor_execute", record)
        try:
            html = client.get(f"/sessions/{draft}/edit").get_data(as_text=True)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert 'id="reported-' in html
        counts[label] = (len(data_statements([s for s, _ in seen])),
                         len(data_statements(_own_statements(seen))))
    assert counts["short"] == counts["long"], counts
    # Issue 17's budget, 8 with the sign-in's: the session; its record with the user's drafts
    # and note (tracker/sessions/record_rows.py); the sessions around it; every thread's
    # items with their last values (tracker/threads/carry.py); the check-ins; where it
    # stands in its course.
    assert counts["long"][0] <= 8, "\n".join(x[:150] for x in _own_statements(seen))


def test_only_a_dosing_session_builds_the_dosing_fields(therapist_client, draft, monkeypatch):
    built = []
    monkeypatch.setattr(DosingForm, "__init__", lambda self, *a, **kw: (
        built.append(1), Form.__init__(self, *a, **kw))[-1])
    html = therapist_client.get(f"/sessions/{draft}/edit").get_data(as_text=True)
    assert 'name="summary"' in html and 'name="dosing-' not in html
    assert built == []
