"""Outcome questionnaires through their pages: the form as published, scoring in the context
of a course, refusals that keep what was typed, and the PHQ-9 item 9 safety flag."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.support.courses import db_course
from tests.support.database import count, database
from tests.support.forms import form_fields, main_of, only_post_form, page_forms, text_of
from tests.support.measures import answers_for, measure_path, questionnaire, saved_measure_id
from tests.support.patients import add_patient
from tests.support.sessions import days_ago, db_session, signed
from tracker.measures.instruments import INSTRUMENTS
from tracker.measures.models import MeasureResponse, SafetyFollowUp

TODAY = date.today()
PFIZER = ("Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
          "colleagues, with an educational grant from Pfizer Inc.")
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
PCL5_OPTIONS = ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]
FLAG = 'class="alert alert--danger safety-flag"'


def _text(response) -> str:
    return text_of(main_of(response.get_data(as_text=True)))


def _course(app, user, patient_id: int, title: str = "Initial course", *,
            start: date | None = None, session_days: tuple[int, ...] = (20, 10)) -> dict:
    """A course with signed integration sessions `session_days` days ago (built directly)."""
    with database(app) as db:
        course = db_course(db, patient_id, title, start or TODAY - timedelta(days=30))
        sessions = [db_session(db, user.id, course, "integration", days_ago(n),
                               summary="Done.", **signed(user.id)) for n in session_days]
        db.commit()
        return {"course": course.id, "sessions": [s.id for s in sessions]}


def _stored(app) -> list[MeasureResponse]:
    with database(app) as db:
        return list(db.scalars(select(MeasureResponse).order_by(MeasureResponse.id)))


def _fieldset(html: str, item: str) -> str:
    """The <fieldset> holding the radio group `item` (item_1 ...)."""
    match = re.search(rf'<fieldset[^>]*>(?:(?!</fieldset>).)*?id="{item}-0".*?</fieldset>',
                      html, re.S)
    assert match, f"no fieldset for {item}"
    return match.group(0)


def _never_calls_zero_safe(text: str) -> None:
    """The only sentence about being "safe" is the one saying that a 0 does not mean it."""
    cleaned = text.replace("an answer of 0 does not mean a patient is safe", "")
    assert not re.search(r"\bsafe\b|no (?:suicid\w*|self-harm )?risk|not at risk|low risk|"
                         r"no safety concern", cleaned, re.I), cleaned


# The questionnaire form ---------------------------------------------------------------------


SPOT_CHECKS = {
    "phq9": ["Over the last 2 weeks, how often have you been bothered by any of the following "
             "problems?",
             "9. Thoughts that you would be better off dead or of hurting yourself in some way",
             "1. Little interest or pleasure in doing things"],
    "gad7": ["7. Feeling afraid as if something awful might happen",
             "2. Not being able to stop or control worrying"],
    "pcl5": ["In the past month, how much were you bothered by:",
             '17. Being "superalert" or watchful or on guard?',
             "20. Trouble falling or staying asleep?"],
}


@pytest.mark.parametrize("code,n_items,labels,attribution", [
    ("phq9", 9, FREQUENCY, PFIZER),
    ("gad7", 7, FREQUENCY, PFIZER),
    ("pcl5", 20, PCL5_OPTIONS, "National Center for PTSD"),
])
def test_the_form_shows_every_item_with_its_options_and_the_attribution(
        app, therapist, therapist_client, code, n_items, labels, attribution):
    pid = add_patient(app, therapist)
    _course(app, therapist, pid)
    html = therapist_client.get(measure_path(pid, code)).get_data(as_text=True)
    text = text_of(main_of(html))
    instrument = INSTRUMENTS[code]
    legends = [text_of(m) for m in re.findall(r"<legend>(.*?)</legend>", html, re.S)
               if "(not scored)" not in m]  # PHQ-9's closing question is not an item.
    assert legends == [f"{n}. {item}" for n, item in enumerate(instrument.items, 1)]
    assert len(legends) == n_items
    for phrase in SPOT_CHECKS[code]:
        assert phrase in text, phrase
    for number in range(1, n_items + 1):
        group = _fieldset(html, f"item_{number}")
        values = re.findall(rf'name="item_{number}"[^>]*type="radio" value="(\d+)"', group)
        assert values == [str(v) for v in range(len(labels))], (number, values)
        assert [text_of(t) for t in re.findall(r"<span>(.*?)</span>", group)] == labels
        assert "checked" not in group  # Nothing is pre-answered.
    assert f"item_{n_items + 1}" not in html
    assert attribution in text
    assert "PRIME-MD" not in html


def test_the_form_shows_the_published_preamble_and_closing_question(
        app, therapist, therapist_client):
    """The PCL-5 prints its instructions paragraph before the items; the PHQ-9 ends with its
    (unscored) functional difficulty question. Both are part of the standard wording."""
    pid = add_patient(app, therapist)
    _course(app, therapist, pid)
    pcl5 = text_of(main_of(therapist_client.get(measure_path(pid, "pcl5")).get_data(as_text=True)))
    assert ("Below is a list of problems that people sometimes have in response to a very "
            "stressful experience.") in pcl5
    phq9 = text_of(main_of(therapist_client.get(measure_path(pid, "phq9")).get_data(as_text=True)))
    assert ("If you checked off any problems, how difficult have these problems made it for you "
            "to do your work, take care of things at home, or get along with other people?"
            ) in phq9
    for label in ("Not difficult at all", "Somewhat difficult", "Very difficult",
                  "Extremely difficult"):
        assert label in phq9


def test_the_form_offers_only_this_patients_courses_and_sessions(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    mine = _course(app, therapist, pid, "Mine")
    other = _course(app, therapist, add_patient(app, therapist, "Daniel Reyes"), "Theirs")
    form = only_post_form(therapist_client.get(measure_path(pid, "phq9")).get_data(as_text=True))
    assert form["course_id"] == str(mine["course"])
    assert form["session_id"] == "0"  # Between sessions, unless a session is chosen.
    assert form["taken_on"] == TODAY.isoformat()
    html = therapist_client.get(measure_path(pid, "phq9")).get_data(as_text=True)
    course_options = re.findall(r'<option value="(\d+)"',
                                re.search(r'<select[^>]*id="course_id".*?</select>', html,
                                          re.S).group(0))
    session_options = re.findall(r'<option value="(\d+)"',
                                 re.search(r'<select[^>]*id="session_id".*?</select>', html,
                                           re.S).group(0))
    assert course_options == [str(mine["course"])]
    assert sorted(session_options) == sorted(["0", *map(str, mine["sessions"])])
    assert str(other["course"]) not in course_options

    # Entering from a session preselects it, its course and its date.
    chosen = mine["sessions"][0]
    page = therapist_client.get(measure_path(pid, "phq9") + f"?session_id={chosen}")
    form = only_post_form(page.get_data(as_text=True))
    assert form["session_id"] == str(chosen)
    assert form["taken_on"] == (TODAY - timedelta(days=20)).isoformat()


# Saving and scoring -------------------------------------------------------------------------


def test_a_complete_phq9_is_stored_scored_and_compared_within_its_course(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    earlier = _course(app, therapist, pid, "Earlier course", start=TODAY - timedelta(days=400),
                      session_days=(390,))
    course = _course(app, therapist, pid, "Current course", session_days=(20, 10))
    # A score in another course is never this course's baseline.
    saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 24),
                                   course_id=earlier["course"],
                                   taken_on=TODAY - timedelta(days=390)))

    # Entered out of order: the baseline is the course's first score by date.
    middle_answers = [2, 2, 2, 2, 2, 2, 1, 1, 0]  # 14
    response = questionnaire(client, pid, "phq9", middle_answers, course_id=course["course"],
                             session_id=course["sessions"][1], taken_on=TODAY - timedelta(days=10))
    middle = saved_measure_id(response)
    assert response.headers["Location"] == f"/patients/{pid}/measures/{middle}"
    baseline = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 20), course_id=course["course"],
        taken_on=TODAY - timedelta(days=25)))
    latest = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 4), course_id=course["course"],
        session_id=0, taken_on=TODAY))

    with database(app) as db:
        stored = db.get(MeasureResponse, middle)
        assert stored.instrument == "phq9"
        assert stored.answers == middle_answers
        assert stored.total == 14
        assert stored.course_id == course["course"]
        assert stored.session_id == course["sessions"][1]
        assert stored.taken_on == TODAY - timedelta(days=10)
        assert stored.recorded_by_id == therapist.id
        assert stored.safety_flag is False
        assert db.get(MeasureResponse, latest).session_id is None  # Between sessions.
        assert count(db, MeasureResponse) == 4

    base_day = (TODAY - timedelta(days=25)).isoformat()
    page = _text(client.get(f"/patients/{pid}/measures/{baseline}"))
    assert "20 of 27 · Severe" in page
    assert "Change from baseline (this is the baseline) +0" in page
    assert "Change from the previous score —" in page

    page = _text(client.get(f"/patients/{pid}/measures/{middle}"))
    assert "14 of 27 · Moderate" in page
    assert f"Change from baseline -6 (baseline 20 on {base_day})" in page
    assert "Change from the previous score -6" in page
    assert ("Minimal clinically important difference (5 points) Improved by at least the MCID "
            "since baseline") in page
    assert ("Response (Response: a drop of 50% or more from a baseline of 10 or more (HEDIS)) "
            "No") in page
    assert ("Remission (Remission: a total below 5, from a baseline of 10 or more (HEDIS)) "
            "No") in page
    assert "convention" not in page  # The PHQ-9 rules are its own.

    page = _text(client.get(f"/patients/{pid}/measures/{latest}"))
    assert "4 of 27 · Minimal" in page
    assert f"Change from baseline -16 (baseline 20 on {base_day})" in page
    assert "Change from the previous score -10" in page
    assert "Improved by at least the MCID since baseline" in page
    assert ("Response (Response: a drop of 50% or more from a baseline of 10 or more (HEDIS)) "
            "Yes") in page
    assert ("Remission (Remission: a total below 5, from a baseline of 10 or more (HEDIS)) "
            "Yes") in page
    # Every answer is shown with its option.
    assert "Little interest or pleasure in doing things — Nearly every day (3)" in page
    assert PFIZER in page


def test_a_worse_score_is_reported_as_worse(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 6),
                                   course_id=course["course"], taken_on=TODAY - timedelta(days=9)))
    worse = saved_measure_id(questionnaire(client, pid, "phq9", answers_for("phq9", 13),
                                           course_id=course["course"], taken_on=TODAY))
    page = _text(client.get(f"/patients/{pid}/measures/{worse}"))
    assert "13 of 27 · Moderate" in page
    assert "Change from baseline +7" in page
    assert "Change from the previous score +7" in page
    assert "Worse by at least the MCID since baseline" in page
    # A baseline of 6 is below the HEDIS index score of 10: no response rule applies.
    assert ("Response (Response: a drop of 50% or more from a baseline of 10 or more (HEDIS)) "
            "n/a (baseline below 10)") in page


def test_gad7_scores_label_its_borrowed_response_and_remission_rules(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    saved_measure_id(questionnaire(client, pid, "gad7", answers_for("gad7", 12),
                                   course_id=course["course"],
                                   taken_on=TODAY - timedelta(days=14)))
    later = saved_measure_id(questionnaire(client, pid, "gad7", answers_for("gad7", 5),
                                           course_id=course["course"], taken_on=TODAY))
    page = _text(client.get(f"/patients/{pid}/measures/{later}"))
    assert "5 of 21 · Mild" in page
    assert "Change from baseline -7" in page
    assert "Change from the previous score -7" in page
    assert ("Minimal clinically important difference (4 points) Improved by at least the MCID "
            "since baseline") in page
    response = re.search(r"Response \((.*?)\) (Yes|No)", page)
    remission = re.search(r"Remission \((.*?)\) (Yes|No)", page)
    assert response and remission
    assert "convention" in response.group(1) and "no standard response" in response.group(1)
    assert "convention" in remission.group(1) and "no standard remission" in remission.group(1)
    assert response.group(2) == "Yes"  # A drop of 7 from 12 is more than half.
    assert remission.group(2) == "No"  # 5 is not below 5.
    assert PFIZER in page


# Items 1-5: 4,4,4,2,2 (B met); 6-7: 2,2 (C); 8-14: 2,2,0... (D, two endorsed);
# 15-20: 2,2,2,2,0,0 (E): 32, within the 31-33 range.
PCL5_MET = [4, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0]


def test_pcl5_shows_the_dsm5_cluster_rule_and_the_cut_off_range(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    assert sum(PCL5_MET) == 32
    first = saved_measure_id(questionnaire(client, pid, "pcl5", PCL5_MET,
                                           course_id=course["course"],
                                           taken_on=TODAY - timedelta(days=20)))
    page = _text(client.get(f"/patients/{pid}/measures/{first}"))
    assert "32 of 80" in page
    assert "Provisional PTSD, DSM-5 cluster rule Met (B ✓, C ✓, D ✓, E ✓)" in page
    assert "Cut-off range 31–33 Within 31–33" in page
    assert "National Center for PTSD" in page

    # Every item rated 1: no item endorsed (2 or more), so no cluster is met; 20 is below 31.
    later = saved_measure_id(questionnaire(client, pid, "pcl5", [1] * 20,
                                           course_id=course["course"], taken_on=TODAY))
    page = _text(client.get(f"/patients/{pid}/measures/{later}"))
    assert "20 of 80" in page
    assert "Provisional PTSD, DSM-5 cluster rule Not met (B ✗, C ✗, D ✗, E ✗)" in page
    assert "Cut-off range 31–33 Below 31" in page
    assert "Change from baseline -12" in page
    assert "Minimal clinically important difference (10 points)" in page
    assert re.search(r"Response \(Response: a drop of 5 points or more from baseline[^)]*\)+ "
                     r"Yes", page)
    assert "Remission" not in page  # No remission rule for the PCL-5.
    assert " · Minimal" not in page and " · Severe" not in page  # No severity bands.


def test_cluster_d_needs_two_endorsed_items(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    answers = list(PCL5_MET)
    answers[8] = 1  # Item 9 no longer endorsed: only item 8 of items 8-14 is.
    answers[19] = 1  # (the total stays at 32)
    mid = saved_measure_id(questionnaire(client, pid, "pcl5", answers,
                                         course_id=course["course"], taken_on=TODAY))
    page = _text(client.get(f"/patients/{pid}/measures/{mid}"))
    assert "Provisional PTSD, DSM-5 cluster rule Not met (B ✓, C ✓, D ✗, E ✓)" in page
    assert "Cut-off range 31–33 Within 31–33" in page


# Refusals -----------------------------------------------------------------------------------


def test_an_incomplete_questionnaire_is_refused_and_keeps_every_answer(
        app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    answers = [1, 2, None, 3, 0, 1, None, 2, 0]
    response = questionnaire(therapist_client, pid, "phq9", answers, course_id=course["course"],
                             session_id=course["sessions"][1],
                             taken_on=TODAY - timedelta(days=10))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ("Items 3 and 7 are unanswered: a questionnaire is scored only when every item is "
            "answered.") in text_of(main_of(html))
    assert _stored(app) == []
    # Every answered item is still checked, the unanswered ones are not, nothing else moved.
    form = only_post_form(html)
    assert {k: v for k, v in form.items() if k.startswith("item_")} == {
        f"item_{n}": str(v) for n, v in enumerate(answers, 1) if v is not None}
    assert form["session_id"] == str(course["sessions"][1])
    assert form["taken_on"] == (TODAY - timedelta(days=10)).isoformat()
    assert "field--invalid" in _fieldset(html, "item_3")
    assert "field--invalid" in _fieldset(html, "item_7")
    assert "field--invalid" not in _fieldset(html, "item_4")

    # One item missing: the singular.
    one = questionnaire(therapist_client, pid, "gad7", [1, 1, 1, 1, 1, 1, None],
                        course_id=course["course"])
    assert one.status_code == 200
    assert "Item 7 is unanswered" in _text(one)
    assert _stored(app) == []


@pytest.mark.parametrize("code,changes,message", [
    ("phq9", {"item_2": "4"}, None),
    ("phq9", {"item_2": "-1"}, None),
    ("phq9", {"item_5": "1.5"}, None),
    ("pcl5", {"item_20": "5"}, None),
    ("phq9", {"taken_on": (TODAY + timedelta(days=1)).isoformat()},
     "The date cannot be in the future."),
    ("phq9", {"taken_on": "2026-02-30"}, None),
])
def test_out_of_range_answers_and_future_dates_are_refused(
        app, therapist, therapist_client, code, changes, message):
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    answers = [1] * {"phq9": 9, "gad7": 7, "pcl5": 20}[code]
    response = questionnaire(therapist_client, pid, code, answers, course_id=course["course"],
                             **changes)
    assert response.status_code == 200, response.headers.get("Location")
    assert _stored(app) == []
    html = response.get_data(as_text=True)
    if message:
        assert message in text_of(main_of(html))
    for name in changes:
        if name.startswith("item_"):
            assert "field--invalid" in _fieldset(html, name)


def test_another_patients_course_or_session_cannot_be_used(app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    mine = _course(app, therapist, pid)
    theirs = _course(app, therapist, add_patient(app, therapist, "Daniel Reyes"))
    answers = answers_for("phq9", 10)
    for fields in ({"course_id": theirs["course"]},
                   {"course_id": mine["course"], "session_id": theirs["sessions"][0]},
                   {"course_id": theirs["course"], "session_id": theirs["sessions"][0]}):
        response = questionnaire(therapist_client, pid, "phq9", answers, **fields)
        assert response.status_code in (200, 404), (fields, response.status_code)
        assert _stored(app) == [], fields


def test_a_session_of_another_course_is_not_filed_under_the_wrong_course(
        app, therapist, therapist_client):
    """A score taken at a session belongs to that session's course (its baseline and
    comparisons are per course): a mismatched course and session is refused, or the score is
    filed under the session's course."""
    pid = add_patient(app, therapist)
    first = _course(app, therapist, pid, "First course", start=TODAY - timedelta(days=200),
                    session_days=(190,))
    second = _course(app, therapist, pid, "Second course", session_days=(10,))
    response = questionnaire(therapist_client, pid, "phq9", answers_for("phq9", 10),
                             course_id=second["course"], session_id=first["sessions"][0],
                             taken_on=TODAY - timedelta(days=190))
    for stored in _stored(app):
        assert stored.course_id == first["course"], (
            f"a score taken at a session of course {first['course']} was filed under course "
            f"{stored.course_id} ({response.status_code})")


