"""The progress page's window (tracker/progress/recent.py): the course's last WINDOW sessions,
said so with a link to all of them; for the sessions it shows, the same records as the full
view (?all=1, tracker/progress/data.gather); the print keeps the whole record; and each of
its reads is an index range, whatever the history."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from tests.support.checkins import db_reports, patient_reporting
from tests.support.database import database
from tests.support.forms import main_of, text_of
from tests.support.histories import build_course, build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.sessions import signed
from tracker.checkins import reports
from tracker.progress import window_queries as q
from tracker.progress.window_queries import WINDOW
from tracker.sessions.models import Addendum, TherapySession

TODAY = date.today()
SESSIONS = WINDOW + 6


@pytest.fixture
def long_course(app, therapist):
    """SESSIONS weekly sessions, dosing and integration in turn (each reviewing a strategy, a
    belief and a theme), every third signed with an addendum; a PHQ-9 at every session (the
    second one's item 9 flagged, never followed up) and a GAD-7 at the first two only."""
    pid = add_patient(app, therapist, "Long History")
    start = datetime.combine(TODAY - timedelta(days=7 * SESSIONS), datetime.min.time())
    with database(app) as db:
        ids = build_history(db, therapist.id, pid, SESSIONS, start=start.replace(hour=10))
        sessions = [db.get(TherapySession, sid) for sid in ids["sessions"]]
        for i, session in enumerate(sessions):
            day = session.starts_at.date()
            if i % 3 == 0:
                for key, value in signed(therapist.id).items():
                    setattr(session, key, value)
                db.add(Addendum(session_id=session.id, author_id=therapist.id, body="Later."))
            db_measure(db, therapist.id, pid, ids["course"], "phq9", 22 - i, day,
                       session_id=session.id, item_9=1 if i == 1 else 0)
            if i < 2:
                db_measure(db, therapist.id, pid, ids["course"], "gad7", 15 - i, day,
                           session_id=session.id)
        db.commit()
    return {"patient": pid, **ids}


def _page(client, long_course, query: str = "") -> str:
    response = client.get(f"/patients/{long_course['patient']}/progress{query}")
    assert response.status_code == 200
    return main_of(response.get_data(as_text=True))


def _section(html: str, heading_id: str) -> str:
    return re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html,
                     re.S).group(0)


def _timeline(html: str) -> list[str]:
    return [text_of(li) for li in re.findall(r'<li class="timeline__item.*?</li>',
                                             _section(html, "timeline-heading"), re.S)]


def _grid(html: str, heading_id: str) -> tuple[list[str], dict[str, list[str]]]:
    """A grid's column titles, and each row's cells."""
    grid = _section(html, heading_id)
    columns = re.findall(r'<abbr title="([^"]*)"', grid)
    rows = {text_of(head): [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                  body, re.S)]
            for head, body in re.findall(r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', grid,
                                         re.S)}
    return columns, rows


def _note(html: str) -> str:
    note = re.search(r'<div class="alert window-note".*?</div>', html, re.S).group(0)
    return text_of(note).replace(" .", ".")


def _table_rows(html: str, caption: str) -> list[str]:
    start = html.index(caption)
    table = html[start:html.index("</table>", start)]
    return [text_of(row) for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", table,
                                               re.S)]


def test_the_page_shows_the_last_sessions_and_says_so(therapist_client, long_course):
    pid, course = long_course["patient"], long_course["course"]
    html = _page(therapist_client, long_course)
    timeline = _section(html, "timeline-heading")
    assert re.findall(r'href="/sessions/(\d+)"', timeline) == [
        str(sid) for sid in long_course["sessions"][-WINDOW:]]
    first = TODAY - timedelta(days=7 * WINDOW)  # The window's first session.
    note = _note(html)
    assert note.startswith(f"Showing the last {WINDOW} of the course's {SESSIONS} sessions, "
                           f"from {first:%d %b %Y}: ")
    assert note.endswith(f"Show all {SESSIONS} sessions.")
    show_all = f'<a href="/patients/{pid}/progress?course={course}&amp;all=1">'
    assert html.count(show_all) == 3  # The note, the questionnaires, the timeline.
    assert f"The last {WINDOW} of the course's {SESSIONS} sessions." in text_of(timeline)

    everything = _page(therapist_client, long_course, f"?course={course}&all=1")
    assert len(re.findall(r'href="/sessions/\d+"', _section(everything, "timeline-heading"))) \
        == SESSIONS
    note = _note(everything)
    assert note == f"Showing all {SESSIONS} sessions of the course. Show only the last {WINDOW}."
    assert f'<a href="/patients/{pid}/progress?course={course}">' in everything
    assert "all=1" not in everything


def test_the_window_shows_what_the_full_view_shows_of_its_sessions(
        therapist_client, long_course):
    window = _page(therapist_client, long_course)
    full = _page(therapist_client, long_course, "?all=1")
    header = re.compile(r'<p class="course-header">.*?</p>', re.S)
    assert header.search(window).group(0) == header.search(full).group(0)
    # Titles ("Integration after dose 3", its dose before the window), dates, status, addenda.
    assert _timeline(window) == _timeline(full)[-WINDOW:]
    assert "1 addendum" in " ".join(_timeline(window))
    for grid in ("strategies-heading", "themes-heading"):
        columns, rows = _grid(window, grid)
        all_columns, all_rows = _grid(full, grid)
        assert columns == all_columns[-WINDOW:]
        assert rows == {head: cells[-WINDOW:] for head, cells in all_rows.items()}, grid
    assert _table_rows(window, "Conviction ratings") == \
        _table_rows(full, "Conviction ratings")[-WINDOW:]
    belief = re.compile(r'<svg[^>]*id="belief-\d+".*?</svg>', re.S)
    points = re.compile(r"<title>(New belief: [^<]*)</title>")
    assert points.findall(belief.search(window).group(0)) == \
        points.findall(belief.search(full).group(0))[-WINDOW:]


