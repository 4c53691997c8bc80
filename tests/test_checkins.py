"""The patient's check-in link and daily check-in (issue 16): the link and the code open the
pages only together, the token leaves the address bar for a short-lived cookie scoped to
the patient pages, wrong codes lock the link, and a check-in is one per day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tests.support.checkins import check_in, checkin_form, make_link, open_link, patient_with_plan
from tests.support.database import database
from tests.support.forms import field_errors, post_with_token, text_of
from tests.support.routes import urls
from tracker import dates
from tracker.audit.models import AuditEvent
from tracker.checkins.models import Checkin, CheckinLink


@pytest.fixture
def plan(app, therapist):
    return patient_with_plan(app, therapist)


@pytest.fixture
def handover(therapist_client, plan):
    return make_link(therapist_client, plan.patient_id)


@pytest.fixture
def phone(app):
    """The patient's phone: a browser of its own, never signed in to the app."""
    return app.test_client()


def _events(app, action: str) -> int:
    with database(app) as db:
        return db.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == action))


def test_the_link_and_the_code_together_open_the_check_in(app, phone, handover):
    assert len(handover.token) >= 22  # 128 bits and more, URL-safe base64.
    assert phone.get("/c/").status_code == 401  # Nothing without the link and the code.
    page = phone.get(handover.path)
    assert page.status_code == 200 and "Enter the code" in page.get_data(as_text=True)

    response = open_link(phone, handover)

    assert response.status_code == 302 and response.headers["Location"] == "/c/"
    cookie = response.headers["Set-Cookie"]
    assert "Path=/c/" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert handover.token not in cookie  # The token left the address bar for a stand-in.
    home = phone.get("/c/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "Walk by the river" in html and "5 times a week" in html
    assert "Meet each morning with curiosity" in html
    assert home.headers["Cache-Control"] == "no-store"
    assert home.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in home.headers["Content-Security-Policy"]
    with database(app) as db:
        link = db.scalar(select(CheckinLink))
        assert handover.token not in (link.token_hash, link.code_hash)
        assert handover.code not in link.code_hash
    assert _events(app, "checkin_link_created") == 1
    assert _events(app, "checkin_link_opened") == 1


def test_wrong_codes_are_refused_and_lock_the_link_until_the_therapist_unlocks_it(
        app, phone, handover, therapist_client, plan):
    wrong = "000000" if handover.code != "000000" else "111111"
    for _ in range(app.config["CHECKIN_CODE_ATTEMPTS"] - 1):
        response = open_link(phone, handover, wrong)
        assert response.status_code == 401
        assert "That code is not right" in response.get_data(as_text=True)
    locked = open_link(phone, handover, wrong)
    assert locked.status_code == 403 and "This link is locked" in locked.get_data(as_text=True)
    assert phone.get(handover.path).status_code == 403  # No form even for the right code.
    assert _events(app, "checkin_code_refused") == app.config["CHECKIN_CODE_ATTEMPTS"]
    assert _events(app, "checkin_link_locked") == 1

    post_with_token(therapist_client, f"/patients/{plan.patient_id}/checkin-link/unlock")

    assert open_link(phone, handover).status_code == 302


def test_wrong_codes_are_rate_limited_per_address_too(app, handover, make_user, login_as):
    """Many links tried from one address: the address runs out before any link locks."""
    app.config["CHECKIN_CODE_LIMIT_PER_ADDRESS"] = "3 per minute"
    phone = app.test_client()
    wrong = "000000" if handover.code != "000000" else "111111"
    statuses = [open_link(phone, handover, wrong).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_a_new_link_revokes_the_one_before_and_its_visits(app, phone, handover,
                                                           therapist_client, plan):
    open_link(phone, handover)
    assert phone.get("/c/").status_code == 200

    newer = make_link(therapist_client, plan.patient_id)

    assert phone.get("/c/").status_code == 401  # The old visit opens nothing now.
    assert phone.get(handover.path).status_code == 404
    assert open_link(app.test_client(), newer).status_code == 302


def test_a_revoked_or_expired_link_opens_nothing(app, phone, handover, therapist_client, plan):
    open_link(phone, handover)
    post_with_token(therapist_client, f"/patients/{plan.patient_id}/checkin-link/revoke")
    assert phone.get("/c/").status_code == 401
    assert phone.get(handover.path).status_code == 404

    newer = make_link(therapist_client, plan.patient_id)
    with database(app) as db:
        link = db.scalar(select(CheckinLink).where(CheckinLink.revoked_at.is_(None)))
        link.expires_at = link.created_at - timedelta(seconds=1)
        db.commit()
    assert app.test_client().get(newer.path).status_code == 404


def test_a_check_in_is_stored_once_per_day_and_the_replaced_one_kept(app, phone, handover,
                                                                     plan):
    open_link(phone, handover)
    assert check_in(phone, plan, mood=4, message="Slept badly.").status_code == 302
    assert "checked in on 1 of the last 7 days" in text_of(phone.get("/c/").get_data(
        as_text=True))

    again = check_in(phone, plan, mood=7, practised=("no", "yes"))

    assert again.status_code == 302
    with database(app) as db:
        rows = db.scalars(select(Checkin).order_by(Checkin.id)
                          .options(selectinload(Checkin.practices))).all()
        assert [(c.mood, c.superseded_at is not None) for c in rows] == [(4, True), (7, False)]
        assert {p.strategy_id: p.practised for p in rows[1].practices} == dict(
            zip(plan.strategy_ids, ("no", "yes"), strict=True))
        assert rows[0].message == "Slept badly."
    assert _events(app, "checkin_submitted") == 1 and _events(app, "checkin_replaced") == 1
    # No earlier check-in is shown to the patient.
    assert "Slept badly." not in phone.get("/c/").get_data(as_text=True)


def test_yesterday_can_be_checked_in_but_not_three_days_ago(app, phone, handover, plan):
    open_link(phone, handover)
    offered = checkin_form(phone)
    today = dates.today()
    assert check_in(phone, plan, day=(today - timedelta(days=1)).isoformat()).status_code == 302
    response = check_in(phone, plan, day=(today - timedelta(days=3)).isoformat())
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "day")
    assert offered["day"] == today.isoformat()


def test_bad_input_is_named_next_to_the_field_and_keeps_what_was_typed(app, phone, handover,
                                                                       plan):
    open_link(phone, handover)
    form = checkin_form(phone)
    form.update(message="I want you to know the walks help.")
    form.pop("mood", None)

    response = phone.post("/c/checkin", data=form)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_errors(html, "mood") == ["Choose a number for your mood."]
    assert field_errors(html, f"practised_{plan.strategy_ids[0]}")
    assert "I want you to know the walks help." in html
    with database(app) as db:
        assert db.scalar(select(func.count()).select_from(Checkin)) == 0


def test_one_patients_visit_never_reaches_another_patients_record(app, therapist,
                                                                  therapist_client, phone,
                                                                  handover, plan):
    other = patient_with_plan(app, therapist, "Alex Kim")
    open_link(phone, handover)
    form = checkin_form(phone)
    # Answers about the other patient's strategies are not part of this patient's form.
    form.update({f"practised_{sid}": "yes" for sid in other.strategy_ids}, mood="5")
    form.update({f"practised_{sid}": "yes" for sid in plan.strategy_ids})
    assert phone.post("/c/checkin", data=form).status_code == 302
    with database(app) as db:
        [checkin] = db.scalars(select(Checkin).options(selectinload(Checkin.practices))).all()
        assert checkin.patient_id == plan.patient_id
        assert {p.strategy_id for p in checkin.practices} == set(plan.strategy_ids)
    # Nothing of the therapist's side opens with the patient's cookie.
    for endpoint, url, methods in urls(app, {"patient_id": other.patient_id, "kind": "theme",
                                             "instrument": "phq9", "code": "phq9",
                                             "filename": "favicon.svg"}):
        if endpoint.startswith(("checkin.", "static", "health.", "auth.", "csp_report")):
            continue
        if "GET" in methods:
            response = phone.get(url)
            assert response.status_code == 302, (endpoint, url)
            assert response.headers["Location"].startswith("/login"), (endpoint, url)


def test_a_therapists_login_opens_no_patient_page(therapist_client, handover):
    assert therapist_client.get("/c/").status_code == 401
    assert therapist_client.get("/c/crisis").status_code == 401


def test_the_next_session_is_set_from_the_patient_and_session_pages(app, therapist_client,
                                                                    plan):
    from tests.support.forms import form_fields

    page = therapist_client.get(f"/patients/{plan.patient_id}").get_data(as_text=True)
    form = form_fields(page, action=f"/courses/{plan.course_id}/next-session")
    day = (dates.today() + timedelta(days=5)).isoformat()
    form[f"course-{plan.course_id}-next_session_on"] = day
    response = therapist_client.post(f"/courses/{plan.course_id}/next-session", data=form)
    assert response.headers["Location"] == f"/patients/{plan.patient_id}"  # Back there.
    phone_plan = therapist_client.get(f"/patients/{plan.patient_id}/plan").get_data(
        as_text=True)
    assert "Next session:" in phone_plan
    brief = text_of(therapist_client.get(f"/patients/{plan.patient_id}/brief").get_data(
        as_text=True))
    assert f"{dates.show(dates.today() + timedelta(days=5), 'short')} next planned session" \
        in brief
    with database(app) as db:
        from tracker.courses.models import Course

        assert db.get(Course, plan.course_id).next_session_on.isoformat() == day
    refused = therapist_client.post(f"/courses/{plan.course_id}/next-session",
                                    data={**form, f"course-{plan.course_id}-next_session_on":
                                          "31/02/2027"})
    assert refused.status_code == 200
    assert "31/02/2027" in refused.get_data(as_text=True)  # Kept, with the error beside it.


def test_the_print_leaves_out_the_home_sections_without_check_ins(therapist_client, plan,
                                                                   handover, phone):
    path = f"/patients/{plan.patient_id}/progress/print"
    assert "Mood over time" not in therapist_client.get(path).get_data(as_text=True)
    open_link(phone, handover)
    check_in(phone, plan)
    assert "Mood over time" in therapist_client.get(path).get_data(as_text=True)
