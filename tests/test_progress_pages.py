"""The progress page, the pre-session brief and the print views: what they show, that they
stay inside a strict CSP, who may see them, and a constant number of queries."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import database, snapshot
from tests.support.forms import csrf_token, main_of, text_of
from tests.support.histories import PRIVATE_NOTE, build_course, build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.queries import data_statements, queries_per_page
from tests.support.sessions import days_ago, db_session, signed
from tracker.courses.models import Course
from tracker.progress.window_queries import WINDOW
from tracker.sessions.models import Addendum, TherapySession

TODAY = date.today()
SVG = "{http://www.w3.org/2000/svg}"


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def _figures(html: str) -> list[str]:
    return re.findall(r'<figure class="figure(?: figure--small)?">.*?</figure>', html, re.S)


def _svg(fragment: str) -> ET.Element:
    match = re.search(r"<svg.*?</svg>", fragment, re.S)
    assert match, "no chart"
    return ET.fromstring(match.group(0))  # noqa: S314 - the app's own output


def _assert_accessible(svg: ET.Element) -> tuple[str, str]:
    """role="img", labelled by its own <title> and <desc>; returns their texts."""
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return title.text, desc.text


def _short(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


@pytest.fixture
def course(app, therapist):
    pid = add_patient(app, therapist, "Maya Okafor")
    with database(app) as db:
        ids = build_course(db, therapist.id, pid)
        db.commit()
    return {"patient": pid, **ids}


# The progress page ----------------------------------------------------------------------------


def test_the_course_header_shows_the_dose_and_the_integration_window(
        app, therapist_client, course):
    url = f"/patients/{course['patient']}/progress"
    html = therapist_client.get(url).get_data(as_text=True)
    header = text_of(re.search(r'<p class="course-header">.*?</p>', html, re.S).group(0))
    assert "Initial course · dose 3 of 6" in header
    assert "last dosing 3 days ago" in header
    assert "inside the 7-day integration window" in header
    help_text = text_of(re.search(r'<p class="help">.*?</p>', html, re.S).group(0))
    assert "working hypothesis" in help_text and "7 days" in help_text

    app.config["INTEGRATION_WINDOW_DAYS"] = 2
    html = therapist_client.get(url).get_data(as_text=True)
    header = text_of(re.search(r'<p class="course-header">.*?</p>', html, re.S).group(0))
    assert "outside the 2-day integration window" in header
    assert "inside" not in header
    brief = text_of(main_of(therapist_client.get(f"/patients/{course['patient']}/brief")
                          .get_data(as_text=True)))
    assert "outside the 2-day integration window, a working hypothesis" in brief

    app.config["INTEGRATION_WINDOW_DAYS"] = 3  # The third day still counts.
    html = therapist_client.get(url).get_data(as_text=True)
    assert "inside the 3-day integration window" in html


def test_a_dosing_session_started_ahead_of_time_is_not_the_last_dosing(
        app, therapist, therapist_client, course):
    """A dosing note opened for a session later this week must not make the last dosing
    "-4 days ago" (nor take the patient out of the integration window)."""
    with database(app) as db:
        planned = db.get(Course, course["course"])
        db_session(db, therapist.id, planned, "dosing", days_ago(-4))
        db.commit()
    pid = course["patient"]
    html = therapist_client.get(f"/patients/{pid}/progress").get_data(as_text=True)
    header = text_of(re.search(r'<p class="course-header">.*?</p>', html, re.S).group(0))
    assert "last dosing 3 days ago" in header, header
    assert "inside the 7-day integration window" in header, header
    brief = text_of(main_of(therapist_client.get(f"/patients/{pid}/brief").get_data(as_text=True)))
    assert "3 days since the last dosing" in brief, brief
    assert not re.search(r"-\d+ days? since", brief), brief


def test_one_accessible_chart_per_instrument_with_its_numbers_in_a_table(
        app, therapist_client, course):
    pid = course["patient"]
    html = main_of(therapist_client.get(f"/patients/{pid}/progress").get_data(as_text=True))
    measures = _section(html, "measures-heading")
    figures = _figures(measures)
    assert len(figures) == 2  # PHQ-9 and GAD-7; no PCL-5 was taken.
    with database(app) as db:
        dosing = [s.starts_at.date() for s in db.scalars(
            select(TherapySession).where(TherapySession.kind == "dosing")
            .order_by(TherapySession.starts_at))]
    expected = {"PHQ-9": (["18", "12", "8"], "chart-phq9"), "GAD-7": (["14", "6"], "chart-gad7")}
    for figure, (name, (totals, chart_id)) in zip(figures, expected.items(), strict=True):
        svg = _svg(figure)
        assert svg.get("id") == chart_id
        title, desc = _assert_accessible(svg)
        assert name in title
        assert f"from {totals[0]} " in desc and f"to {totals[-1]} " in desc
        # The points carry the same numbers as the table.
        points = [re.match(rf"{name} total: (\d+) on", t.text).group(1)
                  for t in svg.iter(f"{SVG}title") if t.text.startswith(f"{name} total:")]
        table = re.search(r"<table.*?</table>", figure, re.S).group(0)
        rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", table, re.S)
        table_totals = [re.findall(r"<td>(.*?)</td>", row)[0] for row in rows]
        assert points == totals == table_totals, (name, points, table_totals)
        assert f"{name} scores" in table
        # Dosing sessions are marked on the time axis.
        markers = [g for g in svg.iter(f"{SVG}g") if "marker--dosing" in g.get("class", "")]
        assert [m.find(f"{SVG}title").text for m in markers] == [
            f"Dose {n} ({_short(day)})" for n, day in enumerate(dosing, 1)]
        # Severity bands shaded, remission and response shown.
        classes = {g.get("class") for g in svg.iter(f"{SVG}g")}
        assert {"band band--minimal", "band band--mild", "band band--moderate",
                "band band--severe"} <= classes
        assert {"threshold threshold--remission", "threshold threshold--response"} <= classes
    phq9_table = text_of(re.search(r"<table.*?</table>", figures[0], re.S).group(0))
    assert "(baseline) 18 Moderately severe +0" in phq9_table
    assert "12 Moderate -6 reached no no" in phq9_table
    assert "8 Mild -10 reached yes no" in phq9_table  # Response: 8 is under half of 18.
    assert "response reached" in _assert_accessible(_svg(figures[0]))[1]


def test_one_small_chart_per_belief_with_its_ratings(app, therapist_client, course):
    pid = course["patient"]
    html = main_of(therapist_client.get(f"/patients/{pid}/progress").get_data(as_text=True))
    beliefs = _section(html, "beliefs-heading")
    figures = _figures(beliefs)
    assert len(figures) == 2
    charts = {svg.get("id"): svg for svg in map(_svg, figures)}
    assert set(charts) == {f"belief-{course['earn']}", f"belief-{course['alone']}"}
    assert all(svg.get("class") == "chart chart--compact" for svg in charts.values())
    earn = charts[f"belief-{course['earn']}"]
    title, desc = _assert_accessible(earn)
    assert "I am worth care as I am" in title
    assert "I have to earn love" in desc and "last rated old 30, new 70" in desc
    values = {name: [re.match(rf"{name}: (\d+) on", t.text).group(1)
                     for t in earn.iter(f"{SVG}title") if t.text.startswith(f"{name}:")]
              for name in ("Old belief", "New belief")}
    assert values == {"Old belief": ["80", "60", "30"], "New belief": ["10", "40", "70"]}
    table = text_of(re.search(r"<table.*?</table>", figures[0], re.S).group(0))
    assert re.search(r"80 10 .* 60 40 .* 30 70", table)
    _assert_accessible(charts[f"belief-{course['alone']}"])


def test_the_strategy_grid_shows_practice_against_target_and_lineage(
        app, therapist_client, course):
    pid = course["patient"]
    grid = _section(main_of(therapist_client.get(f"/patients/{pid}/progress")
                          .get_data(as_text=True)), "strategies-heading")
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", grid, re.S)
    names = [text_of(head) for head, _ in rows]
    # Replaced through "Modify": said so, not "retired" (issue 12).
    assert names[0].startswith("Walk by the river (4×/wk, modified → new version)")
    assert names[1].startswith("↳ Walk by the river at dawn (5×/wk, active)")
    assert names[2].startswith("Three lines in the journal")
    assert not names[0].startswith("↳") and not names[2].startswith("↳")
    cells = {text_of(head).lstrip("↳ ").split(" (")[0]:
             [text_of(c) for c in re.findall(r"<td>(.*?)</td>", body, re.S)]
             for head, body in rows}
    # Columns: preparation, integration 1, 2, 3 (the sessions with any thread recorded).
    assert cells["Walk by the river"] == ["new", "2/4 · 6 continue", "1/4 · 5 modify", ""]
    assert cells["Walk by the river at dawn"] == ["", "", "new", "3/5 · 8 continue"]
    assert cells["Three lines in the journal"] == ["", "new", "6/7 · 4 continue",
                                                   "2/7 · 3 pause"]


def test_the_theme_grid_shows_when_themes_came_up_and_were_resolved(
        app, therapist_client, course):
    pid = course["patient"]
    grid = _section(main_of(therapist_client.get(f"/patients/{pid}/progress")
                          .get_data(as_text=True)), "themes-heading")
    rows = dict(re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", grid, re.S))
    marks = {text_of(head).split(" (")[0]: [text_of(c) for c in re.findall(
        r'<td class="grid__mark">(.*?)</td>', body, re.S)] for head, body in rows.items()}
    assert marks == {
        "the ocean": ["", "● came up", "● came up", "✓ resolved"],
        "my father": ["", "", "● came up", ""],
    }
    assert "(imagery or symbol, resolved)" in text_of(grid)


def test_the_timeline_links_every_session_with_its_status_and_addenda(
        app, therapist_client, course):
    pid = course["patient"]
    timeline = _section(main_of(therapist_client.get(f"/patients/{pid}/progress")
                              .get_data(as_text=True)), "timeline-heading")
    items = [text_of(li) for li in re.findall(r"<li class=\"timeline__item.*?</li>", timeline,
                                              re.S)]
    links = re.findall(r'href="/sessions/(\d+)"', timeline)
    s = course["sessions"]
    assert links == [str(s[k]) for k in ("prep", "dose1", "int1", "dose2", "int2", "dose3",
                                         "int3")]
    assert [re.sub(r" · \d\d \w{3} \d{4}", "", item) for item in items] == [
        "Preparation · Signed",
        "Dosing 1 · Signed",
        "Integration after dose 1 · Signed · 1 addendum",
        "Dosing 2 · Signed",
        "Integration after dose 2 · Signed",
        "Dosing 3 · Draft",
        "Integration after dose 3 · Draft",
    ]
    assert (TODAY - timedelta(days=28)).strftime("%d %b %Y") in items[1]


def test_another_course_can_be_chosen_and_a_foreign_one_is_ignored(
        app, therapist, therapist_client, course):
    pid = course["patient"]
    other = add_patient(app, therapist, "Daniel Reyes")
    with database(app) as db:
        booster = db_course(db, pid, "Booster series", TODAY - timedelta(days=1))
        foreign = db_course(db, other, "Their course", TODAY - timedelta(days=5))
        db_measure(db, therapist.id, other, foreign.id, "phq9", 27 - 3, TODAY)
        db.commit()
        assert booster.id
        foreign_id = foreign.id
    newest = text_of(main_of(therapist_client.get(f"/patients/{pid}/progress")
                           .get_data(as_text=True)))
    assert "Booster series · preparation, 6 doses planned" in newest
    assert "No questionnaires in this course yet." in newest
    chosen = text_of(main_of(therapist_client.get(
        f"/patients/{pid}/progress?course={course['course']}").get_data(as_text=True)))
    assert "Initial course · dose 3 of 6" in chosen and "PHQ-9 scores" in chosen
    response = therapist_client.get(f"/patients/{pid}/progress?course={foreign_id}")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        shown = text_of(main_of(response.get_data(as_text=True)))
        assert "Their course" not in shown and "Booster series ·" in shown


def test_progress_pages_need_no_inline_styles_or_scripts(app, therapist_client, course):
    pid = course["patient"]
    mid = course["measures"]["phq9"][0]
    for url in (f"/patients/{pid}/progress", f"/patients/{pid}/progress/print",
                f"/patients/{pid}/brief", f"/patients/{pid}/sessions/print",
                f"/patients/{pid}/measures/{mid}", f"/patients/{pid}/measures/new/pcl5"):
        response = therapist_client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "style-src 'self'" in response.headers["Content-Security-Policy"]
        # Scripts only from the app's own static files (the questionnaire's date script).
        assert not re.search(r'<script(?! src="/static/js/[\w-]+\.js[^"]*" defer></script>)'
                             r"|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:", html,
                             re.I), url
        # Nothing from another origin.
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html), url


# The brief --------------------------------------------------------------------------------------


def test_the_brief_gives_the_picture_before_a_session(app, therapist_client, course):
    pid = course["patient"]
    s = course["sessions"]
    html = main_of(therapist_client.get(f"/patients/{pid}/brief").get_data(as_text=True))
    text = text_of(html)
    assert "2 days since the last session" in text
    assert "3 days since the last dosing (inside the 7-day integration window" in text
    assert "3/6 doses in Initial course" in text

    last = _section(html, "last-heading")
    assert f'href="/sessions/{s["int3"]}"' in last
    assert "Intention: Notice the pull to please others." in text_of(last)
    assert "Talked about the dawn walks and the ocean image." in text_of(last)

    since = _section(html, "since-heading")
    phq9 = course["measures"]["phq9"]
    assert f'href="/patients/{pid}/measures/{phq9[2]}"' in since
    assert "PHQ-9, " in text_of(since) and ": 8 (mild), -10 from baseline" in text_of(since)
    for older in (phq9[0], phq9[1], *course["measures"]["gad7"]):
        assert f"/measures/{older}\"" not in since

    strategies = text_of(_section(html, "strategies-heading"))
    reviewed = (TODAY - timedelta(days=2)).strftime("%d %b")
    assert "Walk by the river at dawn · 5× a week (modified from “Walk by the river”)" in strategies
    assert (f"Last review {reviewed}: practised 3 of 5, helpfulness 8/10, continue; "
            "barriers: Dark mornings.") in strategies

    beliefs = text_of(_section(html, "beliefs-heading"))
    assert f"“I am worth care as I am” , strengthening; last rated {reviewed}: old 30, new 70" \
        in beliefs
    assert "last rated " + (TODAY - timedelta(days=13)).strftime("%d %b") + ": old 75, new 25" \
        in beliefs

    themes = text_of(_section(html, "themes-heading"))
    assert "my father (relationship): His silence at dinner." in themes
    assert "the ocean" not in themes  # Resolved.

    drafts = re.search(r"Unsigned drafts to finish:.*?</div>", html, re.S).group(0)
    assert re.findall(r'href="/sessions/(\d+)/edit"', drafts) == [str(s["dose3"]),
                                                                   str(s["int3"])]
    assert PRIVATE_NOTE not in html
    assert "safety-flag" not in html


def test_the_brief_is_one_click_from_the_patient_list(app, therapist_client, course):
    pid = course["patient"]
    listing = therapist_client.get("/patients/").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">(.*?)</a>', listing, re.S)
    assert (f"/patients/{pid}/brief", "Brief") in [(href, text_of(label).split(" for ")[0])
                                                  for href, label in links]
    assert therapist_client.get(f"/patients/{pid}/brief").status_code == 200
    patient_page = therapist_client.get(f"/patients/{pid}").get_data(as_text=True)
    assert f'href="/patients/{pid}/brief"' in patient_page


def test_the_brief_of_a_new_patient(app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    text = text_of(main_of(therapist_client.get(f"/patients/{pid}/brief").get_data(as_text=True)))
    assert "— days since the last session" in text
    assert "No session yet." in text
    assert text_of(main_of(therapist_client.get(f"/patients/{pid}/progress")
                         .get_data(as_text=True))).count("No course yet.") == 1


# Print views ------------------------------------------------------------------------------------


def test_the_progress_print_view_has_the_charts_and_the_patients_name(
        app, therapist_client, course):
    pid = course["patient"]
    response = therapist_client.get(f"/patients/{pid}/progress/print?course={course['course']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<header class="print__header"><span>Maya Okafor', html)
    assert "<h1>Maya Okafor: course summary</h1>" in html
    ids = re.findall(r'<svg[^>]*\sid="([^"]+)"', html)
    assert sorted(ids) == sorted(["chart-phq9", "chart-gad7", f"belief-{course['earn']}",
                                  f"belief-{course['alone']}"])
    assert f'href="/patients/{pid}/print.css"' in html
    assert "PHQ-9 scores" in html and "↳ Walk by the river at dawn" in html
    assert PRIVATE_NOTE not in html
    assert not re.search(r'<a href="/sessions/', html)  # Printed: no links to sessions.


def test_the_sessions_print_view_covers_the_range_without_psychotherapy_notes(
        app, therapist_client, course):
    pid = course["patient"]
    start = (TODAY - timedelta(days=28)).isoformat()  # dose 1
    end = (TODAY - timedelta(days=13)).isoformat()  # integration 2
    response = therapist_client.get(f"/patients/{pid}/sessions/print?from={start}&to={end}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    included = ["First dose summary.", "First integration summary.", "Second dose summary.",
                "Second integration summary."]
    for summary in included:
        assert summary in text, summary
    assert [summary for summary in re.findall(r"<h3>Summary</h3><p class=\"prose\">(.*?)</p>",
                                              html)] == included
    for summary in ("Preparation summary.", "Third dose summary.", "dawn walks"):
        assert summary not in text, summary
    assert "Addendum: the patient called to add a detail." in text
    assert "Maya Okafor" in text and start in text and end in text
    assert f'href="/patients/{pid}/print.css"' in html
    assert "ZEBRA-PRIVATE" not in html

    # The whole record: every session, still no psychotherapy note.
    html = therapist_client.get(f"/patients/{pid}/sessions/print").get_data(as_text=True)
    assert html.count('<article class="print__session">') == 7
    assert "ZEBRA-PRIVATE" not in html
    # Reversed or nonsense dates do not break it.
    for query in (f"?from={end}&to={start}", "?from=yesterday&to=0000-01-01"):
        response = therapist_client.get(f"/patients/{pid}/sessions/print{query}")
        assert response.status_code == 200, query
        assert "ZEBRA-PRIVATE" not in response.get_data(as_text=True)


_CSS_STRING = re.compile(r'"((?:[^"\\\n]|\\[0-9a-fA-F]{1,6}[ \t\n]?|\\[^0-9a-fA-F\n])*)"')


def _css_unescape(value: str) -> str:
    return re.sub(r"\\([0-9a-fA-F]{1,6})[ \t\n]?|\\(.)",
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), value)


def test_print_css_carries_the_patients_name_safely(app, therapist, therapist_client, make_user,
                                                     login_as):
    name = 'Zoë "Q" } body { display: none } /* \\ end'
    pid = add_patient(app, therapist, name)
    response = therapist_client.get(f"/patients/{pid}/print.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    strings = _CSS_STRING.findall(css)
    assert name in [_css_unescape(s) for s in strings], css
    skeleton = _CSS_STRING.sub('""', css)
    # Outside its strings the stylesheet is only the page rules: nothing of the name leaked.
    assert skeleton.count("{") == skeleton.count("}") == 3, css
    for fragment in ("body", "display", "/*", "Zo"):
        assert fragment not in skeleton, (fragment, css)
    assert "@page" in skeleton and "@top-left" in skeleton

    stranger = login_as(make_user(email="colleague@example.org", name="A Colleague"))
    assert stranger.get(f"/patients/{pid}/print.css").status_code == 404


# Access -----------------------------------------------------------------------------------------


def test_another_therapist_gets_404_for_every_measure_and_progress_url(
        app, therapist, therapist_client, course, make_user, login_as):
    pid = course["patient"]
    with database(app) as db:
        flagged = db_measure(db, therapist.id, pid, course["course"], "phq9", 6, TODAY,
                             item_9=1).id
        db.commit()
    with app.test_request_context():
        urls = [(rule.endpoint,
                 url_for(rule.endpoint, **{name: {"patient_id": pid, "instrument": "phq9",
                                                  "measure_id": flagged}[name]
                                           for name in rule.arguments}),
                 rule.methods)
                for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith(("measures.", "progress."))]
    urls += [("progress.show", f"/patients/{pid}/progress?course={course['course']}", {"GET"}),
             ("progress.print_sessions", f"/patients/{pid}/sessions/print?from=2000-01-01",
              {"GET"})]
    urls += [("measures.new", f"/patients/{pid}/measures/new/{code}", {"GET", "POST"})
             for code in ("gad7", "pcl5")]

    stranger = login_as(make_user(email="colleague@example.org", name="A Colleague"))
    token = csrf_token(stranger, "/patients/")
    payload = {"csrf_token": token, "course_id": str(course["course"]), "session_id": "0",
               "taken_on": TODAY.isoformat(), "followed_up_on": TODAY.isoformat(),
               "action": "A colleague's follow-up.", "submit": "Save",
               **{f"item_{n}": "1" for n in range(1, 21)}}
    before = snapshot(app)
    checked = set()
    for endpoint, url, methods in urls:
        if "GET" in methods:
            assert stranger.get(url).status_code == 404, ("GET", url)
            assert therapist_client.get(url).status_code == 200, ("owner GET", url)
        if "POST" in methods:
            assert stranger.post(url, data=payload).status_code == 404, ("POST", url)
        checked.add(endpoint)
    assert snapshot(app) == before
    assert {"measures.new", "measures.show", "measures.follow_up", "progress.show",
            "progress.print_progress", "progress.brief", "progress.print_sessions",
            "progress.page_css"} <= checked
    # The colleague's own lists do not show the patient either.
    assert "Maya Okafor" not in stranger.get("/patients/").get_data(as_text=True)


# Query counts -----------------------------------------------------------------------------------


def _history(app, user, name: str, n_sessions: int) -> int:
    """A patient with n sessions reviewing a strategy, a belief and a theme each time (and a
    private note), signed ones with addenda, a PHQ-9 and a GAD-7 at every session, one item 9
    flag followed up and one still open, and a second, older course."""
    pid = add_patient(app, user, name)
    start = datetime.combine(TODAY - timedelta(days=7 * n_sessions + 7), datetime.min.time())
    with database(app) as db:
        ids = build_history(db, user.id, pid, n_sessions, start=start.replace(hour=10))
        old = db_course(db, pid, "Older course", start.date() - timedelta(days=400))
        db_session(db, user.id, old, "dosing", start - timedelta(days=380),
                   summary="Long ago.", **signed(user.id))
        sessions = db.scalars(select(TherapySession).where(TherapySession.id.in_(ids["sessions"]))
                              .order_by(TherapySession.starts_at)).all()
        for i, session in enumerate(sessions):
            day = session.starts_at.date()
            if i % 3 == 0:
                for key, value in signed(user.id).items():
                    setattr(session, key, value)
                db.add(Addendum(session_id=session.id, author_id=user.id, body=f"Addendum {i}"))
            db_measure(db, user.id, pid, ids["course"], "phq9", 20 - i % 15, day,
                       session_id=session.id, item_9=1 if i in (1, 3) else 0,
                       followed_up=i == 1)
            db_measure(db, user.id, pid, ids["course"], "gad7", 15 - i % 10, day,
                       session_id=session.id)
        db_measure(db, user.id, pid, ids["course"], "pcl5", 40, TODAY - timedelta(days=1))
        db.commit()
    return pid


def test_progress_and_brief_use_a_constant_number_of_queries(
        app, therapist, therapist_client, count_queries):
    client = therapist_client
    small = _history(app, therapist, "Five Sessions", 5)
    large = _history(app, therapist, "Hundred Sessions", 100)

    def pages(pid):
        return {
            "progress": f"/patients/{pid}/progress",
            "progress, all": f"/patients/{pid}/progress?all=1",
            "progress print": f"/patients/{pid}/progress/print",
            "brief": f"/patients/{pid}/brief",
            "sessions print": f"/patients/{pid}/sessions/print",
            "patient page": f"/patients/{pid}",
        }

    def checks(sessions):
        def check(page, response):
            html = response.get_data(as_text=True)
            if page.startswith("progress") and page != "progress print":
                # The last WINDOW sessions, or with ?all=1 every one.
                shown = sessions if page == "progress, all" else min(sessions, WINDOW)
                assert main_of(html).count('href="/sessions/') == shown
                # Every score shown is drawn (PHQ-9, GAD-7): in the lines, whatever their
                # length.
                drawn = sum(len(points.split()) for points in re.findall(
                    r'class="series__line" points="([^"]*)"', html))
                assert drawn >= 2 * shown
                assert "safety-flag" in html  # Its questionnaire is before the window.
            if page == "brief":
                assert "Walk by the river" in html and "the ocean" in html

        return check

    counts = {label: queries_per_page(client, count_queries, pages(pid), checks(sessions))
              for label, pid, sessions in (("small", small, 5), ("large", large, 100))}
    for page in pages(small):
        assert counts["small"][page] == counts["large"][page], (page, counts)


def test_the_progress_page_reads_seven_statements_whatever_the_history(
        app, therapist, therapist_client, count_queries):
    """Issue 17: at most 8 data statements with the sign-in's; the same for 5 sessions as for
    100 (the window, tracker/progress/recent.py)."""
    read = {}
    for label, sessions in (("short", 5), ("long", 100)):
        url = f"/patients/{_history(app, therapist, label.title(), sessions)}/progress"
        therapist_client.get(url)
        with count_queries() as statements:
            assert therapist_client.get(url).status_code == 200
        read[label] = data_statements(statements)
    # The sign-in; the patient; the courses; the window's sessions; the questionnaires; the
    # threads; the check-ins.
    assert len(read["short"]) == len(read["long"]) == 7, read
