"""A therapist's whole journey in Chromium, found as a person finds things: by labels, roles
and names. Every page it reaches is checked by axe-core and, at the end, by the Nu Html
Checker; screenshots of the main pages at laptop and tablet width go to tests/e2e/artifacts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import EMAIL, PASSWORD, Checks
from tests.e2e.layout import WIDTHS, obscured_focus
from tests.e2e.printed import check_printed
from tests.support.codes import fresh_code

LAPTOP, TABLET = WIDTHS["laptop"], WIDTHS["tablet"]
# The section headings of the print views, none of which may end a printed page.
PRINT_HEADINGS = ["Outcome measures", "Belief trajectories", "Strategy practice",
                  "Theme recurrence", "Sessions", "Each cell:", "Vital signs"]


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
    page.get_by_label("Code").fill(fresh_code(secret))
    if checks:
        check(page, checks, "login-code")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/patients/|/sessions/"))


def start_session(page, kind: str, day: date) -> None:
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Kind of session").select_option(label=kind)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_role("button", name="Start documenting").click()
    page.wait_for_url(re.compile(r"/sessions/\d+/edit$"))


def focus_text(page) -> str:
    return page.evaluate("() => (document.activeElement.labels?.[0]?.textContent || "
                         "document.activeElement.textContent || '').trim()")


def decide_with_the_keyboard(page, wanted: dict[str, str], limit: int = 600) -> None:
    """Tab through the page from the summary, pressing Space on each wanted decision (a
    radio button labelled with a key, inside the fieldsets naming the item), until the
    "Save and review for signing" button has the focus."""
    page.get_by_label("Summary (progress note)").focus()
    done = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate("""() => {
            const el = document.activeElement;
            const legends = [];
            for (let f = el.closest("fieldset"); f; f = f.parentElement?.closest("fieldset"))
                legends.push(f.querySelector("legend")?.textContent || "");
            const text = el.type === "submit" ? el.value
                : (el.labels?.[0]?.textContent || el.textContent || "");
            return {type: el.type || "", text: text.trim(), legend: legends.join(" ")};
        }""")
        text = focus["text"]
        label = next((label for label, item in wanted.items() if item in focus["legend"]),
                     None)
        if focus["type"] == "radio" and label is not None and label not in done:
            # Tab enters a radio group once; the arrow keys move (and check) within it.
            for _ in range(8):
                if focus_text(page) == label:
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
            done.add(focus_text(page))
        if (focus["type"] == "submit" and text == "Save and review for signing"
                and done == set(wanted)):
            return
    raise AssertionError(f"Save was not reached by Tab; decided {done}; last {focus}")


def in_the_dark(page, checks: Checks) -> None:
    """With the system in dark mode the app is dark too, and still passes axe (contrast
    included); with reduced motion asked for, nothing moves."""
    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    try:
        assert page.evaluate("""() => {
            const [r, g, b] = getComputedStyle(document.body).backgroundColor
                .match(/\\d+/g).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }""") < 0.25, "the page stays light in dark mode"
        checks.page(page, "brief-dark")
        assert page.evaluate("getComputedStyle(document.querySelector('.button'))"
                             ".transitionDuration") in ("0s", "1e-05s")
    finally:
        page.emulate_media(color_scheme="light", reduced_motion="no-preference")
    assert page.evaluate("getComputedStyle(document.querySelector('.button'))"
                         ".transitionDuration") not in ("0s", "1e-05s")


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
    # New items start collapsed to their "Add" buttons; the script adds a block in place.
    for kind in ("theme", "belief", "strategy"):
        page.get_by_role("button", name=f"Add a {kind}").click()
    page.get_by_label("Theme, in the client's words").first.fill("The ocean")
    page.get_by_label("Old belief or pattern").first.fill("I must hold everything together")
    page.get_by_label("Emerging belief or pattern").first.fill("I can let others help")
    page.get_by_label("Strategy", exact=True).first.fill("A 10-minute walk after lunch")
    page.get_by_label("Times a week").first.fill("5")
    page.get_by_role("button", name="Save and review for signing").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_text("Signed and locked").wait_for()

    # Dosing, with vitals at the three timepoints; the carried items are not discussed.
    page.goto(patient_url)
    start_session(page, "Dosing", start + timedelta(days=3))
    page.get_by_label("Summary (progress note)").fill("First dosing session, 0.5 mg/kg IM.")
    page.get_by_label("Dose (mg)", exact=True).fill("32")
    page.get_by_label("Dose given at").fill("10:15")
    for timepoint, values in (("Baseline (before dosing)", ("124", "78", "72", "98")),
                              ("About 40 minutes", ("142", "88", "80", "97")),
                              ("At discharge", ("126", "80", "74", "98"))):
        for measure, value in zip(("Systolic (mmHg)", "Diastolic (mmHg)",
                                   "Heart rate (beats per minute)", "SpO2 (%)"), values,
                                  strict=True):
            page.get_by_label(f"{timepoint}: {measure}").fill(value)
    for label in page.get_by_label("Not discussed").all():
        label.check()
    check(page, checks, "session-dosing")
    page.get_by_role("button", name="Save and review for signing").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    page.get_by_text("142/88").first.wait_for()
    page.get_by_role("button", name="Sign and lock").click()
    page.get_by_text("Signed and locked").wait_for()

    # Questionnaires: a PHQ-9 and a GAD-7, every item answered.
    for name, answer in (("PHQ-9", "Several days"), ("GAD-7", "Several days")):
        page.goto(patient_url)
        page.get_by_role("link", name="Progress").first.click()
        page.get_by_role("link", name=name, exact=True).click()
        for group in page.get_by_role("group").all():
            option = group.get_by_label(answer, exact=True)
            if option.count():
                option.check()
        check(page, checks, f"questionnaire-{name.lower()}")
        page.get_by_role("button", name="Save and score").click()
        page.wait_for_url(re.compile(r"/measures/\d+$"))
        page.get_by_text("Total").first.wait_for()
        check(page, checks, f"score-{name.lower()}")

    # Integration, with the keyboard alone: what came up before comes back for a decision.
    page.goto(patient_url)
    start_session(page, "Integration", start + timedelta(days=7))
    for name in ("The ocean", "I must hold everything together", "A 10-minute walk after lunch"):
        page.get_by_text(name).first.wait_for()
    check(page, checks, "session-integration", shots=True)
    for width in ("laptop", "phone"):
        page.set_viewport_size(WIDTHS[width])
        assert obscured_focus(page) == [], f"the save bar hides the focus at {width}"
    page.set_viewport_size(LAPTOP)
    page.get_by_label("Summary (progress note)").fill("Integration: the ocean felt calmer.")
    decide_with_the_keyboard(page, {"Continue": "A 10-minute walk",
                                    "Strengthening": "hold everything together",
                                    "Came up": "The ocean"})
    page.keyboard.press("Enter")  # On "Save and review for signing", reached by Tab.
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
    in_the_dark(page, checks)

    # The print views and an error page.
    page.goto(patient_url)
    page.get_by_role("link", name="printable course summary").click()
    check(page, checks, "print-course")
    check_printed(page, PRINT_HEADINGS, most_pages=3)
    page.goto(patient_url)
    page.get_by_role("link", name="printable sessions").click()
    check(page, checks, "print-sessions")
    check_printed(page, PRINT_HEADINGS, most_pages=4)
    page.goto("/patients/999999")
    page.get_by_text("Not found").first.wait_for()
    check(page, checks, "error-404")
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


def test_nothing_typed_is_lost_to_an_idle_sign_out(journey):
    """The server's idle limit is one minute here (conftest). A note typed and then left
    alone outlives the sign-out: after signing in again it is back on the page."""
    page, secret, checks = journey
    sign_in(page, secret)
    page.get_by_role("link", name="New patient").first.click()
    page.get_by_label("Name", exact=True).fill("Daniel Reyes")
    page.get_by_role("button", name="Save patient").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title").fill("Course")
    page.get_by_label("Start date").fill(date.today().isoformat())
    page.get_by_label("Planned dosing sessions").fill("3")
    page.get_by_role("button", name="Save course").click()
    start_session(page, "Preparation", date.today())
    session_url = page.url
    note = " ".join(["He described the weight on his chest lifting as the music rose."] * 40)
    page.get_by_label("Summary (progress note)").fill(note)
    page.get_by_text("Draft autosaved at").wait_for(timeout=20_000)
    # The typing counts as activity, which the page reports once within a minute; then a
    # minute with no activity at all ends the login.
    page.wait_for_timeout(130_000)
    page.goto(session_url)
    page.wait_for_url(re.compile(r"/login"))
    sign_in(page, secret)
    page.goto(session_url)
    assert page.get_by_label("Summary (progress note)").input_value() == note
