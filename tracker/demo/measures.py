"""Demo questionnaires: PHQ-9 and GAD-7 for everyone (PCL-5 for trauma work), improving
over the course, with one PHQ-9 item 9 flag followed up and one still open, and an
incomplete PHQ-9 kept (unscored) because its item 9 answer raised the flag."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.measures import services
from tracker.measures.instruments import INSTRUMENTS
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession

# Totals at preparation, first, second and third integration session.
TRAJECTORIES = {
    "Maya Okafor": {"phq9": [19, 15, 11, 8], "gad7": [12, 10, 8, 6]},
    "Daniel Reyes": {"phq9": [16, 13, 12, 9], "gad7": [15, 12, 9, 7]},
    "Priya Natarajan": {"phq9": [13, 11, 8, 6], "gad7": [16, 13, 9, 6],
                        "pcl5": [49, 41, 33, 24]},
    "Thomas Becker": {"phq9": [22, 17, 12, 4], "gad7": [9, 7, 5, 4]},
    "Alex Kim": {"phq9": [14, 12, 10, 9], "gad7": [17, 15, 12, 10]},
    "Rosa Delgado": {"phq9": [20, 16, 14, 12], "gad7": [11, 9, 8, 7]},
}
MEASURED_AT = (0, 2, 5, 7)  # Indexes in the course plan (tracker.demo.course.PLAN).
# (patient, PHQ-9 number) whose item 9 is above 0, and whether it was followed up.
ITEM_9 = {("Daniel Reyes", 0): True, ("Rosa Delgado", 3): False}
# patient -> (index in the course plan, answers) of an incomplete PHQ-9 that raised the flag:
# filled in at a check-in, stopped after three items; item 9 answered "Several days".
PARTIAL = {"Alex Kim": (3, [2, 1, None, None, None, None, None, None, 1])}
# The PCL-5's index event (clinical text, as the patient named it).
INDEX_EVENT = {"Priya Natarajan": "The car accident in 2021 on the coast road"}


def answers_for(code: str, total: int, item_9: int = 0) -> list[int]:
    """Answers adding up to `total`, spread over the items (item 9 as given for PHQ-9)."""
    instrument = INSTRUMENTS[code]
    top = max(option.value for option in instrument.options)
    answers = [0] * len(instrument.items)
    fixed = {instrument.safety_item: item_9} if instrument.safety_item is not None else {}
    for index, value in fixed.items():
        answers[index] = value
    left = total - sum(fixed.values())
    free = [i for i in range(len(answers)) if i not in fixed]
    while left > 0:
        for index in free:
            if left and answers[index] < top:
                answers[index] += 1
                left -= 1
    return answers


def seed_measures(db: Session, therapist: User, patient: Patient, course: Course,
                  sessions: list[TherapySession]) -> None:
    for code, totals in TRAJECTORIES[patient.display_name].items():
        for number, (index, total) in enumerate(zip(MEASURED_AT, totals, strict=True)):
            session = sessions[index]
            flagged = code == "phq9" and (patient.display_name, number) in ITEM_9
            response = services.record_response(
                db, therapist, patient, instrument=code, course=course, session=session,
                taken_on=session.starts_at.date(),
                answers=answers_for(code, total, item_9=1 if flagged else 0),
                index_event=INDEX_EVENT.get(patient.display_name)
                if INSTRUMENTS[code].event_question else None)
            if flagged and ITEM_9[(patient.display_name, number)]:
                services.record_follow_up(
                    db, therapist, response,
                    followed_up_on=session.starts_at.date() + timedelta(days=1),
                    action="Safety assessment by phone: passive thoughts, no plan or intent. "
                           "Safety plan written together; crisis line number given; "
                           "prescriber informed.")
    if patient.display_name in PARTIAL:
        index, answers = PARTIAL[patient.display_name]
        session = sessions[index]
        services.record_response(
            db, therapist, patient, instrument="phq9", course=course, session=session,
            taken_on=session.starts_at.date(), answers=answers)