def test_questionnaires_since_the_window_with_the_baseline_they_are_measured_from(
        therapist_client, long_course):
    window = _page(therapist_client, long_course)
    full = _page(therapist_client, long_course, "?all=1")
    phq9 = _table_rows(window, "PHQ-9 scores")
    all_phq9 = _table_rows(full, "PHQ-9 scores")
    assert phq9 == all_phq9[:1] + all_phq9[-WINDOW:]
    assert "(baseline) 22" in phq9[0]
    first = TODAY - timedelta(days=7 * WINDOW)
    assert f"Scores from {first:%d %b %Y} on, with the course's baseline" in text_of(window)
    # The chart draws the window's scores, not the baseline before it.
    chart = re.search(r'<svg[^>]*id="chart-phq9".*?</svg>', window, re.S).group(0)
    drawn = re.findall(r"<title>PHQ-9 total: (\d+) on", chart)
    assert drawn == [str(22 - i) for i in range(SESSIONS - WINDOW, SESSIONS)]
    # Scored only before the window: its baseline, and no chart.
    assert _table_rows(window, "GAD-7 scores") == _table_rows(full, "GAD-7 scores")[:1]
    assert 'id="chart-gad7"' not in window


def test_a_safety_flag_from_before_the_window_stays(app, therapist_client, long_course):
    html = _page(therapist_client, long_course)
    flag = re.search(r'<div class="alert alert--danger safety-flag".*?</div>', html,
                     re.S).group(0)
    second = TODAY - timedelta(days=7 * (SESSIONS - 1))
    assert f"{second:%d %b %Y}" in text_of(flag)
    assert len(re.findall(r"Record the follow-up", flag)) == 1


def test_a_course_no_longer_than_the_window_is_shown_whole(app, therapist, therapist_client):
    pid = add_patient(app, therapist, "Maya Okafor")
    with database(app) as db:
        ids = build_course(db, therapist.id, pid)
        db.commit()
    url = f"/patients/{pid}/progress"
    window = main_of(therapist_client.get(url).get_data(as_text=True))
    full = main_of(therapist_client.get(f"{url}?all=1").get_data(as_text=True))
    assert window == full
    assert "window-note" not in window and "Show all" not in window
    assert len(re.findall(r'href="/sessions/\d+"', window)) == len(ids["sessions"])


def test_the_print_keeps_the_whole_record(therapist_client, long_course):
    response = therapist_client.get(f"/patients/{long_course['patient']}/progress/print")
    html = response.get_data(as_text=True)
    assert len(_timeline(html)) == SESSIONS
    assert len(_table_rows(html, "PHQ-9 scores")) == SESSIONS
    assert "window-note" not in html and "Show all" not in html


def test_mood_and_practice_reads_what_between_reads_but_the_messages(app, therapist):
    who = patient_reporting(app, therapist)
    db_reports(app, who, {9: (4, "Slept badly", "yes", "no"), 5: (6, "", "little", None),
                          2: (3, "Quiet day", None, None)})
    after, through = TODAY - timedelta(days=10), TODAY
    with database(app) as db:
        full = reports.between(db, who.patient_id, after, through)
        light = reports.mood_and_practice(db, who.patient_id, after, through)
    assert light.moods == full.moods and len(light.moods) == 3
    assert light.answers == full.answers and light.answers
    assert full.messages and not light.messages


@pytest.mark.parametrize("statement", ["COURSES", "SESSIONS", "QUESTIONNAIRES", "THREAD_ROWS"])
def test_each_read_of_the_window_is_an_index_range(app, therapist, long_course, statement):
    """No table scan and no sort of the history on SQLite: what each statement reads is the
    size of what the page shows (the indexes of migration 0021)."""
    with database(app) as db:
        if db.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite's query plans")
        params = {"patient_id": long_course["patient"], "course_id": long_course["course"],
                  "now": datetime.now(), "since": TODAY - timedelta(days=7 * WINDOW),
                  "ids": long_course["sessions"][-WINDOW:]}
        query = q.questionnaires() if statement == "QUESTIONNAIRES" else getattr(q, statement)
        compiled = db.connection().execute(query, params).context
        plan = [row[3] for row in db.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + compiled.statement, tuple(compiled.parameters[0]))]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    if statement != "COURSES":  # A patient's few courses, newest first.
        assert not [step for step in plan if "TEMP B-TREE" in step], plan
    uses = {"SESSIONS": {"COVERING INDEX ix_therapy_sessions_course_id_kind_starts_at": 4},
            "QUESTIONNAIRES": {"ix_measure_responses_course_id_instrument_taken_on": 7,
                               "ix_measure_responses_patient_id_safety_flag": 1}}
    for index, times in uses.get(statement, {}).items():
        assert sum(index in step for step in plan) == times, (index, plan)
