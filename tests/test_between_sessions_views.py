"""What the therapist sees of the weeks between sessions (issue 16): the brief's "since last
time", the carry-forward's patient-reported count, the progress page's practice calendar,
mood chart and at-home points, the print's practice figures, and every at-home score marked
as patient-reported."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.support.checkins import db_checkin, db_home_measure, db_reports, patient_reporting
from tests.support.database import database
from tests.support.forms import form_fields, main_of, text_of
from tests.support.measures import db_measure
from tests.support.queries import queries_per_page
from tests.support.sessions import carried_ids, decide_all, edit_page, save, start_session
from tracker.checkins.models import CheckinLink
from tracker.threads.models import StrategyReview

TODAY = date.today()
HOME = "patient-reported (at home)"


def _words(html: str) -> str:
    """The text as read: no space left before a colon or comma where a tag ended."""
    return re.sub(r" ([:,])", r"\1", text_of(html))


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def who(app, therapist):
    """Last session 10 days ago; check-ins on 5 of the 10 days since, one of them replaced."""
    who = patient_reporting(app, therapist)
    db_reports(app, who, {
        9: (4, "", "yes", "no"),
        7: (5, "Slept badly after the argument", "little", "yes"),
        5: (6, "", "yes", None),
        3: (7, "", "no", "little"),
        1: (8, "Walked with my sister, felt close", "yes", "yes"),
        12: (2, "Before the session: not counted", "yes", "yes"),  # before the last session
    })
    with database(app) as db:
        db_checkin(db, db.get(CheckinLink, who.link_id), TODAY - timedelta(days=3), mood=1,
                   message="Replaced: never shown", superseded=True,
                   practised={sid: "yes" for sid in who.strategy_ids})
        db_measure(db, therapist.id, who.patient_id, who.course_id, "phq9", 14,
                   TODAY - timedelta(days=10), session_id=who.session_id)
        db_home_measure(db, who, therapist.id, "phq9", 9, TODAY - timedelta(days=2))
        db.commit()
    return who


def test_the_brief_shows_practice_beside_the_target_mood_messages_and_home_scores(
        therapist_client, who):
    html = therapist_client.get(f"/patients/{who.patient_id}/brief").get_data(as_text=True)
    since = _section(html, "since-last-time")
    text = _words(since)
    assert "patient-reported" in text
    # Walk: yes on days 9, 5, 1 and "a little" on day 7 -> 4 of 10 days, target 5 a week.
    assert ("Walk by the river: practised on 4 of 10 days (3 yes, 1 a little), not on 1 · "
            "target 5× a week (about 7 in 10 days)") in text
    # Journaling: yes on 7 and 1, a little on 3, no on 9 (day 5 left it out).
    assert ("Five minutes of journaling: practised on 3 of 10 days (2 yes, 1 a little), "
            "not on 1 · target 3× a week") in text
    assert "a check-in on 5 of them" in text
    # Mood as a small server-drawn chart, 5 points, with its numbers in a table.
    chart = re.search(r'<svg[^>]*id="brief-mood".*?</svg>', since, re.S).group(0)
    assert chart.count("<title>Mood (patient-reported): ") == 5 and "<script" not in since
    assert "Mood by day, patient-reported" in since
    # Messages, newest first, with their day, marked as the patient's.
    newest = since.index("Walked with my sister")
    older = since.index("Slept badly after the argument")
    assert newest < older
    assert (TODAY - timedelta(days=1)).strftime("%d %b") in since[newest - 200:newest]
    assert "Before the session" not in html and "Replaced: never shown" not in html
    # The at-home PHQ-9 is listed and marked; the one taken in session is not marked.
    assert HOME in _section(html, "since-last-time")
    measures = _section(html, "since-heading")
    assert measures.count(HOME) == 1 and measures.count("PHQ-9,") == 2


def test_the_brief_without_check_ins_says_so(app, therapist, therapist_client):
    who = patient_reporting(app, therapist)
    text = _words(_section(therapist_client.get(f"/patients/{who.patient_id}/brief")
                            .get_data(as_text=True), "since-last-time"))
    assert "practised on 0 of 10 days" in text
    assert "No check-in since then." in text and "None answered at home since then." in text


def test_the_brief_escapes_the_patients_message(app, therapist, therapist_client):
    who = patient_reporting(app, therapist)
    db_reports(app, who, {1: (5, '<img src=x onerror="alert(1)">', "yes", "yes")})
    html = therapist_client.get(f"/patients/{who.patient_id}/brief").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def _history(app, therapist, name: str, checkins: int):
    """A patient with `checkins` daily check-ins (and messages) before and after the last
    session, and at-home questionnaires every week."""
    who = patient_reporting(app, therapist, name)
    db_reports(app, who, {ago: (ago % 11, f"Note {ago}" if ago % 3 == 0 else "",
                                ("yes", "little", "no")[ago % 3], "yes" if ago % 2 else None)
                          for ago in range(checkins)})
    with database(app) as db:
        for week in range(checkins // 7 + 1):
            db_home_measure(db, who, therapist.id, "phq9", 10 + week % 5,
                            TODAY - timedelta(days=7 * week))
        db.commit()
    return who


def test_pages_use_a_constant_number_of_queries_whatever_the_check_ins(
        app, therapist, therapist_client, count_queries):
    few, many = _history(app, therapist, "Few Checkins", 6), _history(app, therapist,
                                                                    "Many Checkins", 90)

    def pages(who):
        return {"brief": f"/patients/{who.patient_id}/brief",
                "progress": f"/patients/{who.patient_id}/progress",
                "progress print": f"/patients/{who.patient_id}/progress/print"}

    def check(page, response):
        html = response.get_data(as_text=True)
        assert "patient-reported" in (html if page == "progress print" else main_of(html))

    counts = {label: queries_per_page(therapist_client, count_queries, pages(who), check)
              for label, who in (("few", few), ("many", many))}
    assert counts["few"] == counts["many"], counts


def test_progress_has_a_practice_calendar_per_strategy_and_mood_over_time(
        therapist_client, who):
    html = therapist_client.get(f"/patients/{who.patient_id}/progress").get_data(as_text=True)
    walk, journal = who.strategy_ids
    monday = TODAY - timedelta(days=TODAY.weekday() + 7 * 7)
    days = (TODAY - monday).days + 1
    calendar = html[html.index(f'id="calendar-{walk}"'):html.index(f'id="calendar-{journal}"')]
    # Yes on days 12, 9, 5 and 1 ago, a little on 7, no on 3 (the days before the session too).
    assert (f"Walk by the river: practised on 5 of {days} days (4 yes, 1 a little) · "
            "target 5× a week") in _words(calendar)
    little = (TODAY - timedelta(days=7)).strftime("%d %b")
    assert f'<span class="visually-hidden">{little}: a little</span>' in calendar
    assert calendar.count("calendar__day--yes") == 4 and calendar.count("calendar__day--no") == 1
    assert calendar.count("<tr><th scope=\"row\">") == 8  # eight weeks, Monday first
    mood = re.search(r'<svg[^>]*id="chart-mood".*?</svg>', html, re.S).group(0)
    assert mood.count("<title>Mood (patient-reported): ") == 6
    assert "Mood by day (6 check-ins)" in html


def test_at_home_scores_are_a_distinct_point_style_in_the_chart_legend_and_table(
        therapist_client, who):
    html = therapist_client.get(f"/patients/{who.patient_id}/progress").get_data(as_text=True)
    chart = re.search(r'<svg[^>]*id="chart-phq9".*?</svg>', html, re.S).group(0)
    home_points = re.findall(r'<polygon class="series__point series__point--home"[^>]*>'
                             r"<title>([^<]*)</title>", chart)
    # One point answered at home, plus its legend entry; the in-session one stays a circle.
    assert len(home_points) == 2
    assert "9 on " in home_points[0] and "patient-reported, at home" in home_points[0]
    assert home_points[1] == "At home (patient-reported)"
    assert 'class="legend__item legend__item--home"' in chart
    assert "1 answered at home by the patient (patient-reported)" in chart
    table = html[html.index("PHQ-9 scores"):html.index("</table>", html.index("PHQ-9 scores"))]
    assert "1 answered at home: patient-reported" in table
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)[1:]
    assert [HOME in row for row in rows] == [False, True]


def test_a_chart_without_home_scores_has_no_home_legend(app, therapist, therapist_client):
    who = patient_reporting(app, therapist)
    with database(app) as db:
        db_measure(db, therapist.id, who.patient_id, who.course_id, "phq9", 14,
                   TODAY - timedelta(days=10), session_id=who.session_id)
        db.commit()
    html = therapist_client.get(f"/patients/{who.patient_id}/progress").get_data(as_text=True)
    assert "series__point--home" not in html and HOME not in html
    assert "No check-in yet." in html


def test_the_course_summary_print_has_the_practice_figures_and_marks_home_scores(
        therapist_client, who):
    html = therapist_client.get(f"/patients/{who.patient_id}/progress/print").get_data(
        as_text=True)
    start = html.index('id="periods-heading"')
    figures = _words(html[start:html.index("</section>", start)])
    period = (f"{(TODAY - timedelta(days=9)).strftime('%d %b')}–{TODAY.strftime('%d %b')}")
    assert period in figures
    assert "Walk by the river (5×/wk) 4/10 days (1 a little)" in figures
    assert "Five minutes of journaling (3×/wk) 3/10 days (1 a little)" in figures
    assert "patient-reported" in figures
    assert html.count(HOME) == 1
    assert "series__point--home" in html


# The carry-forward ---------------------------------------------------------------------------


def _field_value(html: str, field_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', html).group(0)
    assert "readonly" not in tag and "disabled" not in tag  # Always the therapist's to edit.
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


@pytest.fixture
def today_session(therapist_client, who):
    return start_session(therapist_client, who.patient_id, who.course_id, "integration", TODAY)


def test_the_carry_forward_shows_the_patients_count_and_leaves_the_field_empty(
        therapist_client, who, today_session):
    html, form = edit_page(therapist_client, today_session)
    walk, journal = who.strategy_ids
    index = carried_ids(form, "strategies")[walk]
    start = html.index(f'id="reported-{walk}"')
    reported = _words(html[start:html.index("</div>", start)])
    assert "> patient-reported From the patient's check-ins" in reported
    assert "practised on 4 of 10 days (3 yes, 1 a little), not on 1, no answer on 5" in reported
    # Nothing is copied in: the field is empty, and so is what the browser would send.
    assert _field_value(html, f"strategies-{index}-times_practised") in (None, "")
    assert form[f"strategies-{index}-times_practised"] == ""
    button = re.search(rf'<button[^>]*name="use_reported" value="{walk}"[^>]*>', html).group(0)
    assert 'data-use-count="4"' in button
    assert f'data-field="strategies-{index}-times_practised"' in button


def test_use_the_patients_count_fills_the_field_saves_nothing_and_leaves_it_editable(
        app, therapist_client, who, today_session):
    html, form = edit_page(therapist_client, today_session)
    walk, journal = who.strategy_ids
    index = carried_ids(form, "strategies")[walk]
    form[f"strategies-{index}-barriers"] = "Rain all week"  # typed before the click: kept
    response = therapist_client.post(f"/sessions/{today_session}/edit",
                                     data={**form, "use_reported": str(walk)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _field_value(page, f"strategies-{index}-times_practised") == "4"
    journal_index = carried_ids(form, "strategies")[journal]
    assert _field_value(page, f"strategies-{journal_index}-times_practised") in (None, "")
    assert "Rain all week" in page
    with database(app) as db:
        assert db.scalar(select(func.count()).select_from(StrategyReview)
                         .where(StrategyReview.session_id == today_session)) == 0
    # The therapist changes it before saving: their number is what is recorded.
    form = form_fields(page, form_id="session-form")
    decide_all(form)
    form[f"strategies-{index}-times_practised"] = "3"
    assert save(therapist_client, today_session, form).status_code == 302
    with database(app) as db:
        review = db.scalar(select(StrategyReview).where(
            StrategyReview.session_id == today_session, StrategyReview.strategy_id == walk))
        assert review.times_practised == 3


def test_the_script_fills_the_field_from_the_button_without_an_inline_script(
        therapist_client, today_session):
    script = therapist_client.get("/static/js/session-editor.js").get_data(as_text=True)
    assert 'querySelectorAll("button[data-use-count]")' in script
    assert 'input.value = button.getAttribute("data-use-count")' in script
    html, _ = edit_page(therapist_client, today_session)
    assert "<script>" not in html and " onclick=" not in html


def test_the_edit_page_uses_a_constant_number_of_queries_whatever_the_check_ins(
        app, therapist, therapist_client, count_queries):
    def edit_url(name, checkins):
        who = _history(app, therapist, name, checkins)
        session = start_session(therapist_client, who.patient_id, who.course_id,
                                "integration", TODAY)
        return {"edit": f"/sessions/{session}/edit"}

    def check(page, response):
        assert 'id="reported-' in response.get_data(as_text=True)

    few = queries_per_page(therapist_client, count_queries, edit_url("Few Checkins", 6), check)
    many = queries_per_page(therapist_client, count_queries, edit_url("Many Checkins", 90),
                            check)
    assert few == many


# Patient-reported, wherever a score is shown ---------------------------------------------


def test_a_home_score_is_marked_patient_reported_on_every_page_that_shows_it(
        app, therapist, therapist_client):
    who = patient_reporting(app, therapist)
    with database(app) as db:
        in_session = db_measure(db, therapist.id, who.patient_id, who.course_id, "phq9", 14,
                                TODAY - timedelta(days=10), session_id=who.session_id,
                                item_9=1)
        home = db_home_measure(db, who, therapist.id, "phq9", 12, TODAY - timedelta(days=2),
                               item_9=1)
        db.commit()
        home_id, session_id = home.id, in_session.id
    base = f"/patients/{who.patient_id}"

    def page(path):
        return therapist_client.get(path).get_data(as_text=True)

    shown = page(f"{base}/measures/{home_id}")
    assert HOME in shown.split("</h1>")[0] and "Answered by the patient at home" in shown
    assert HOME not in page(f"{base}/measures/{session_id}").split("</h1>")[0]
    # The safety flags (patient page, brief, progress) name which answer was the patient's.
    for path in (base, f"{base}/brief", f"{base}/progress"):
        flag = _section_of_class(page(path), "safety-flag")
        assert flag.count(HOME) == 1, path
    printed = page(f"{base}/progress/print")
    assert "answered above 0, patient-reported (at home)" in printed
    assert printed.count("answered above 0;") == 1  # the in-session one, unmarked
    # The printed sessions list the in-session score only, unmarked.
    assert HOME not in page(f"{base}/sessions/print")


def _section_of_class(html: str, css_class: str) -> str:
    start = html.index(f"{css_class}\"")
    return html[start:html.index("</div>", start)]
