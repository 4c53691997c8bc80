"""A signed session's page shows what was decided in it, read from its own rows: it carries
nothing forward (issue 17: that work cost half the page and grew with the history)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.support.database import database
from tests.support.forms import main_of
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import data_statements
from tests.support.sessions import db_session
from tests.support.sessions import signed as signed_columns
from tests.support.threads import db_belief, db_strategy, strategy_review
from tracker.courses.models import Course

# Each carry-forward thread reads its open items by the patient's id; a signed page reads
# only its own session's rows (the strategies first agreed there among them).
CARRY_QUERY = re.compile(r"FROM (beliefs|themes)\b(?! AS)", re.IGNORECASE)


def _signed_with_new_strategies(app, user, n_sessions: int) -> dict:
    pid = add_patient(app, user, f"History {n_sessions}")
    with database(app) as db:
        ids = build_history(db, user.id, pid, n_sessions)
        course = db.get(Course, ids["course"])
        start = datetime(2025, 1, 6, 10, 0) + timedelta(days=7 * n_sessions)
        signed = db_session(db, user.id, course, "integration", start, summary="Signed one",
                            **signed_columns(user.id))
        db_strategy(db, pid, signed.id, "Tea in the garden", target_per_week=3)
        db_belief(db, pid, signed.id, "I can rest")
        # "Modify" here made a new version: it shows with the review of the one it replaces.
        version = db_strategy(db, pid, signed.id, "Walk by the canal", replaces_id=ids["strategy"])
        db.add(strategy_review(signed.id, ids["strategy"], decision="modify",
                               new_strategy_id=version.id))
        db.commit()
        return {"signed": signed.id}


def test_a_signed_session_lists_its_new_strategies_without_carrying_anything(
        app, therapist, therapist_client, count_queries):
    counts = {}
    for n in (3, 30):
        url = f"/sessions/{_signed_with_new_strategies(app, therapist, n)['signed']}"
        therapist_client.get(url)
        with count_queries() as statements:
            html = therapist_client.get(url).get_data(as_text=True)
        new = main_of(html).split("<h3>New strategies</h3>", 1)[1].split("</ul>", 1)[0]
        assert "Tea in the garden, 3× a week" in new
        assert "Walk by the canal" not in new  # Shown with the review it belongs to.
        assert "Walk by the canal" in main_of(html)
        assert not [s for s in statements if CARRY_QUERY.search(s)], statements
        counts[n] = len(data_statements(statements))
    assert counts[3] == counts[30] <= 6, counts
