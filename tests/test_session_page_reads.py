"""A session's page reads its record in a fixed number of statements, whatever it holds and
however long the course is (issue 17: eleven statements, one per collection, and the course's
every session read for "dose 3 of 6"): the decisions, addenda, boosters, vital signs, the
strategies first agreed in it and the reader's own private note come in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from tests.support.database import database
from tests.support.dosing import db_dosing
from tests.support.forms import main_of
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import data_statements
from tests.support.sessions import db_session
from tests.support.sessions import signed as signed_columns
from tests.support.threads import (
    belief_rating,
    db_belief,
    db_strategy,
    db_theme,
    strategy_review,
)
from tracker.courses.models import Course
from tracker.sessions.models import Addendum, PsychotherapyNote

SESSION_PAGE_STATEMENTS = 6  # Issue 17's budget, sign-in included.


def _dosing_with_everything(app, user, colleague, n_sessions: int) -> dict:
    """After n weekly sessions of dosing and integration, a signed dosing session (with two
    boosters, three readings of vital signs, two addenda, a new strategy, a theme and a belief
    rated, a private note of the reader's and one of a colleague's) and the integration
    session two days after it."""
    pid = add_patient(app, user, f"Everything {n_sessions}")
    with database(app) as db:
        ids = build_history(db, user.id, pid, n_sessions)
        course = db.get(Course, ids["course"])
        start = datetime(2025, 1, 6, 10, 0) + timedelta(days=7 * n_sessions)
        dosing = db_session(db, user.id, course, "dosing", start, summary="The dosing",
                            **signed_columns(user.id))
        db_dosing(db, dosing.id, boosters=[{"dose_mg": Decimal("12.5"), "given_at": time(10, 40)},
                                           {"dose_mg": Decimal("7.5")}],
                  vitals=[{"timepoint": "baseline", "systolic": 121, "heart_rate": 71},
                          {"timepoint": "peak", "systolic": 142, "heart_rate": 88},
                          {"timepoint": "discharge", "systolic": 118, "heart_rate": 66}])
        db_strategy(db, pid, dosing.id, "Tea in the garden", target_per_week=3)
        db.add(strategy_review(dosing.id, ids["strategy"], decision="continue",
                               times_practised=4))
        db_theme(db, pid, dosing.id, "a lighthouse", mentions=[(dosing.id, "raised")])
        db.add(belief_rating(dosing.id, db_belief(db, pid, dosing.id, "I can ask for help").id,
                             new_conviction=60))
        db.add_all([Addendum(session_id=dosing.id, author_id=user.id, body="Second addendum",
                             created_at=datetime(2026, 2, 2, 9, 0, tzinfo=UTC)),
                    Addendum(session_id=dosing.id, author_id=user.id, body="First addendum",
                             created_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC)),
                    PsychotherapyNote(session_id=dosing.id, author_id=user.id,
                                      body="My own private note"),
                    PsychotherapyNote(session_id=dosing.id, author_id=colleague.id,
                                      body="A colleague's private note")])
        after = db_session(db, user.id, course, "integration", start + timedelta(days=2),
                           follows_dosing_id=dosing.id, **signed_columns(user.id))
        db.commit()
        return {"dosing": dosing.id, "after": after.id, "doses": n_sessions // 2 + 1}


def test_the_whole_record_in_a_fixed_number_of_statements(
        app, therapist, make_user, therapist_client, count_queries):
    colleague = make_user(email="colleague@example.org", name="A Colleague")
    counts = {}
    for n in (2, 40):
        ids = _dosing_with_everything(app, therapist, colleague, n)
        url = f"/sessions/{ids['dosing']}"
        therapist_client.get(url)
        with count_queries() as statements:
            page = main_of(therapist_client.get(url).get_data(as_text=True))
        counts[n] = len(data_statements(statements))
        assert "12.5 mg at 10:40; 7.5 mg" in page
        assert page.index(">142/") < page.index(">118/")  # The readings in their order.
        assert page.index("First addendum") < page.index("Second addendum")
        assert "Tea in the garden, 3× a week" in page
        assert "a lighthouse" in page and "I can ask for help" in page
        assert "My own private note" in page
        assert "A colleague's private note" not in page
        assert f"dose {ids['doses']} of" in page
    assert counts[2] == counts[40] <= SESSION_PAGE_STATEMENTS, counts


def test_the_day_after_a_dose_is_counted_without_reading_the_course(
        app, therapist, make_user, therapist_client, count_queries):
    colleague = make_user(email="colleague@example.org", name="A Colleague")
    for n in (2, 40):
        ids = _dosing_with_everything(app, therapist, colleague, n)
        with count_queries() as statements:
            page = main_of(therapist_client.get(f"/sessions/{ids['after']}")
                           .get_data(as_text=True))
        assert f"Day 2 after dose {ids['doses']}" in page
        # The course's sessions are counted by its index, never read row by row.
        assert not [s for s in statements if "ORDER BY therapy_sessions.starts_at" in s]
        assert len(data_statements(statements)) <= SESSION_PAGE_STATEMENTS
