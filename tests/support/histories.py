"""Whole histories, stored directly (fast, whatever their length): a long run of sessions
reviewing the same items (build_history), and one course with everything the progress page
draws (build_course)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.support.courses import db_course
from tests.support.dosing import db_dosing
from tests.support.measures import db_measure
from tests.support.sessions import days_ago, db_session, signed
from tests.support.threads import (
    belief_rating,
    db_belief,
    db_strategy,
    db_theme,
    strategy_review,
    theme_mention,
)
from tracker.sessions.models import Addendum, PsychotherapyNote


def build_history(db, user_id: int, patient_id: int, n_sessions: int, *,
                  start: datetime = datetime(2025, 1, 6, 10, 0),
                  kinds: tuple[str, ...] = ("dosing", "integration"),
                  summary: str = "History {i}", dosing: bool = False,
                  addenda: bool = False) -> dict:
    """n signed-off looking weekly sessions (of `kinds` in turn; an integration follows the
    session before it) in which a strategy, a belief and a theme are reviewed every time,
    each with a private note, and with `dosing` a dosing record (a booster, vitals) and with
    `addenda` an addendum; returns the ids."""
    course = db_course(db, patient_id, "History course", start.date())
    sessions = []
    for i in range(n_sessions):
        kind = kinds[i % len(kinds)]
        follows = sessions[-1].id if kind == "integration" else None
        sessions.append(db_session(db, user_id, course, kind, start + timedelta(days=7 * i),
                                   follows_dosing_id=follows, summary=summary.format(i=i)))
    first = sessions[0].id
    strategy = db_strategy(db, patient_id, first, "Walk by the river")
    belief = db_belief(db, patient_id, first, "I am worth care as I am")
    theme = db_theme(db, patient_id, first, "the ocean")
    rows = []
    for i, session in enumerate(sessions):
        rows += [
            strategy_review(session.id, strategy.id, times_practised=i % 6, helpfulness=i % 10),
            belief_rating(session.id, belief.id, "emerging", old_conviction=60, new_conviction=40),
            theme_mention(session.id, theme.id, notes=f"Mention {i}"),
            PsychotherapyNote(session_id=session.id, author_id=user_id, body=f"Private {i}"),
        ]
        if addenda:
            rows.append(Addendum(session_id=session.id, author_id=user_id, body="Addendum."))
        if dosing:
            db_dosing(db, session.id, boosters=[{"dose_mg": Decimal("10.0")}],
                      vitals=[{"timepoint": "baseline", "systolic": 120}])
    db.add_all(rows)
    db.flush()
    return {"course": course.id, "sessions": [s.id for s in sessions], "strategy": strategy.id,
            "belief": belief.id, "theme": theme.id}


PRIVATE_NOTE = "ZEBRA-PRIVATE-7781 the therapist's own process note"


def build_course(db, user_id: int, patient_id: int) -> dict:
    """One course, relative to today, with everything the progress page shows:

    preparation (35 days ago), dose 1 (28), integration 1 (27, signed, one addendum),
    dose 2 (14, signed), integration 2 (13, signed), dose 3 (3), integration 3 (2, a draft).
    "Walk by the river" (target 4) is modified in integration 2 into "Walk by the river at
    dawn" (target 5), practised 3 times by integration 3. Two beliefs; "the ocean" comes up
    twice and is resolved in integration 3; "my father" comes up in integration 2. PHQ-9 at
    preparation (18), integration 1 (12) and integration 3 (8); GAD-7 at preparation (14)
    and integration 2 (6). Every session has a private note."""
    course = db_course(db, patient_id, "Initial course", start=date.today() - timedelta(days=40))
    s = {}
    s["prep"] = db_session(db, user_id, course, "preparation", days_ago(35),
                           summary="Preparation summary.", **signed(user_id))
    s["dose1"] = db_session(db, user_id, course, "dosing", days_ago(28),
                            summary="First dose summary.", **signed(user_id))
    s["int1"] = db_session(db, user_id, course, "integration", days_ago(27),
                           follows_dosing_id=s["dose1"].id,
                           summary="First integration summary.", **signed(user_id))
    s["dose2"] = db_session(db, user_id, course, "dosing", days_ago(14),
                            summary="Second dose summary.", **signed(user_id))
    s["int2"] = db_session(db, user_id, course, "integration", days_ago(13),
                           follows_dosing_id=s["dose2"].id,
                           summary="Second integration summary.", **signed(user_id))
    s["dose3"] = db_session(db, user_id, course, "dosing", days_ago(3),
                            intention="Stay with the wave.", summary="Third dose summary.")
    s["int3"] = db_session(db, user_id, course, "integration", days_ago(2),
                           follows_dosing_id=s["dose3"].id,
                           intention="Notice the pull to please others.",
                           summary="Talked about the dawn walks and the ocean image.")
    db.add(Addendum(session_id=s["int1"].id, author_id=user_id,
                    body="Addendum: the patient called to add a detail."))
    db.add_all(PsychotherapyNote(session_id=x.id, author_id=user_id, body=PRIVATE_NOTE)
               for x in s.values())
    sid = {key: session.id for key, session in s.items()}

    walk = db_strategy(db, patient_id, sid["prep"], target_per_week=4, status="retired")
    dawn = db_strategy(db, patient_id, sid["int2"], "Walk by the river at dawn",
                       replaces_id=walk.id)
    journal = db_strategy(db, patient_id, sid["int1"], "Three lines in the journal",
                          category="journaling", target_per_week=7)
    earn = db_belief(db, patient_id, sid["prep"], status="strengthening")
    alone = db_belief(db, patient_id, sid["int2"], "People can reach me",
                      old_belief="I am alone in this")
    ocean = db_theme(db, patient_id, sid["int1"], "the ocean", status="resolved",
                     resolved_session_id=sid["int3"])
    father = db_theme(db, patient_id, sid["int2"], "my father", category="relationship")
    db.add_all([
        strategy_review(sid["int1"], walk.id, times_practised=2, helpfulness=6),
        strategy_review(sid["int2"], walk.id, "modify", times_practised=1, helpfulness=5,
                        new_strategy_id=dawn.id),
        strategy_review(sid["int3"], dawn.id, times_practised=3, helpfulness=8,
                        barriers="Dark mornings"),
        strategy_review(sid["int2"], journal.id, times_practised=6, helpfulness=4),
        strategy_review(sid["int3"], journal.id, "pause", times_practised=2, helpfulness=3),
        belief_rating(sid["prep"], earn.id, "emerging", old_conviction=80, new_conviction=10),
        belief_rating(sid["int1"], earn.id, "emerging", old_conviction=60, new_conviction=40),
        belief_rating(sid["int3"], earn.id, "strengthening", old_conviction=30, new_conviction=70),
        belief_rating(sid["int2"], alone.id, "emerging", old_conviction=75, new_conviction=25),
        theme_mention(sid["int1"], ocean.id, notes="Waves, then stillness."),
        theme_mention(sid["int2"], ocean.id),
        theme_mention(sid["int3"], ocean.id, "resolved"),
        theme_mention(sid["int2"], father.id, notes="His silence at dinner."),
    ])
    journal.status = "paused"
    measures = {
        "phq9": [db_measure(db, user_id, patient_id, course.id, "phq9", total,
                            s[key].starts_at.date(), session_id=sid[key])
                 for key, total in (("prep", 18), ("int1", 12), ("int3", 8))],
        "gad7": [db_measure(db, user_id, patient_id, course.id, "gad7", total,
                            s[key].starts_at.date(), session_id=sid[key])
                 for key, total in (("prep", 14), ("int2", 6))],
    }
    db.flush()
    return {"course": course.id, "sessions": sid,
            "walk": walk.id, "dawn": dawn.id, "journal": journal.id, "earn": earn.id,
            "alone": alone.id, "ocean": ocean.id, "father": father.id,
            "measures": {code: [m.id for m in rows] for code, rows in measures.items()}}
