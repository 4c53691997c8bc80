"""Questionnaires answered at home: which are due for a patient (schedule.py's rules over the
schedules, the dosing sessions, the next planned session and what was answered), and the
patient's page that answers one, item by item with the standard wording, scored by the
same module as in session and stored as patient-reported.

Safety: a PHQ-9 answered at home with item 9 above 0 raises the safety flag (kept even when
other items are left blank) and sends the patient at once to the practice's crisis text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from tracker import dates
from tracker.audit.hooks import append
from tracker.auth.models import User
from tracker.checkins import due as due_of
from tracker.checkins import schedule
from tracker.checkins.models import CheckinLink
from tracker.courses.models import Course
from tracker.db import get_db
from tracker.measures import scoring
from tracker.measures.forms import questionnaire_form
from tracker.measures.instruments import get_instrument
from tracker.measures.services import record_response
from tracker.patients.models import Patient

# The in-session form's fields a home questionnaire does without.
SESSION_ONLY_FIELDS = ("course_id", "session_id", "taken_on", "partial_id", "index_event")


def _current_course(db: Session, patient_id: int) -> Course | None:
    return due_of.current_courses(db, [patient_id]).get(patient_id)


def due_for(db: Session, patient: Patient, today: date) -> list[schedule.Due]:
    """The questionnaires due at home for the patient today (none without a course)."""
    return due_of.due_for_patients(db, [patient.id], today).get(patient.id, [])


def _home_form(instrument):
    form = questionnaire_form(instrument)()
    for name in SESSION_ONLY_FIELDS:
        if getattr(form, name, None) is not None:
            delattr(form, name)
    return form


def answer(link: CheckinLink, patient: Patient, code: str, *, audited: Callable[[], None]):
    """GET: the questionnaire's page; POST: score and store it (every item answered, or the
    safety item flagged), then the crisis text or back to the check-in page."""
    db = get_db()
    today = dates.today()
    if code not in {due.instrument for due in due_for(db, patient, today)}:
        flash("That questionnaire is not due now: nothing to answer.", "info")
        return redirect(url_for("checkin.home"))
    instrument = get_instrument(code)
    form = _home_form(instrument)
    problem = None
    if request.method == "POST":
        complete = form.validate()
        flagged = scoring.safety_flag(code, form.answers())
        if complete or (flagged and form.only_items_unanswered()):
            audited()
            response = record_response(
                db, db.get(User, link.created_by_id), patient, instrument=code,
                course=_current_course(db, patient.id), session=None, taken_on=today,
                answers=form.answers(),
                difficulty=form.difficulty.data if form.difficulty else None,
                source="home", link_id=link.id)
            append(db, action="checkin_questionnaire_submitted",
                   remote_addr=request.remote_addr, patient_id=patient.id,
                   record_type="measure", record_id=response.id)
            db.commit()
            if response.safety_flag:
                return redirect(url_for("checkin.crisis"))
            flash("Thank you: your answers are saved.", "success")
            return redirect(url_for("checkin.home"))
        problem = "Please answer every question; the ones left are marked."
    return render_template("checkin/questionnaire.html", form=form, spec=instrument,
                           problem=problem), (400 if problem else 200)
