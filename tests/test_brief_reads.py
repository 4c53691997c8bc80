"""The brief reads the sessions it shows, each by its own indexed query (issue 17): the last
one, the drafts, the last dosing and those the open items came from or were last reviewed in,
not every session of every course (which made it grow with the history)."""

from __future__ import annotations

from sqlalchemy import update

from tests.support.database import database
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import loaded
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
