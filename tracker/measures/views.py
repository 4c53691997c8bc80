"""Entering questionnaires item by item, their scores, and safety follow-ups."""

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
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in courses]
    sessions = {s.id: s for c in courses for s in c.sessions}
    form.session_id.choices = [SelectChoice(0, "— between sessions —")] + [
        SelectChoice(s.id, f"{dates.show(s.starts_at, 'iso')} · {s.kind_spec.lower_label}")
        for s in sorted(sessions.values(), key=lambda s: s.starts_at, reverse=True)]
    if request.method == "GET":
        chosen = request.args.get("session_id", type=int)
        if chosen in sessions:
            form.session_id.data = chosen
            form.course_id.data = sessions[chosen].course_id
            form.taken_on.data = sessions[chosen].starts_at.date()
    problem = None
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        session = sessions.get(form.session_id.data)
        try:
            response = services.record_response(
                db, current_user, patient, instrument=instrument, course=course,
                session=session, taken_on=form.taken_on.data, answers=form.answers(),
                difficulty=form.difficulty.data if form.difficulty else None)
        except (scoring.IncompleteAnswers, services.MeasureRuleError) as error:
            problem = str(error)
        else:
            db.commit()
            flash(f"{spec.name} saved and scored.", "success")
            return redirect(url_for("measures.show", patient_id=patient.id,
                                    measure_id=response.id))
    elif request.method == "POST":
        missing = form.unanswered()
        if missing:
            problem = str(scoring.IncompleteAnswers(missing))
    return render_template("measures/new.html", patient=patient, spec=spec, form=form,
                           problem=problem)


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
