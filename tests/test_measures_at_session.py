"""A session's questionnaires are scored against their course's baseline and the previous
score, read with those two alone, not with every questionnaire of the patient (issue 17)."""

from __future__ import annotations

from datetime import timedelta

from tests.support.histories import build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.queries import loaded
from tracker.measures.models import MeasureResponse
from tracker.measures.services import taken_at
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession


def test_a_sessions_scores_read_their_baseline_and_previous_score_only(app, db, therapist):
    pid = add_patient(app, therapist)
    ids = build_history(db, therapist.id, pid, 12)
    sessions = [db.get(TherapySession, i) for i in ids["sessions"]]
    totals = [20, 18, 15, 14, 12, 11, 9, 8, 7, 6, 5, 4]
    phq = [db_measure(db, therapist.id, pid, ids["course"], "phq9", total,
                      s.starts_at.date(), session_id=s.id) for s, total in
           zip(sessions, totals, strict=True)]
    gad = db_measure(db, therapist.id, pid, ids["course"], "gad7", 9,
                     sessions[8].starts_at.date() - timedelta(days=1), session_id=sessions[8].id)
    db.commit()
    db.expunge_all()
    with loaded(MeasureResponse) as read:
        found = taken_at(db, db.get(Patient, pid), [sessions[8].id])
    scored = {item.response.instrument: item for item in found[sessions[8].id]}
    assert scored["phq9"].response.id == phq[8].id
    assert scored["phq9"].baseline.id == phq[0].id
    assert scored["gad7"].baseline.id == gad.id  # Its own first.
    assert (scored["phq9"].change.from_baseline, scored["phq9"].change.from_previous) == (
        7 - 20, 7 - 8)
    assert sorted(read) == sorted({phq[0].id, phq[7].id, phq[8].id, gad.id})
