"""The patient's side in Chromium at phone width (issue 16): the therapist makes a check-in
link, the patient opens it on a 390 px screen, enters the code, checks in, answers the PHQ-9
that is due with item 9 above 0 and sees the crisis text at once; then the therapist sees
the flag, the practice and the message. Every page is checked by axe-core at each width and
by the Nu Html Checker."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import EMAIL, SERVER_KEY_ID, Checks
from tests.e2e.layout import WIDTHS
from tests.e2e.test_journey import check, sign_in
from tests.support.checkins import db_schedule
from tests.support.courses import db_course
from tests.support.keys import TEST_ENCRYPTION_KEY
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tests.support.threads import db_strategy
from tracker import create_app, dates
from tracker.auth.models import User
from tracker.db import get_db

MESSAGE = "The morning walks help; Sunday was hard."


@pytest.fixture
def patient(served_database):
    """A patient of the e2e therapist with a course, two agreed strategies and a PHQ-9
    every 14 days from today (so one is due), stored directly."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": served_database,
                      "ENCRYPTION_KEYS": {SERVER_KEY_ID: TEST_ENCRYPTION_KEY},
                      "ENCRYPTION_KEY_ID": SERVER_KEY_ID})
    with app.app_context():
        therapist = get_db().query(User).filter_by(email=EMAIL).one()
    patient_id = add_patient(app, therapist, "Noor Haddad")
    with app.app_context():
        db = get_db()
        course = db_course(db, patient_id, "Initial course", dates.today() - timedelta(days=30))
        session = db_session(db, therapist.id, course, "integration",
                             datetime.combine(dates.today() - timedelta(days=6),
                                              datetime.min.time()).replace(hour=10),
                             intention="Meet each morning with curiosity")
        db_strategy(db, patient_id, session.id, "A 10-minute walk after breakfast")
        db_strategy(db, patient_id, session.id, "Five minutes of journaling",
                    category="journaling", target_per_week=3)
        db_schedule(db, patient_id, therapist.id, "phq9", "every", 14, dates.today())
        db.commit()
    app.extensions["tracker.engine"].dispose()
    return patient_id


def test_the_patient_checks_in_on_a_phone_and_the_therapist_sees_it(server, browser,
                                                                     artifacts, patient):
    base, secret = server
    checks = Checks(artifacts)
    therapist = browser.new_context(base_url=base, viewport=WIDTHS["laptop"])
    therapist.set_default_timeout(10_000)
    page = therapist.new_page()
    sign_in(page, secret)
    page.goto(f"/patients/{patient}")
    page.get_by_role("link", name=re.compile("Check-in link")).click()
    page.get_by_role("button", name="Make a check-in link").click()
    link = page.locator("code.checkin-url").inner_text()
    code = page.locator("code.checkin-code").inner_text()
    assert page.locator("svg.qr").count() == 1
    check(page, checks, "checkin-link-made")

    phone = browser.new_context(viewport=WIDTHS["phone"], is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    mobile.goto(link)
    checks.page(mobile, "patient-code")
    mobile.get_by_label("Access code").fill(code)
    started = datetime.now()
    mobile.get_by_role("button", name="Open").click()
    mobile.wait_for_url(re.compile(r"/c/$"))
    assert "/c/" in mobile.url and link.rsplit("/", 1)[-1] not in mobile.url
    checks.page(mobile, "patient-home")
    for strategy in ("A 10-minute walk after breakfast", "Five minutes of journaling"):
        mobile.get_by_role("group", name=re.compile(strategy)).get_by_label(
            "Yes", exact=True).check()
    mobile.get_by_role("group", name=re.compile("Your mood")).get_by_label(
        "7", exact=True).check()
    mobile.get_by_label("Anything you'd like me to know? (optional)").fill(MESSAGE)
    mobile.get_by_role("button", name="Send check-in").click()
    mobile.get_by_text("your check-in for").wait_for()
    assert datetime.now() - started < timedelta(minutes=1)
    checks.page(mobile, "patient-checked-in")

    mobile.get_by_role("link", name="PHQ-9").click()
    checks.page(mobile, "patient-phq9")
    for group in mobile.get_by_role("group").all():
        option = group.get_by_label("Several days", exact=True)
        if option.count():
            option.check()
    mobile.get_by_role("button", name="Send my answers").click()
    mobile.wait_for_url(re.compile(r"/c/crisis$"))
    mobile.get_by_text("Your answers are not watched in real time.").wait_for()
    checks.page(mobile, "patient-crisis")

    page.goto(f"/patients/{patient}/brief")
    page.get_by_text("Safety follow-up needed.").wait_for()  # The flag...
    practice = page.locator("#since-last-time").inner_text()  # ...the practice...
    assert "A 10-minute walk after breakfast: practised on 1 of" in practice
    page.get_by_text(MESSAGE).wait_for()  # ...and the message.
    check(page, checks, "brief-between-sessions")
    page.goto("/patients/")
    page.get_by_text(re.compile("needs attention", re.IGNORECASE)).first.wait_for()
    check(page, checks, "patients-needs-attention")
    phone.close()
    therapist.close()

    errors = [m for m in checks.validate_html() if m.get("type") == "error"]
    assert not errors, "\n".join(f"{m.get('url', '').rsplit('/', 1)[-1]}: {m['message']}"
                                 for m in errors)