def test_a_patient_needs_a_course_before_a_questionnaire(app, therapist, therapist_client):
    pid = add_patient(app, therapist)
    response = therapist_client.get(measure_path(pid, "phq9"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{pid}/courses/new"
    assert therapist_client.get(f"/patients/{pid}/measures/new/madrs").status_code == 404


def test_a_measure_of_another_patient_is_not_found_under_this_one(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    other = add_patient(app, therapist, "Daniel Reyes")
    _course(app, therapist, pid)
    course = _course(app, therapist, other)
    theirs = saved_measure_id(questionnaire(client, other, "phq9", answers_for("phq9", 5, item_9=1),
                                            course_id=course["course"]))
    assert client.get(f"/patients/{pid}/measures/{theirs}").status_code == 404
    token = only_post_form(client.get(f"/patients/{other}/measures/{theirs}")
                           .get_data(as_text=True))["csrf_token"]
    response = client.post(f"/patients/{pid}/measures/{theirs}/follow-up",
                           data={"csrf_token": token, "followed_up_on": TODAY.isoformat(),
                                 "action": "Wrong patient."})
    assert response.status_code == 404
    with database(app) as db:
        assert count(db, SafetyFollowUp) == 0


# Safety: PHQ-9 item 9 -----------------------------------------------------------------------


def _pages(client, pid: int) -> dict[str, str]:
    return {name: client.get(url).get_data(as_text=True) for name, url in (
        ("patient page", f"/patients/{pid}"),
        ("brief", f"/patients/{pid}/brief"),
        ("progress page", f"/patients/{pid}/progress"),
    )}


def _flag(html: str) -> str | None:
    match = re.search(rf'<div {FLAG}[^>]*>.*?</div>', html, re.S)
    return match.group(0) if match else None


def test_an_item_9_answer_raises_a_flag_that_stays_until_a_follow_up(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    flagged = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 6, item_9=1), course_id=course["course"],
        session_id=course["sessions"][0], taken_on=TODAY - timedelta(days=20)))
    with database(app) as db:
        assert db.get(MeasureResponse, flagged).safety_flag is True

    score_page = client.get(f"/patients/{pid}/measures/{flagged}").get_data(as_text=True)
    flag = _flag(score_page)
    assert flag, "no safety flag on the score page"
    assert 'role="alert"' in flag
    flag_text = text_of(flag)
    assert "Safety follow-up needed" in flag_text
    assert "Item 9 alone is not a sufficient suicide-risk screen" in flag_text
    _never_calls_zero_safe(flag_text)
    # The flagged answer is marked and a follow-up can be recorded from here.
    assert re.search(r'<li class="answers__flagged">Thoughts that you would be better off dead',
                     score_page)
    action = f"/patients/{pid}/measures/{flagged}/follow-up"
    form_fields(score_page, action=action)

    for name, html in _pages(client, pid).items():
        flag = _flag(html)
        assert flag, f"no safety flag on the {name}"
        assert f'href="/patients/{pid}/measures/{flagged}"' in flag, name
        assert "Item 9 alone is not a sufficient" in text_of(flag), name

    # A later, reassuring-looking PHQ-9 (item 9 = 0, minimal) does not hide it.
    later = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 2, item_9=0), course_id=course["course"],
        session_id=course["sessions"][1], taken_on=TODAY - timedelta(days=10)))
    later_page = client.get(f"/patients/{pid}/measures/{later}").get_data(as_text=True)
    _never_calls_zero_safe(text_of(main_of(later_page)))
    assert f"/measures/{later}/follow-up" not in later_page
    for name, html in _pages(client, pid).items():
        flag = _flag(html)
        assert flag, f"the later score hid the flag on the {name}"
        assert f'href="/patients/{pid}/measures/{flagged}"' in flag, name
        _never_calls_zero_safe(text_of(main_of(html)))
    assert _flag(client.get(f"/patients/{pid}/measures/{flagged}").get_data(as_text=True))

    # The follow-up, through the score page's own form.
    form = form_fields(score_page, action=action)
    form.update(followed_up_on=(TODAY - timedelta(days=19)).isoformat(),
                action="Safety assessment by phone; safety plan reviewed; crisis line given.")
    response = client.post(action, data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{pid}/measures/{flagged}"
    with database(app) as db:
        follow_up = db.scalar(select(SafetyFollowUp))
        assert follow_up.response_id == flagged
        assert follow_up.recorded_by_id == therapist.id
        assert follow_up.followed_up_on == TODAY - timedelta(days=19)

    score_page = client.get(f"/patients/{pid}/measures/{flagged}").get_data(as_text=True)
    assert _flag(score_page) is None
    shown = text_of(main_of(score_page))
    assert "Safety assessment by phone; safety plan reviewed; crisis line given." in shown
    assert (TODAY - timedelta(days=19)).strftime("%d %b %Y") in shown
    for name, html in _pages(client, pid).items():
        assert _flag(html) is None, f"the flag stayed on the {name} after the follow-up"
        assert FLAG.split('"')[1] not in html, name


def test_a_new_item_9_answer_after_a_follow_up_raises_a_new_flag(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    first = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 9, item_9=2), course_id=course["course"],
        taken_on=TODAY - timedelta(days=20)))
    action = f"/patients/{pid}/measures/{first}/follow-up"
    page = client.get(f"/patients/{pid}/measures/{first}").get_data(as_text=True)
    form = form_fields(page, action=action)
    form.update(followed_up_on=TODAY.isoformat(), action="Seen in session.")
    assert client.post(action, data=form).status_code == 302
    second = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 3, item_9=1), course_id=course["course"],
        taken_on=TODAY))
    for name, html in _pages(client, pid).items():
        flag = _flag(html)
        assert flag, name
        assert f"/measures/{second}" in flag and f"/measures/{first}\"" not in flag, name


