"""Courses of a patient, and starting a new session in one."""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tracker.access import get_patient_or_404
from tracker.courses import services
from tracker.courses.forms import CourseForm, NewSessionForm
from tracker.db import get_db

bp = Blueprint("courses", __name__, url_prefix="/patients/<id:patient_id>")


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    form = CourseForm()
    if form.validate_on_submit():
        services.create_course(db, patient, form.course_data())
        db.commit()
        flash("Course created.", "success")
        return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("courses/form.html", form=form, patient=patient, course=None)


@bp.route("/courses/<id:course_id>/edit", methods=["GET", "POST"])
def edit_course(patient_id: int, course_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    course = services.get_course_or_404(db, patient, course_id)
    form = CourseForm(obj=None if request.method == "POST" else course)
    if form.validate_on_submit():
        services.update_course(db, course, form.course_data())
        db.commit()
        flash("Course saved.", "success")
        return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("courses/form.html", form=form, patient=patient, course=course)


@bp.route("/sessions/new", methods=["GET", "POST"])
def new_session(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    courses = services.list_courses(db, patient)
    if not courses:
        flash("Start a course first: sessions belong to a course.", "info")
        return redirect(url_for("courses.new_course", patient_id=patient.id))
    form = NewSessionForm()
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in courses]
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        session = services.create_session(
            db, current_user, patient, course, kind=form.kind.data,
            starts_at=datetime.combine(form.session_date.data, form.start_time.data),
            duration_minutes=form.duration_minutes.data,
        )
        db.commit()
        return redirect(url_for("notes.edit", session_id=session.id))
    return render_template("courses/new_session.html", form=form, patient=patient)
