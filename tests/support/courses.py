"""Courses of treatment: stored directly (db_course) or created through the new-course page
(make_course)."""

from __future__ import annotations

import re
from datetime import date

from tests.support.forms import only_post_form
from tracker.courses.models import Course


def db_course(db, patient_id: int, title: str = "Course", start: date = date(2026, 1, 1), *,
              planned: int = 6, **fields) -> Course:
    """A course of ketamine sessions (racemic, IM), inserted directly."""
    course = Course(patient_id=patient_id, title=title, start_date=start,
                    planned_dosing_sessions=planned,
                    default_medication=fields.pop("default_medication", "racemic_ketamine"),
                    default_route=fields.pop("default_route", "im"), **fields)
    db.add(course)
    db.flush()
    return course


def make_course(client, patient_id: int, title: str = "Initial course", *,
                start: date = date(2026, 3, 1), planned: int = 6,
                medication: str = "racemic_ketamine", route: str = "im") -> int:
    """Create a course through its page; returns its id (read from the patient page)."""
    path = f"/patients/{patient_id}/courses/new"
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = only_post_form(page.get_data(as_text=True))
    data.update(title=title, start_date=start.isoformat(), planned_dosing_sessions=str(planned),
                default_medication=medication, default_route=route, status="active")
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    show = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    ids = re.findall(rf"/patients/{patient_id}/courses/(\d+)/edit", show)
    assert ids, "the new course is not listed on the patient page"
    return max(int(i) for i in ids)
