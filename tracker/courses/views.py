"""Courses of a patient."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.access import get_patient_or_404
from tracker.courses import services
from tracker.courses.forms import CourseForm
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
