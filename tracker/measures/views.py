"""Entering questionnaires item by item, their scores, and safety follow-ups."""

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.access import get_patient_or_404
from tracker.courses.services import list_courses
from tracker.db import get_db
from tracker.measures import instruments, scoring, services
from tracker.measures.forms import FollowUpForm, questionnaire_form

bp = Blueprint("measures", __name__, url_prefix="/patients/<id:patient_id>/measures")
# Every page's "Enter" links: `{% for instrument in instruments() %}`, in registry order.
bp.add_app_template_global(instruments.all_instruments, "instruments")
bp.add_app_template_global(instruments.get_instrument, "instrument")


@bp.app_template_global("measurable")
def measurable(session) -> bool:
    """Whether questionnaires can be entered as taken at `session` (it has begun)."""
    return session.starts_at.date() <= dates.today()


PARTIAL_KEPT = (" Item {item} is answered above 0, so the answers so far are kept as an "
                "incomplete questionnaire, not scored, and the safety flag is raised. Answer "
                "the remaining items and save again to score it.")


@bp.route("/new/<instrument:instrument>", methods=["GET", "POST"])
def new(patient_id: int, instrument: str):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    courses = list_courses(db, patient)
    if not courses:
        flash("Start a course first: scores are compared within a course.", "info")
        return redirect(url_for("courses.new_course", patient_id=patient.id))
    spec = instruments.get_instrument(instrument)
    form = questionnaire_form(spec)()
    sessions = {s.id: s for c in courses for s in c.sessions}
    _offer(form, courses, sessions)
    if request.method == "GET":
        _prefill(form, db, patient, spec, sessions)
    problem, kept = None, None
    if form.validate_on_submit() or (
            request.method == "POST" and form.only_items_unanswered()
            and scoring.safety_flag(instrument, form.answers())):
        course = next(c for c in courses if c.id == form.course_id.data)
        try:
            response = services.record_response(
                db, current_user, patient, instrument=instrument, course=course,
                session=sessions.get(form.session_id.data), taken_on=form.taken_on.data,
                default_date=dates.today(), answers=form.answers(),
                difficulty=form.difficulty.data if form.difficulty else None,
                index_event=form.index_event.data if form.index_event else None,
                partial=services.get_partial(db, patient, form.partial()))
        except services.MeasureRuleError as error:
            if error.field:
                form[error.field].errors = [*form[error.field].errors, str(error)]
            else:
                problem = str(error)
        else:
            db.commit()
            if not response.is_partial:
                flash(f"{spec.name} saved and scored.", "success")
                return redirect(url_for("measures.show", patient_id=patient.id,
                                        measure_id=response.id))
            kept = response
            form.partial_id.data = str(response.id)
            problem = str(scoring.IncompleteAnswers(form.unanswered())) + PARTIAL_KEPT.format(
                item=spec.safety_item + 1)
    elif request.method == "POST":
        missing = form.unanswered()
        if missing:
            problem = str(scoring.IncompleteAnswers(missing))
    return render_template("measures/new.html", patient=patient, spec=spec, form=form,
                           problem=problem, kept=[kept] if kept and kept.needs_follow_up else [])


def _offer(form, courses, sessions) -> None:
    """The course and session choices; each session's date and course for the script that
    makes the date follow the session (static/js/measure-form.js)."""
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in courses]
    ordered = sorted(sessions.values(), key=lambda s: s.starts_at, reverse=True)
    form.session_id.choices = [SelectChoice(0, "— between sessions —")] + [
        SelectChoice(s.id, f"{dates.show(s.starts_at, 'iso')} · {s.kind_spec.lower_label}")
        for s in ordered]
    form.session_id.render_kw = {
        "data-session-dates": json.dumps({str(s.id): s.starts_at.date().isoformat()
                                          for s in ordered}),
        "data-session-courses": json.dumps({str(s.id): str(s.course_id) for s in ordered})}


def _prefill(form, db, patient, spec, sessions) -> None:
    """Entering from a session: its course, itself and its date. Completing a partial
    answer (?partial=id): everything it holds."""
    chosen = request.args.get("session_id", type=int)
    if chosen in sessions:
        form.session_id.data = chosen
        form.course_id.data = sessions[chosen].course_id
        form.taken_on.data = sessions[chosen].starts_at.date()
    partial = services.get_partial(db, patient, request.args.get("partial", type=int))
    if partial is None or not partial.is_partial or partial.instrument != spec.code:
        return
    form.partial_id.data = str(partial.id)
    form.course_id.data = partial.course_id
    form.session_id.data = partial.session_id or 0
    form.taken_on.data = partial.taken_on
    for field, value in zip(form.item_fields(), partial.answers, strict=True):
        field.data = value
    if form.difficulty:
        form.difficulty.data = partial.difficulty
    if form.index_event:
        form.index_event.data = partial.index_event


@bp.route("/<id:measure_id>")
def show(patient_id: int, measure_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    response = services.get_response_or_404(db, patient, measure_id)
    scored = next(s for s in services.interpret(services.responses_of(db, patient))
                  if s.response.id == response.id)
    return render_template("measures/show.html", patient=patient, scored=scored,
                           form=FollowUpForm())


@bp.route("/<id:measure_id>/follow-up", methods=["POST"])
def follow_up(patient_id: int, measure_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    response = services.get_response_or_404(db, patient, measure_id)
    if not response.safety_flag:
        abort(404)
    form = FollowUpForm()
    if form.validate_on_submit():
        services.record_follow_up(db, current_user, response,
                                  followed_up_on=form.followed_up_on.data,
                                  action=form.action.data)
        db.commit()
        flash("Safety follow-up recorded.", "success")
        return redirect(url_for("measures.show", patient_id=patient.id, measure_id=response.id))
    scored = next(s for s in services.interpret(services.responses_of(db, patient))
                  if s.response.id == response.id)
    return render_template("measures/show.html", patient=patient, scored=scored, form=form)
