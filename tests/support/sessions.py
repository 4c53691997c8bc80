"""Therapy sessions: stored directly (db_session, db_sign), or through the pages as a
therapist documents them (start_session, edit_page, decide, save_page, sign, add_addendum);
the `practice` fixture, a signed-in therapist with a patient and a course."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.support.courses import make_course
from tests.support.forms import form_fields, only_post_form, text_of
from tests.support.patients import add_patient
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.export.session_record import HASH_VERSION, content_hash, session_record_options
from tracker.sessions.models import TherapySession
from tracker.sessions.services import SESSION_PAGE_OPTIONS

SESSION_ID = re.compile(r"/sessions/(\d+)/edit$")
MAR = {day: date(2026, 3, day) for day in range(1, 32)}  # The days of March 2026.


# Stored directly ------------------------------------------------------------------------


def db_session(db, user_id: int, course: Course, kind: str, starts_at: datetime,
               **fields) -> TherapySession:
    session = TherapySession(patient_id=course.patient_id, course_id=course.id, kind=kind,
                             starts_at=starts_at,
                             duration_minutes=fields.pop("duration_minutes", 50),
                             created_by_id=user_id, **fields)
    db.add(session)
    db.flush()
    return session


def signed(user_id: int) -> dict:
    """The columns of a signed session (for db_session), with a stand-in content hash."""
    return {"status": "signed", "signed_at": utcnow(), "signed_by_id": user_id,
            "content_hash": "0" * 64, "hash_version": 2}


def db_sign(db, session_id: int, user_id: int, at: datetime) -> TherapySession:
    """Sign a stored session the way the signing service does: the content hash of the
    session as loaded from the database."""
    db.expunge_all()
    session = db.scalars(select(TherapySession).where(TherapySession.id == session_id)
                         .options(*session_record_options())).one()
    session.content_hash = content_hash(session)
    session.hash_version = HASH_VERSION
    session.status = "signed"
    session.signed_at = at.astimezone(UTC)
    session.signed_by_id = user_id
    db.flush()
    return session


def days_ago(n: int, hour: int = 10) -> datetime:
    return datetime.combine(date.today() - timedelta(days=n), time(hour, 0))


def load_session(db, session_id: int) -> TherapySession:
    """A session as the pages load it (every collection the carry-forward reads)."""
    return db.scalars(select(TherapySession).where(TherapySession.id == session_id)
                      .options(*SESSION_PAGE_OPTIONS)).unique().one()


# Through the pages ----------------------------------------------------------------------


def start_session(client, patient_id: int, course_id: int, kind: str, day: date, *,
                  start_time: str = "10:00", duration: int = 50) -> int:
    """Start a session through the new-session page; returns the new session's id."""
    path = f"/patients/{patient_id}/sessions/new"
    data = only_post_form(client.get(path).get_data(as_text=True))
    data.update(course_id=str(course_id), kind=kind, session_date=day.isoformat(),
                start_time=start_time, duration_minutes=str(duration))
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = SESSION_ID.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def edit_page(client, session_id: int, query: str = "") -> tuple[str, dict]:
    """GET the edit page: (html, the session form as a browser would submit it)."""
    response = client.get(f"/sessions/{session_id}/edit{query}")
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    html = response.get_data(as_text=True)
    return html, form_fields(html, form_id="session-form")


def carried_ids(form: dict, prefix: str) -> dict[int, int]:
    """item id -> entry index for one list of carried items (strategies, beliefs, themes)."""
    found = {}
    for name, value in form.items():
        match = re.fullmatch(rf"{prefix}-(\d+)-item_id", name)
        if match:
            found[int(value)] = int(match.group(1))
    return found


def decide(form: dict, prefix: str, item_id: int, decision: str, **values) -> dict:
    """Set the decision (and other sub-fields) of one carried item in a parsed form."""
    index = carried_ids(form, prefix)[item_id]
    form[f"{prefix}-{index}-decision"] = decision
    for name, value in values.items():
        form[f"{prefix}-{index}-{name}"] = str(value)
    return form


def decide_all(form: dict, *, strategies="continue", beliefs="strengthening",
               themes="raised") -> dict:
    """Give every carried item without a decision the given one."""
    for prefix, decision in (("strategies", strategies), ("beliefs", beliefs),
                             ("themes", themes)):
        for index in carried_ids(form, prefix).values():
            form.setdefault(f"{prefix}-{index}-decision", decision)
    return form


def save(client, session_id: int, form: dict, button: str = "save"):
    """POST the edit form with one of its submit buttons, as a browser does."""
    data = {**form, button: "1"}
    return client.post(f"/sessions/{session_id}/edit", data=data)


def save_page(client, session_id: int, button: str = "save", **changes):
    """Open the edit page, decide every undecided carried item, apply changes, save."""
    _, form = edit_page(client, session_id)
    decide_all(form)
    form.update({name: str(value) for name, value in changes.items()})
    response = save(client, session_id, form, button)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:3000]
    return response


def sign(client, session_id: int):
    """Sign through the session page's sign form."""
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    data = form_fields(html, action=f"/sessions/{session_id}/sign")
    return client.post(f"/sessions/{session_id}/sign", data=data)


def add_addendum(client, session_id: int, body: str):
    """Add an addendum to a signed session through the form on its page."""
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    data = form_fields(page, action=f"/sessions/{session_id}/addenda")
    return client.post(f"/sessions/{session_id}/addenda", data={**data, "body": body})


class Practice:
    """A signed-in therapist's client, one patient (70 kg) and one course made through the
    pages; start() opens a session in it (a day of March 2026, or a date)."""

    def __init__(self, client, patient: int, course: int):
        self.client, self.patient, self.course = client, patient, course

    def start(self, kind: str, day: int | date, client=None) -> int:
        when = MAR[day] if isinstance(day, int) else day
        return start_session(client or self.client, self.patient, self.course, kind, when)


@pytest.fixture
def practice(app, therapist, therapist_client) -> Practice:
    patient_id = add_patient(app, therapist, weight_kg=Decimal("70.0"))
    return Practice(therapist_client, patient_id, make_course(therapist_client, patient_id))
