"""A therapist's whole journey in Chromium, found as a person finds things: by labels, roles
and names. Every page it reaches is checked by axe-core and, at the end, by the Nu Html
Checker; screenshots of the main pages at laptop and tablet width go to tests/e2e/artifacts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pyotp
import pytest

from tests.e2e.conftest import EMAIL, PASSWORD, Checks

LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def journey(server, browser, artifacts):
    base, secret = server
    context = browser.new_context(base_url=base, viewport=LAPTOP, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    checks = Checks(artifacts)
    yield page, secret, checks
    # Where the journey ended, for a failure's report.
    page.screenshot(path=str(artifacts / "last-page.png"), full_page=True)
    (artifacts / "last-page.txt").write_text(f"{page.url}\n{page.inner_text('body')}")
    context.close()


def check(page, checks: Checks, name: str, *, shots: bool = False) -> None:
    """axe on the page as it is; its HTML as the server sent it, for the HTML checker."""
    html = page.request.get(page.url).text()
    checks.page(page, name, html)
    if shots:
        page.screenshot(path=str(checks.folder / f"{name}-laptop.png"), full_page=True)
        page.set_viewport_size(TABLET)
        page.screenshot(path=str(checks.folder / f"{name}-tablet.png"), full_page=True)
        page.set_viewport_size(LAPTOP)


def sign_in(page, secret: str, checks: Checks | None = None) -> None:
    page.goto("/login")
    if checks:
        check(page, checks, "login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    if checks:
        check(page, checks, "login-code")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/patients/$"))


def start_session(page, kind: str, day: date) -> None:
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Kind of session").select_option(label=kind)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_role("button", name="Start documenting").click()
    page.wait_for_url(re.compile(r"/sessions/\d+/edit$"))


def test_a_therapists_journey(journey):
    page, secret, checks = journey
    sign_in(page, secret, checks)
    check(page, checks, "patients-empty")

    # A new patient.
    page.get_by_role("link", name="New patient").first.click()
    page.get_by_label("Name", exact=True).fill("Maya Okafor")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_label("Weight").fill("64.5")
    check(page, checks, "patient-new")
    page.get_by_role("button", name="Save patient").click()
    page.wait_for_url(re.compile(r"/patients/\d+$"))
    patient_url = page.url

    # A course.
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title").fill("Initial ketamine course")
    page.get_by_label("Start date").fill((date.today() - timedelta(days=21)).isoformat())
    page.get_by_label("Planned dosing sessions").fill("6")
    page.get_by_label("Status").select_option(label="Active")
    check(page, checks, "course-new")
    page.get_by_role("button", name="Save course").click()
    page.wait_for_url(patient_url)

    # Preparation: an intention, a theme, a belief and a strategy.
    start = date.today() - timedelta(days=14)
    start_session(page, "Preparation", start)
    check(page, checks, "session-preparation")
    page.get_by_label("Intention").fill("To meet my grief with less fear")
    page.get_by_label("Summary (progress note)").fill(
        "Set intentions; discussed the dosing day. Ocean imagery from a recurring dream.")
    page.get_by_label("Theme, in the client's words").first.fill("The ocean")
    page.get_by_label("Old belief or pattern").first.fill("I must hold everything together")
    page.get_by_label("Emerging belief or pattern").first.fill("I can let others help")
    page.get_by_label("Strategy", exact=True).first.fill("A 10-minute walk after lunch")
    page.get_by_label("Times a week").first.fill("5")
    page.get_by_role("button", name="Save and review for signing").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_text("Signed and locked").wait_for()

    # Integration: what came up before comes back and gets a decision.
    page.goto(patient_url)
    start_session(page, "Integration", start + timedelta(days=7))
    for name in ("The ocean", "I must hold everything together", "A 10-minute walk after lunch"):
        page.get_by_text(name).first.wait_for()
    check(page, checks, "session-integration", shots=True)
    page.get_by_label("Summary (progress note)").fill("Integration: the ocean felt calmer.")
    page.get_by_role("group", name=re.compile("A 10-minute walk")).get_by_label(
        "Continue").check()
    page.get_by_role("group", name=re.compile("hold everything together")).get_by_label(
        "Strengthening").check()
    page.get_by_role("group", name=re.compile("The ocean")).get_by_label("Came up").first.check()
    page.get_by_role("button", name="Save and review for signing").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_text("Signed and locked").wait_for()
    page.get_by_label("Addendum").fill("Correction: the walk is after lunch, not after dinner.")
    page.get_by_role("button", name="Add addendum").click()
    page.get_by_text("Addendum added").wait_for()
    check(page, checks, "session-signed", shots=True)

    # Progress, brief, search, export.
    page.goto(patient_url)
    check(page, checks, "patient", shots=True)
    page.get_by_role("link", name="Progress").first.click()
    check(page, checks, "progress", shots=True)
    page.goto(patient_url)
    page.get_by_role("link", name="Brief").first.click()
    check(page, checks, "brief", shots=True)
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Words").fill("calmer ocean")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("Integration session").first.wait_for()
    check(page, checks, "search")
    page.goto(patient_url)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download record (JSON)").click()
    assert download.value.suggested_filename.startswith("maya-okafor-record-")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))

    messages = checks.validate_html()
    errors = [m for m in messages if m.get("type") == "error"]
    assert not errors, "\n".join(f"{m.get('url', '').rsplit('/', 1)[-1]}: {m['message']}"
                                 for m in errors)
