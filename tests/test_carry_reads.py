"""Carry-forward reads only the sessions its items need (issue 17): the ones after the
session, the last few before it and those the open items came from or were last reviewed
in, not the patient's whole history (which made the brief and the editing page grow with it)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event

from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.queries import loaded
from tracker.sessions.kinds import THREADS
from tracker.sessions.models import TherapySession
from tracker.slots import read
from tracker.threads.carry import _carry_statement, carry_for


def test_carry_forward_loads_the_sessions_of_its_items_not_the_history(app, db, therapist):
    pid = add_patient(app, therapist)
    ids = build_history(db, therapist.id, pid, 40)
    db.commit()
    db.expunge_all()
    upcoming = TherapySession(id=0, patient_id=pid, starts_at=datetime(2026, 1, 1, 9, 0))
    with loaded(TherapySession) as read:
        carry = carry_for(db, upcoming)
    first, last = ids["sessions"][0], ids["sessions"][-1]
    assert {i.record.id for i in carry.strategies} == {ids["strategy"]}
    for item in carry.items:  # Where each came from and was last reviewed, as before.
        assert (item.origin.id, item.last_session.id) == (first, last)
        assert item.last.session_id == last
    assert sorted(read) == [first, last]


def test_last_values_walk_back_from_the_session_not_through_the_history(app, db, therapist):
    """Each open item's last review is found by walking the patient's sessions back by
    their index until one has it (usually the last one), with no sort of all its rows: the
    three threads' items and last values are one statement (tracker/slots.py), which sorts
    only the rows it returns."""
    engine = app.extensions["tracker.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL plans its own)")
    pid = add_patient(app, therapist)
    build_history(db, therapist.id, pid, 12)
    db.commit()
    captured = []

    def capture(conn, cursor, statement, parameters, *args):
        if "FROM (SELECT 1 AS slot" in statement and "EXPLAIN" not in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        carry_for(db, TherapySession(id=0, patient_id=pid, starts_at=datetime(2026, 1, 1)))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = captured
    plan = {row[0]: row[1:] for row in db.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters)}
    last_values = [node for node, (_, _, step) in plan.items()
                   if step.startswith("CORRELATED SCALAR SUBQUERY")]
    assert len(last_values) == 3  # strategies, beliefs, themes
    for node in last_values:
        steps = [step for parent, _, step in plan.values() if parent == node]
        assert any("ix_therapy_sessions_patient_id_starts_at" in step for step in steps), steps
        assert not [step for step in steps if "TEMP B-TREE" in step or "SCAN" in step], steps
    scans = {step for _, _, step in plan.values() if step.startswith("SCAN ")}
    assert scans <= {"SCAN slots", "SCAN CONSTANT ROW"} | {
        step for step in scans if step.startswith("SCAN (subquery-")}, scans


def test_one_threads_items_never_walk_the_history_for_anothers_rows(app, db, therapist):
    """The three threads share one statement: the walk back to an item's last value must
    run for that thread's rows only. Run for the other parts' rows, whose item is NULL, it
    found nothing and walked every session (the brief grew 2x from 10 to 1,000 sessions).
    Counted in SQLite's virtual-machine steps, which do not depend on the machine's load."""
    engine = app.extensions["tracker.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's step counter (PostgreSQL plans its own)")
    steps = {}
    for n in (10, 300):
        pid = add_patient(app, therapist, f"Steps {n}")
        build_history(db, therapist.id, pid, n)
        db.commit()
        parts, statement = _carry_statement(THREADS)
        values = {"patient_id": pid, "session_id": 0, "starts_at": datetime(2027, 1, 1, 9, 0),
                  "recent_ids": [], **{f"current_{thread}": [] for thread in THREADS}}
        counted = [0]

        def count(counted=counted):
            counted[0] += 1
            return 0

        raw = db.connection().connection.driver_connection
        raw.set_progress_handler(count, 10)
        try:
            found = read(db, parts, statement, values)
        finally:
            raw.set_progress_handler(None, 10)
        db.rollback()  # Its read transaction ends before the next patient is added.
        assert [len(rows) for rows in found] == [1, 1, 0]  # A strategy, a belief; no theme.
        assert all(row[1] is not None for rows in found for row in rows)  # Their last values.
        steps[n] = counted[0]
    # Walking the history for every other part's row made it 9.7x (231 to 2,235 steps of
    # ten); starting each walk at the patient's newest session, not at this one (an OR of
    # two ranges is no range of the index), 2.9x.
    assert steps[300] < 1.3 * steps[10], steps