def test_a_follow_up_needs_a_past_date_and_what_was_done(app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    flagged = saved_measure_id(questionnaire(
        client, pid, "phq9", answers_for("phq9", 5, item_9=3), course_id=course["course"]))
    action = f"/patients/{pid}/measures/{flagged}/follow-up"
    form = form_fields(client.get(f"/patients/{pid}/measures/{flagged}").get_data(as_text=True),
                       action=action)
    for changes in ({"followed_up_on": TODAY.isoformat(), "action": ""},
                    {"followed_up_on": TODAY.isoformat(), "action": "   "},
                    {"followed_up_on": "", "action": "Called."},
                    {"followed_up_on": (TODAY + timedelta(days=2)).isoformat(),
                     "action": "Will call."}):
        response = client.post(action, data={**form, **changes})
        assert response.status_code == 200, changes
        assert _flag(response.get_data(as_text=True)), changes
        with database(app) as db:
            assert count(db, SafetyFollowUp) == 0, changes
    assert _flag(client.get(f"/patients/{pid}").get_data(as_text=True))


def test_gad7_and_pcl5_never_flag_and_unflagged_scores_take_no_follow_up(
        app, therapist, therapist_client):
    client = therapist_client
    pid = add_patient(app, therapist)
    course = _course(app, therapist, pid)
    gad7 = saved_measure_id(questionnaire(client, pid, "gad7", [3] * 7,
                                          course_id=course["course"]))
    pcl5 = saved_measure_id(questionnaire(client, pid, "pcl5", [4] * 20,
                                          course_id=course["course"]))
    phq9 = saved_measure_id(questionnaire(client, pid, "phq9", [3] * 8 + [0],
                                          course_id=course["course"]))
    with database(app) as db:
        assert [m.safety_flag for m in db.scalars(select(MeasureResponse))] == [False] * 3
    for mid in (gad7, pcl5, phq9):
        page = client.get(f"/patients/{pid}/measures/{mid}").get_data(as_text=True)
        assert _flag(page) is None, mid
        assert "/follow-up" not in page, mid
        response = client.post(f"/patients/{pid}/measures/{mid}/follow-up",
                               data={"csrf_token": _token(client, pid),
                                     "followed_up_on": TODAY.isoformat(),
                                     "action": "Nothing to follow up."})
        assert response.status_code == 404, mid
    for name, html in _pages(client, pid).items():
        assert _flag(html) is None, name
    with database(app) as db:
        assert count(db, SafetyFollowUp) == 0


def _token(client, pid: int) -> str:
    """A CSRF token as a page of this patient carries it."""
    for form in page_forms(client.get(f"/patients/{pid}").get_data(as_text=True)):
        for name, value in form.fields:
            if name == "csrf_token":
                return value
    raise AssertionError("no CSRF token on the patient page")
