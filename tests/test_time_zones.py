"""The practice's time zone (issue 13): "today", date defaults, date checks and every time
shown follow it, at both ends of the day, east and west of the server (UTC), and across a
daylight-saving change. Times stay stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import field_errors, only_post_form, text_of
from tests.support.measures import measure_path, questionnaire, saved_measure_id
from tests.support.patients import add_patient
from tests.support.sessions import db_session, signed
from tracker import ConfigError, create_app, dates, settings_store
from tracker.auth.models import User

AUCKLAND, LOS_ANGELES, BERLIN = "Pacific/Auckland", "America/Los_Angeles", "Europe/Berlin"


@pytest.fixture
def clock(monkeypatch):
    """Set the UTC time the app sees."""
    def at(*when):
        monkeypatch.setattr(dates, "_clock", lambda: datetime(*when, tzinfo=UTC))
    return at


def set_practice_zone(app, name: str) -> None:
    with database(app) as db:
        settings_store.set_setting(db, settings_store.TIMEZONE, name)
        db.commit()


def birth_date_refused(client, patient_id: int, day: date) -> list[str]:
    page = client.get(f"/patients/{patient_id}/edit").get_data(as_text=True)
    data = {**only_post_form(page), "date_of_birth": day.isoformat()}
    response = client.post(f"/patients/{patient_id}/edit", data=data)
    return field_errors(response.get_data(as_text=True), "date_of_birth") \
        if response.status_code == 200 else []


# Today, east and west, at both ends of the day ------------------------------------------

@pytest.mark.parametrize(("zone", "utc", "today"), [
    # Auckland is 13 hours east in December: 07:31 on the 2nd is 18:31 UTC on the 1st.
    (AUCKLAND, (2026, 12, 1, 18, 31), date(2026, 12, 2)),
    (AUCKLAND, (2026, 12, 1, 10, 59), date(2026, 12, 1)),  # 23:59 in Auckland
    # Los Angeles is 8 hours west: 22:00 on the 1st is 06:00 UTC on the 2nd.
    (LOS_ANGELES, (2026, 12, 2, 6, 0), date(2026, 12, 1)),
    (LOS_ANGELES, (2026, 12, 1, 8, 1), date(2026, 12, 1)),  # 00:01 in Los Angeles
])
def test_today_is_the_practices_today(app, therapist, therapist_client, clock, zone, utc,
                                      today):
    set_practice_zone(app, zone)
    clock(*utc)
    patient_id = add_patient(app, therapist)
    # Its today is accepted, its tomorrow is "in the future".
    assert birth_date_refused(therapist_client, patient_id, today) == []
    tomorrow = date.fromordinal(today.toordinal() + 1)
    assert birth_date_refused(therapist_client, patient_id, tomorrow) == [
        "The date of birth cannot be in the future."]
    # A new session defaults to that today.
    page = therapist_client.get(f"/patients/{patient_id}/courses/new")
    assert page.status_code == 200
    with database(app) as db:
        db_course(db, patient_id)
        db.commit()
    form = only_post_form(therapist_client.get(f"/patients/{patient_id}/sessions/new")
                          .get_data(as_text=True))
    assert form["session_date"] == today.isoformat()


# Times shown in the zone, named ----------------------------------------------------------

def test_stored_utc_times_are_shown_in_the_zone_with_its_name(app, therapist,
                                                              therapist_client, clock):
    set_practice_zone(app, AUCKLAND)
    clock(2026, 12, 1, 18, 31)
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course = db_course(db, patient_id)
        session = db_session(db, therapist.id, course, "preparation",
                             datetime(2026, 12, 2, 9, 0), summary="Prepared.",
                             **{**signed(therapist.id),
                                "signed_at": datetime(2026, 12, 1, 20, 15, tzinfo=UTC)})
        db.commit()
        session_id = session.id
    page = text_of(therapist_client.get(f"/sessions/{session_id}").get_data(as_text=True))
    assert "on 02 Dec 2026 09:15 NZDT" in page  # 20:15 UTC on the 1st
    assert "UTC" not in page
    # The session's start is the practice's wall-clock time, shown as typed.
    assert "Wed 02 Dec 2026, 09:00" in page


def test_an_account_may_choose_its_own_zone(app, therapist, therapist_client, clock):
    set_practice_zone(app, AUCKLAND)
    clock(2026, 12, 1, 18, 31)
    page = therapist_client.get("/account/time-zone").get_data(as_text=True)
    assert "The practice's (Pacific/Auckland)" in text_of(page)
    assert "Wed 02 Dec 2026, 07:31 NZDT" in text_of(page)
    data = {**only_post_form(page), "timezone": LOS_ANGELES}
    assert therapist_client.post("/account/time-zone", data=data).status_code == 302
    with database(app) as db:
        assert db.scalar(select(User.timezone).where(User.id == therapist.id)) == LOS_ANGELES
    page = therapist_client.get("/account/time-zone").get_data(as_text=True)
    assert "Tue 01 Dec 2026, 10:31 PST" in text_of(page)
    refused = therapist_client.post("/account/time-zone",
                                    data={**only_post_form(page), "timezone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert field_errors(refused.get_data(as_text=True), "timezone") == ["Not a valid choice."]


def test_practice_settings_choose_the_practice_zone(app, make_user, login_as, clock):
    admin = login_as(make_user(email="admin@example.org", name="Admin", is_admin=True))
    page = admin.get("/admin/settings").get_data(as_text=True)
    data = {**only_post_form(page), "timezone": BERLIN}
    assert admin.post("/admin/settings", data=data).status_code == 302
    with app.app_context():
        assert dates.practice_zone_name() == BERLIN


# Across a daylight-saving change ----------------------------------------------------------

@pytest.mark.parametrize(("utc", "shown"), [
    # Berlin moves from CET (+1) to CEST (+2) at 01:00 UTC on 29 March 2026.
    ((2026, 3, 29, 0, 30), "29 Mar 2026 01:30 CET"),
    ((2026, 3, 29, 1, 30), "29 Mar 2026 03:30 CEST"),
    # And back at 01:00 UTC on 25 October: 02:30 happens twice, told apart by its name.
    ((2026, 10, 25, 0, 30), "25 Oct 2026 02:30 CEST"),
    ((2026, 10, 25, 1, 30), "25 Oct 2026 02:30 CET"),
])
def test_times_across_a_daylight_saving_change(app, utc, shown):
    set_practice_zone(app, BERLIN)
    with app.app_context():
        assert dates.show(datetime(*utc, tzinfo=UTC), "date_time") == shown


def test_the_practice_zone_setting_is_checked(app_config):
    app = create_app({**app_config, "PRACTICE_TIMEZONE": AUCKLAND})
    with app.app_context():
        assert dates.practice_zone_name() == AUCKLAND
    with pytest.raises(ConfigError, match="PRACTICE_TIMEZONE"):
        create_app({**app_config, "PRACTICE_TIMEZONE": "Auckland"})


def test_from_auckland_at_0731_today_is_a_valid_questionnaire_date(app, therapist,
                                                                  therapist_client, clock):
    """The case seen: 07:31 on 2 December in Auckland (18:31 UTC on the 1st) refused
    "The date cannot be in the future" for today's questionnaire."""
    set_practice_zone(app, AUCKLAND)
    clock(2026, 12, 1, 18, 31)
    patient_id = add_patient(app, therapist)
    with database(app) as db:
        course_id = db_course(db, patient_id).id
        db.commit()
    page = therapist_client.get(measure_path(patient_id, "gad7")).get_data(as_text=True)
    assert only_post_form(page)["taken_on"] == "2026-12-02"  # The default is today there.
    response = questionnaire(therapist_client, patient_id, "gad7", [1] * 7,
                             course_id=course_id, taken_on=date(2026, 12, 2))
    saved_measure_id(response)


def test_the_export_names_the_practice_zone_and_its_day(app, therapist, therapist_client,
                                                         clock):
    """At 07:31 on 2 December in Auckland (18:31 UTC on the 1st) the download is dated the
    2nd, and the document says which zone its wall-clock times are in."""
    set_practice_zone(app, AUCKLAND)
    clock(2026, 12, 1, 18, 31)
    pid = add_patient(app, therapist)
    response = therapist_client.get(f"/patients/{pid}/export.json")
    assert response.get_json()["practice_time_zone"] == AUCKLAND
    assert "-record-2026-12-02.json" in response.headers["Content-Disposition"]
