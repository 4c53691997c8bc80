"""Shared builders for the outcome-measure and progress tests: answers adding up to a total,
the questionnaire form as a browser submits it, direct database inserts, and one course with
every thread the progress page draws."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from tests.sessions_helpers import db_course, db_session, only_post_form
from tracker.db import utcnow
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.sessions.models import Addendum, PsychotherapyNote
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

# Items and the highest option of each instrument (published facts, kept apart from the app).
ITEMS = {"phq9": 9, "gad7": 7, "pcl5": 20}
TOP = {"phq9": 3, "gad7": 3, "pcl5": 4}
MEASURE_ID = re.compile(r"/patients/(\d+)/measures/(\d+)$")


def answers_for(code: str, total: int, *, item_9: int = 0) -> list[int]:
    """Answers adding up to `total`, filled from item 1 (PHQ-9 item 9 fixed at `item_9`)."""
    answers = [0] * ITEMS[code]
    fixed = {8} if code == "phq9" else set()
    if code == "phq9":
        answers[8] = item_9
    left = total - sum(answers)
    for index in range(len(answers)):
        if index in fixed:
            continue
        answers[index] = min(TOP[code], left)
        left -= answers[index]
    assert left == 0, f"{code} cannot add up to {total}"
    return answers


def measure_path(patient_id: int, code: str) -> str:
    return f"/patients/{patient_id}/measures/new/{code}"


def questionnaire(client, patient_id: int, code: str, answers: list[int | None], *,
                  course_id: int | None = None, session_id: int = 0,
                  taken_on: date | str | None = None, **extra):
    """Open the questionnaire page and submit it as a browser would: the rendered defaults,
    one checked radio per answered item (None = left unanswered) and the given fields."""
    path = measure_path(patient_id, code)
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = only_post_form(page.get_data(as_text=True))
    data = {name: value for name, value in data.items() if not name.startswith("item_")}
    if course_id is not None:
        data["course_id"] = str(course_id)
    data["session_id"] = str(session_id)
    if taken_on is not None:
        data["taken_on"] = taken_on if isinstance(taken_on, str) else taken_on.isoformat()
    for number, value in enumerate(answers, start=1):
        if value is not None:
            data[f"item_{number}"] = str(value)
    data.update({name: str(value) for name, value in extra.items()})
    return client.post(path, data=data)


def saved_measure_id(response) -> int:
    """The id of the questionnaire a successful save redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    match = MEASURE_ID.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(2))


def db_measure(db, user_id: int, patient_id: int, course_id: int, code: str, total: int,
               taken_on: date, *, session_id: int | None = None, item_9: int = 0,
               followed_up: bool = False) -> MeasureResponse:
    """A stored questionnaire, inserted directly (fast, for building history)."""
    answers = answers_for(code, total, item_9=item_9)
    response = MeasureResponse(patient_id=patient_id, course_id=course_id,
                               session_id=session_id, instrument=code, taken_on=taken_on,
                               answers=answers, total=sum(answers),
                               safety_flag=code == "phq9" and item_9 > 0,
                               recorded_by_id=user_id)
    db.add(response)
    db.flush()
    if followed_up:
        db.add(SafetyFollowUp(response_id=response.id, followed_up_on=taken_on,
                              action="Safety assessment in session.", recorded_by_id=user_id))
        db.flush()
    return response


def signed(user_id: int) -> dict:
    """The columns of a signed session (for db_session)."""
    return {"status": "signed", "signed_at": utcnow(), "signed_by_id": user_id,
            "content_hash": "0" * 64}


def days_ago(n: int, hour: int = 10) -> datetime:
    return datetime.combine(date.today() - timedelta(days=n), time(hour, 0))


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

    walk = Strategy(patient_id=patient_id, category="nature", description="Walk by the river",
                    target_per_week=4, status="retired", first_session_id=s["prep"].id)
    db.add(walk)
    db.flush()
    dawn = Strategy(patient_id=patient_id, category="nature",
                    description="Walk by the river at dawn", target_per_week=5,
                    replaces_id=walk.id, first_session_id=s["int2"].id)
    journal = Strategy(patient_id=patient_id, category="journaling",
                       description="Three lines in the journal", target_per_week=7,
                       first_session_id=s["int1"].id)
    earn = Belief(patient_id=patient_id, old_belief="I have to earn love",
                  new_belief="I am worth care as I am", status="strengthening",
                  first_session_id=s["prep"].id)
    alone = Belief(patient_id=patient_id, old_belief="I am alone in this",
                   new_belief="People can reach me", first_session_id=s["int2"].id)
    ocean = Theme(patient_id=patient_id, label="the ocean", category="imagery",
                  status="resolved", first_session_id=s["int1"].id,
                  resolved_session_id=s["int3"].id)
    father = Theme(patient_id=patient_id, label="my father", category="relationship",
                   first_session_id=s["int2"].id)
    db.add_all([dawn, journal, earn, alone, ocean, father])
    db.flush()
    db.add_all([
        StrategyReview(session_id=s["int1"].id, strategy_id=walk.id, decision="continue",
                       times_practised=2, helpfulness=6),
        StrategyReview(session_id=s["int2"].id, strategy_id=walk.id, decision="modify",
                       times_practised=1, helpfulness=5, new_strategy_id=dawn.id),
        StrategyReview(session_id=s["int3"].id, strategy_id=dawn.id, decision="continue",
                       times_practised=3, helpfulness=8, barriers="Dark mornings"),
        StrategyReview(session_id=s["int2"].id, strategy_id=journal.id, decision="continue",
                       times_practised=6, helpfulness=4),
        StrategyReview(session_id=s["int3"].id, strategy_id=journal.id, decision="pause",
                       times_practised=2, helpfulness=3),
        BeliefRating(session_id=s["prep"].id, belief_id=earn.id, decision="emerging",
                     old_conviction=80, new_conviction=10),
        BeliefRating(session_id=s["int1"].id, belief_id=earn.id, decision="emerging",
                     old_conviction=60, new_conviction=40),
        BeliefRating(session_id=s["int3"].id, belief_id=earn.id, decision="strengthening",
                     old_conviction=30, new_conviction=70),
        BeliefRating(session_id=s["int2"].id, belief_id=alone.id, decision="emerging",
                     old_conviction=75, new_conviction=25),
        ThemeMention(session_id=s["int1"].id, theme_id=ocean.id, decision="raised",
                     notes="Waves, then stillness."),
        ThemeMention(session_id=s["int2"].id, theme_id=ocean.id, decision="raised"),
        ThemeMention(session_id=s["int3"].id, theme_id=ocean.id, decision="resolved"),
        ThemeMention(session_id=s["int2"].id, theme_id=father.id, decision="raised",
                     notes="His silence at dinner."),
    ])
    journal.status = "paused"
    measures = {
        "phq9": [db_measure(db, user_id, patient_id, course.id, "phq9", total,
                            s[key].starts_at.date(), session_id=s[key].id)
                 for key, total in (("prep", 18), ("int1", 12), ("int3", 8))],
        "gad7": [db_measure(db, user_id, patient_id, course.id, "gad7", total,
                            s[key].starts_at.date(), session_id=s[key].id)
                 for key, total in (("prep", 14), ("int2", 6))],
    }
    db.flush()
    return {"course": course.id, "sessions": {k: v.id for k, v in s.items()},
            "walk": walk.id, "dawn": dawn.id, "journal": journal.id, "earn": earn.id,
            "alone": alone.id, "ocean": ocean.id, "father": father.id,
            "measures": {code: [m.id for m in rows] for code, rows in measures.items()}}
