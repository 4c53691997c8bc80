"""Carry-forward reads only the sessions its items need (issue 17): the ones after the
session, the last few before it and those the open items came from or were last reviewed
in, not the patient's whole history (which made the brief and the editing page grow with it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event

from tests.support.histories import build_history
from tests.support.patients import add_patient
from tracker.sessions.models import TherapySession
from tracker.threads.carry import carry_for


def test_carry_forward_loads_the_sessions_of_its_items_not_the_history(app, db, therapist):
    pid = add_patient(app, therapist)
    ids = build_history(db, therapist.id, pid, 40)
    db.commit()
    db.expunge_all()
    upcoming = TherapySession(id=0, patient_id=pid, starts_at=datetime(2026, 1, 1, 9, 0))
    loaded = []

    def record(target, context):
        loaded.append(target.id)

    event.listen(TherapySession, "load", record)
    try:
        carry = carry_for(db, upcoming)
    finally:
        event.remove(TherapySession, "load", record)
    first, last = ids["sessions"][0], ids["sessions"][-1]
    assert {i.record.id for i in carry.strategies} == {ids["strategy"]}
    for item in carry.items:  # Where each came from and was last reviewed, as before.
        assert (item.origin.id, item.last_session.id) == (first, last)
        assert item.last.session_id == last
    assert sorted(loaded) == [first, last]
