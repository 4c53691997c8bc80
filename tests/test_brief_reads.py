"""The brief reads the sessions it shows (issue 17): the last one, the drafts, the last dosing
and those the open items came from or were last reviewed in, not every session of every
course (which made it grow with the history), in a fixed number of statements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import update

from tests.support.database import database
from tests.support.dosing import db_dosing
from tests.support.forms import main_of
from tests.support.histories import build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.queries import data_statements, loaded
from tests.support.sessions import db_session, signed
from tracker.courses.models import Course
from tracker.sessions.models import TherapySession


def test_the_brief_loads_only_the_sessions_it_shows(app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    with database(app) as db:
        ids = build_history(db, therapist.id, pid, 40)  # Dosing, integration, ... weekly.
        sessions = ids["sessions"]
        draft = sessions[10]
        db.execute(update(TherapySession).where(TherapySession.id != draft)
                   .values(status="signed"))
        db.commit()
    with loaded(TherapySession) as read:
        page = therapist_client.get(f"/patients/{pid}/brief")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/sessions/{draft}/edit"' in html
    assert '<span class="stat">20/' in html  # The doses given in the course.
    # The last (an integration), the last dosing before it, the draft, and the first one,
    # where the open items came from.
    assert sorted(set(read)) == sorted({sessions[-1], sessions[-2], draft, sessions[0]})


BRIEF_STATEMENTS = 8  # Issue 17's budget, the sign-in's included.
TODAY = date.today()


def _patient_with_a_dosing_to_watch(app, user, n_sessions: int) -> int:
    """n weekly sessions ending yesterday; the last dosing with an SpO2 of 88 % at its peak
    and a booster; an answer to item 9 long ago, never followed up; a PHQ-9 after the last
    session; a draft for tomorrow."""
    pid = add_patient(app, user, f"Brief {n_sessions}")
    with database(app) as db:
        start = datetime.combine(TODAY, time(10)) - timedelta(days=7 * n_sessions - 6)
        ids = build_history(db, user.id, pid, n_sessions, start=start)
        course = db.get(Course, ids["course"])
        dosing = db_session(db, user.id, course, "dosing",
                            datetime.combine(TODAY, time(9)) - timedelta(days=2),
                            **signed(user.id))
        db_dosing(db, dosing.id, boosters=[{"dose_mg": Decimal("10")}],
                  vitals=[{"timepoint": "peak", "spo2": 88, "heart_rate": 80}])
        db_measure(db, user.id, pid, course.id, "phq9", 14, start.date(), item_9=1)
        db_measure(db, user.id, pid, course.id, "phq9", 9, TODAY)
        db_session(db, user.id, course, "integration",
                   datetime.combine(TODAY + timedelta(days=1), time(15)))
        db.commit()
    return pid


def test_the_brief_reads_a_fixed_number_of_statements(
        app, therapist, therapist_client, count_queries):
    counts = {}
    for n in (4, 60):
        url = f"/patients/{_patient_with_a_dosing_to_watch(app, therapist, n)}/brief"
        therapist_client.get(url)
        with count_queries() as statements:
            html = main_of(therapist_client.get(url).get_data(as_text=True))
        counts[n] = len(data_statements(statements))
        assert f'<span class="stat">{n // 2 + 1}/' in html  # The doses given by now.
        assert "SpO2 88% at about 40 minutes" in html  # The last dosing's alert.
        assert "item 9" in html  # The flag of long ago, never followed up.
        assert "<strong>9</strong>" in html  # The PHQ-9 since the last session.
        assert "/edit" in html  # The draft for tomorrow.
    assert counts[4] == counts[60] <= BRIEF_STATEMENTS, counts
