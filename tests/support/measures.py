"""Questionnaires (PHQ-9, GAD-7, PCL-5): answers adding up to a total, the questionnaire
page submitted as a browser does, its safety follow-up, and stored responses (db_measure)."""

from __future__ import annotations

import re
from datetime import date

from tests.support.forms import form_fields, only_post_form
from tracker.measures.models import MeasureResponse, SafetyFollowUp

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


def follow_up(client, patient_id: int, measure_id: int, action: str, on: date | None = None):
    """Record the safety follow-up of a flagged questionnaire through its page's form."""
    path = f"/patients/{patient_id}/measures/{measure_id}"
    data = form_fields(client.get(path).get_data(as_text=True), action=f"{path}/follow-up")
    data["action"] = action
    if on is not None:
        data["followed_up_on"] = on.isoformat()
    return client.post(f"{path}/follow-up", data=data)
