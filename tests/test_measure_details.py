"""Questionnaire details of issue 12: the date follows the session (item 2), an item-9 answer
on an incomplete PHQ-9 is kept and flagged (6), the banner leads to the follow-up (7),
response and remission need a qualifying baseline (11), the GAD-7's difficulty question and
the PCL-5's index event (12), and entry from the patient and session pages (16)."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import count, database
from tests.support.forms import field_errors, main_of, only_post_form, text_of
from tests.support.measures import answers_for, measure_path, questionnaire, saved_measure_id
from tests.support.patients import add_patient
from tests.support.sessions import days_ago, db_session, signed
from tracker.measures import integrity, scoring
from tracker.measures.models import MeasureResponse, SafetyFollowUp

TODAY = date.today()
FLAG = re.compile(r'<div class="alert alert--danger safety-flag"[^>]*>.*?</div>', re.S)


def _course(app, user, patient_id: int, session_days=(20, 10)) -> dict:
    with database(app) as db:
        course = db_course(db, patient_id, "Initial course", TODAY - timedelta(days=30))
        sessions = [db_session(db, user.id, course, "integration", days_ago(n),
                               summary="Done.", **signed(user.id)) for n in session_days]
        db.commit()
        return {"course": course.id, "sessions": [s.id for s in sessions]}


def _stored(app) -> list[MeasureResponse]:
    with database(app) as db:
        return list(db.scalars(select(MeasureResponse).order_by(MeasureResponse.id)))


def _text(response) -> str:
    return text_of(main_of(response.get_data(as_text=True)))


# Item 2: the date follows the session ---------------------------------------------------------


def test_a_questionnaire_at_a_session_takes_that_sessions_date_when_left_at_the_default(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    # The rendered default (today) left as it is, then an emptied date.
    saved_measure_id(questionnaire(therapist_client, pid, "phq9", answers_for("phq9", 8),
                                   course_id=course["course"], session_id=course["sessions"][0]))
    saved_measure_id(questionnaire(therapist_client, pid, "gad7", answers_for("gad7", 8),
                                   course_id=course["course"], session_id=course["sessions"][1],
                                   taken_on=""))
    assert [m.taken_on for m in _stored(app)] == [TODAY - timedelta(days=20),
                                                  TODAY - timedelta(days=10)]


def test_a_date_that_contradicts_the_session_is_refused_next_to_the_field(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    answers = answers_for("phq9", 8)
    response = questionnaire(therapist_client, pid, "phq9", answers, course_id=course["course"],
                             session_id=course["sessions"][0],
                             taken_on=TODAY - timedelta(days=5))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = field_errors(html, "taken_on")
    assert errors and "session" in errors[0] and (
        (TODAY - timedelta(days=20)).strftime("%d %b %Y") in errors[0]), errors
    assert _stored(app) == []
    form = only_post_form(html)  # Everything typed is kept.
    assert form["taken_on"] == (TODAY - timedelta(days=5)).isoformat()
    assert form["session_id"] == str(course["sessions"][0])
    assert {k: v for k, v in form.items() if k.startswith("item_")} == {
        f"item_{n}": str(v) for n, v in enumerate(answers, 1)}


def test_an_empty_date_between_sessions_is_refused_next_to_the_field(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    response = questionnaire(therapist_client, pid, "phq9", answers_for("phq9", 8),
                             course_id=course["course"], taken_on="")
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "taken_on")
    assert _stored(app) == []


def test_the_session_choice_carries_each_sessions_date_for_the_script(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    html = therapist_client.get(measure_path(pid, "phq9")).get_data(as_text=True)
    select_tag = re.search(r'<select[^>]*id="session_id"[^>]*>', html).group(0)
    day = (TODAY - timedelta(days=20)).isoformat()
    assert f"{course['sessions'][0]}&#34;: &#34;{day}" in select_tag.replace(
        "&quot;", "&#34;"), select_tag
    assert re.search(r'<script src="/static/js/measure-form\.js[^"]*" defer></script>', html)
    assert "<script>" not in html
    script = (app.static_folder + "/js/measure-form.js")
    with open(script, encoding="utf-8") as source:
        assert "data-session-dates" in source.read()


# Item 6: an item-9 answer on an incomplete PHQ-9 ----------------------------------------------


def test_an_item_9_answer_on_an_otherwise_blank_phq9_is_kept_and_raises_the_flag(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    answers = [None] * 8 + [2]
    response = questionnaire(client, pid, "phq9", answers, course_id=course["course"],
                             session_id=course["sessions"][1])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(main_of(html))
    assert "Items 1, 2, 3, 4, 5, 6, 7 and 8 are unanswered" in text
    assert "safety flag" in text.lower()
    form = only_post_form(html)
    assert {k: v for k, v in form.items() if k.startswith("item_")} == {"item_9": "2"}
    [partial] = _stored(app)
    assert partial.total is None and partial.safety_flag is True
    assert partial.answers == answers
    assert partial.session_id == course["sessions"][1]
    assert partial.taken_on == TODAY - timedelta(days=10)

    for path in (f"/patients/{pid}", f"/patients/{pid}/brief", f"/patients/{pid}/progress",
                 f"/patients/{pid}/measures/{partial.id}"):
        flag = FLAG.search(client.get(path).get_data(as_text=True))
        assert flag and f"/measures/{partial.id}" in flag.group(0), path
    printed = text_of(client.get(f"/patients/{pid}/progress/print").get_data(as_text=True))
    assert "Open safety flag" in printed and "incomplete — not scored" in printed
    page = _text(client.get(f"/patients/{pid}/measures/{partial.id}"))
    assert "incomplete — not scored" in page
    assert "Response" not in page and "Remission" not in page
    progress = client.get(f"/patients/{pid}/progress").get_data(as_text=True)
    assert "incomplete — not scored" in text_of(main_of(progress))
    assert 'id="chart-phq9"' not in progress  # A partial answer is never charted.
    assert "incomplete — not scored" in _text(client.get(f"/patients/{pid}/brief"))
    session_page = _text(client.get(f"/sessions/{course['sessions'][1]}"))
    assert "incomplete — not scored" in session_page

    # Answering the rest completes the same questionnaire: one record, scored, still flagged.
    form.update({f"item_{n}": "1" for n in range(1, 9)})
    done = client.post(measure_path(pid, "phq9"), data=form)
    assert saved_measure_id(done) == partial.id
    [complete] = _stored(app)
    assert complete.total == 10 and complete.safety_flag is True
    assert complete.answers == [1] * 8 + [2]


def test_an_incomplete_phq9_without_an_item_9_answer_above_0_is_still_refused(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    for answers in ([None] * 8 + [0], [1] * 8 + [None]):
        response = questionnaire(therapist_client, pid, "phq9", answers,
                                 course_id=course["course"])
        assert response.status_code == 200
        assert _stored(app) == []


def test_partial_answers_never_enter_baselines_charts_or_response(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    questionnaire(client, pid, "phq9", [3, 3, 3, None, None, None, None, None, 1],
                  course_id=course["course"], taken_on=TODAY - timedelta(days=25))
    first = saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 20),
                                           course_id=course["course"],
                                           taken_on=TODAY - timedelta(days=20)))
    later = saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 8),
                                           course_id=course["course"],
                                           taken_on=TODAY - timedelta(days=10)))
    assert len(_stored(app)) == 3
    page = _text(client.get(f"/patients/{pid}/measures/{first}"))
    assert "this is the baseline" in page
    page = _text(client.get(f"/patients/{pid}/measures/{later}"))
    assert "Change from baseline -12 (baseline 20" in page
    assert "Change from the previous score -12" in page
    progress = client.get(f"/patients/{pid}/progress").get_data(as_text=True)
    chart = re.search(r'<svg[^>]*id="chart-phq9".*?</svg>', progress, re.S).group(0)
    assert len(re.findall(r"<title>PHQ-9 total: ", chart)) == 2, chart


# Item 7: the banner leads to the follow-up form ---------------------------------------------


def test_the_safety_banner_links_to_the_follow_up_form_and_says_what_it_records(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    flagged = saved_measure_id(questionnaire(client, pid, "phq9",
                                             answers_for("phq9", 6, item_9=1),
                                             course_id=course["course"]))
    for path in (f"/patients/{pid}", f"/patients/{pid}/brief", f"/patients/{pid}/progress"):
        flag = FLAG.search(client.get(path).get_data(as_text=True)).group(0)
        assert f'href="/patients/{pid}/measures/{flagged}#follow-up"' in flag, path
        assert "Record the follow-up" in text_of(flag), path
        assert "A follow-up records the date and what was done" in text_of(flag), path
    page = client.get(f"/patients/{pid}/measures/{flagged}").get_data(as_text=True)
    assert re.search(r'id="follow-up"', page)


# Item 11: response and remission need a qualifying baseline ---------------------------------


def test_response_and_remission_need_a_baseline_of_10_or_more():
    low = scoring.compare("gad7", 4, None, 2)
    assert low.response is None and low.remission is None
    assert low.baseline_qualifies is False and low.min_baseline == 10
    low = scoring.compare("phq9", 3, None, 1)
    assert low.response is None and low.remission is None and not low.baseline_qualifies
    high = scoring.compare("phq9", 10, None, 4)
    assert high.response is True and high.remission is True and high.baseline_qualifies
    pcl5 = scoring.compare("pcl5", 4, None, 0)  # No baseline rule: 5 points is 5 points.
    assert pcl5.baseline_qualifies is True and pcl5.response is False


def test_a_low_baseline_reads_not_applicable_never_yes(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    for code, totals in (("gad7", (4, 2)), ("phq9", (3, 1))):
        saved_measure_id(questionnaire(client, pid, code, answers_for(code, totals[0]),
                                       course_id=course["course"],
                                       taken_on=TODAY - timedelta(days=20)))
        later = saved_measure_id(questionnaire(client, pid, code, answers_for(code, totals[1]),
                                               course_id=course["course"]))
        page = _text(client.get(f"/patients/{pid}/measures/{later}"))
        assert re.search(r"Response \(.*?\) n/a \(baseline below 10\)", page), page
        assert re.search(r"Remission \(.*?\) n/a \(baseline below 10\)", page), page
        assert not re.search(r"(Response|Remission) \([^)]*(\([^)]*\))?[^)]*\) Yes", page)
    progress = _text(client.get(f"/patients/{pid}/progress"))
    tables = progress.split("Outcome measures", 1)[1].split("Belief trajectories")[0]
    assert "yes" not in tables.split()
    # Each later row, response and remission: n/a with the reason (two instruments).
    assert tables.count("n/a (baseline below 10)") == 4, tables
    assert "HEDIS" in _text(client.get(f"/patients/{pid}/measures/{later}"))


def test_the_baseline_row_reads_not_applicable_not_no(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    baseline = saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 20),
                                              course_id=course["course"],
                                              taken_on=TODAY - timedelta(days=20)))
    saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 4),
                                   course_id=course["course"]))
    html = client.get(f"/patients/{pid}/progress").get_data(as_text=True)
    row = re.search(r"<tr>\s*<th scope=\"row\">[^<]*\(baseline\).*?</tr>", html, re.S).group(0)
    cells = [text_of(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells[-2:] == ["n/a", "n/a"], cells
    page = _text(client.get(f"/patients/{pid}/measures/{baseline}"))
    assert re.search(r"Response \(.*?\) n/a", page) and not re.search(r"Response \(.*?\) No",
                                                                       page)


def test_the_gad7_labels_its_baseline_rule_as_borrowed(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    saved_measure_id(questionnaire(client, pid, "gad7", answers_for("gad7", 4),
                                   course_id=course["course"],
                                   taken_on=TODAY - timedelta(days=20)))
    later = saved_measure_id(questionnaire(client, pid, "gad7", answers_for("gad7", 2),
                                           course_id=course["course"]))
    page = _text(client.get(f"/patients/{pid}/measures/{later}"))
    label = re.search(r"Response \((.*?)\) n/a", page).group(1)
    assert "baseline of 10 or more" in label and "borrowed" in label, label
    progress = client.get(f"/patients/{pid}/progress").get_data(as_text=True)
    table = text_of(re.search(r"<table.*?</table>", progress, re.S).group(0))
    assert "GAD-7 scores (response and remission only from a baseline of 10 or more, a rule " \
           "borrowed from the HEDIS depression measures)" in table, table
    assert "Response (borrowed convention)" in table and "Remission (borrowed convention)" \
           in table, table


# Item 12: the GAD-7's difficulty question, the PCL-5's index event ----------------------------


def test_the_gad7_form_asks_the_published_difficulty_question(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    html = client.get(measure_path(pid, "gad7")).get_data(as_text=True)
    text = text_of(main_of(html))
    assert ("If you checked off any problems, how difficult have these problems made it for you "
            "to do your work, take care of things at home, or get along with other people?"
            ) in text
    assert 'name="difficulty"' in html
    mid = saved_measure_id(questionnaire(client, pid, "gad7", answers_for("gad7", 9),
                                         course_id=course["course"], difficulty=2))
    with database(app) as db:
        assert db.get(MeasureResponse, mid).difficulty == 2
    assert "Very difficult" in _text(client.get(f"/patients/{pid}/measures/{mid}"))


def test_the_pcl5_names_its_index_event_as_clinical_text(
        app, therapist, therapist_client, caplog):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    assert 'name="index_event"' not in client.get(measure_path(pid, "phq9")).get_data(
        as_text=True)
    html = client.get(measure_path(pid, "pcl5")).get_data(as_text=True)
    assert 'name="index_event"' in html
    event = "Car accident on the ring road, March 2019"
    caplog.set_level(logging.DEBUG)
    mid = saved_measure_id(questionnaire(client, pid, "pcl5", [1] * 20,
                                         course_id=course["course"], index_event=event))
    with database(app) as db:
        stored = db.get(MeasureResponse, mid)
        assert stored.index_event == event
        assert "ring road" not in repr(stored)
    assert event in _text(client.get(f"/patients/{pid}/measures/{mid}"))
    # Optional: a PCL-5 without it is saved too; too long is refused next to the field.
    saved_measure_id(questionnaire(client, pid, "pcl5", [0] * 20, course_id=course["course"]))
    long = questionnaire(client, pid, "pcl5", [0] * 20, course_id=course["course"],
                         index_event="x" * 1001)
    assert long.status_code == 200 and field_errors(long.get_data(as_text=True), "index_event")
    assert "ring road" not in caplog.text


# Item 16: entry from the patient page and the session page ----------------------------------


def test_questionnaires_can_be_entered_from_the_patient_and_the_session_page(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    patient_page = client.get(f"/patients/{pid}").get_data(as_text=True)
    for code in ("phq9", "gad7", "pcl5"):
        assert f'href="/patients/{pid}/measures/new/{code}"' in patient_page, code
    session = course["sessions"][0]
    session_page = client.get(f"/sessions/{session}").get_data(as_text=True)
    link = f"/patients/{pid}/measures/new/gad7?session_id={session}"
    assert f'href="{link}"' in session_page
    form = only_post_form(client.get(link).get_data(as_text=True))
    assert form["session_id"] == str(session)
    form.update({f"item_{n}": "1" for n in range(1, 8)})
    response = client.post(link, data=form)
    saved_measure_id(response)
    [stored] = _stored(app)
    assert stored.session_id == session and stored.taken_on == TODAY - timedelta(days=20)
    assert "GAD-7" in _text(client.get(f"/sessions/{session}"))
    with database(app) as db:
        assert count(db, MeasureResponse) == 1


# The demo practice ----------------------------------------------------------------------------


def test_the_demo_shows_an_incomplete_phq9_that_raised_the_flag(app):
    from tracker.db import get_db
    from tracker.demo import seed_demo

    with app.app_context():
        db = get_db()
        assert seed_demo(db) is True
        db.commit()
        partial = [m for m in db.scalars(select(MeasureResponse)) if m.total is None]
        assert len(partial) == 1
        assert partial[0].safety_flag and partial[0].answers[8] > 0
        assert count(db, SafetyFollowUp, SafetyFollowUp.response_id == partial[0].id) == 0
        assert partial[0].session_id is not None
        events = [m.index_event for m in db.scalars(select(MeasureResponse)) if m.index_event]
        assert events, "no PCL-5 names its index event"


def test_a_partial_answer_is_completed_from_its_own_page(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    questionnaire(client, pid, "phq9", [1, 1] + [None] * 6 + [3], course_id=course["course"],
                  session_id=course["sessions"][0])
    [partial] = _stored(app)
    page = client.get(f"/patients/{pid}/measures/{partial.id}").get_data(as_text=True)
    link = f"/patients/{pid}/measures/new/phq9?partial={partial.id}"
    assert f'href="{link}"' in page.replace("&amp;", "&")
    form = only_post_form(client.get(link).get_data(as_text=True))
    assert form["partial_id"] == str(partial.id)
    assert form["session_id"] == str(course["sessions"][0])
    assert {k: v for k, v in form.items() if k.startswith("item_")} == {
        "item_1": "1", "item_2": "1", "item_9": "3"}
    form.update({f"item_{n}": "0" for n in range(3, 9)})
    assert saved_measure_id(client.post(measure_path(pid, "phq9"), data=form)) == partial.id
    [complete] = _stored(app)
    assert complete.total == 5 and complete.taken_on == TODAY - timedelta(days=20)
    # Completed by the app, its content hash follows (verify-records stays quiet).
    assert integrity.verifies(complete)
    # Completed, it cannot be "completed" again into a second copy.
    again = client.post(measure_path(pid, "phq9"), data=form)
    assert again.status_code == 200 and "completed already" in _text(again)
    assert len(_stored(app)) == 1
    # Another patient's questionnaire is not found under this one.
    other = add_patient(app, therapist, "Daniel Reyes")
    _course(app, therapist, other)
    assert client.get(f"/patients/{other}/measures/new/phq9?partial={partial.id}"
                      ).status_code == 404
