from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker import confirm
from tracker.access import current_access, get_patient_or_404
from tracker.audit.hooks import name_subjects
from tracker.auth.models import User
from tracker.care_team import emergency
from tracker.checkins import openings
from tracker.converters import id_url
from tracker.courses.services import course_position, dose_numbers, list_courses
from tracker.db import get_db
from tracker.forms import clean_text
from tracker.measures.services import open_safety_flags, responses_of
from tracker.patients import services
from tracker.patients.forms import PatientForm
from tracker.patients.models import PATIENT_STATUSES

bp = Blueprint("patients", __name__, url_prefix="/patients")
bp.add_app_template_global(id_url, "id_url")

MAX_QUERY_LENGTH = 100
MAX_PAGE = 100_000


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


@bp.route("/")
def index():
    status = request.args.get("status", "active")
    if status not in PATIENT_STATUSES:
        status = "active"
    query = clean_text(request.args.get("q", ""))[:MAX_QUERY_LENGTH]
    listing = services.list_patients(
        get_db(),
        current_user,
        query=query,
        status=status,
        page=_page_arg(),
        per_page=current_app.config["PATIENTS_PER_PAGE"],
    )
    name_subjects(row.patient.id for row in listing.items)
    return render_template("patients/index.html", listing=listing, query=query, status=status)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = PatientForm()
    if form.validate_on_submit():
        db = get_db()
        patient = services.create_patient(db, current_user, form.patient_data())
        db.commit()
        flash("Patient created.", "success")
        return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=None)


@bp.route("/<id:patient_id>")
def show(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    openings.mark_opened(current_user.id, patient.id)
    courses = list_courses(db, patient)
    open_flags = open_safety_flags(responses_of(db, patient))
    access = current_access()
    return render_template(
        "patients/show.html",
        patient=patient,
        open_flags=open_flags,
        primary_name=None if access.is_primary else db.get_one(User, patient.therapist_id).name,
        unseen_grants=[grant for grant in emergency.grants_on(db, patient)
                       if grant.acknowledged_at is None] if access.is_primary else [],
        courses=[
            (course, course_position(course, course.sessions), dose_numbers(course.sessions))
            for course in courses
        ],
    )


@bp.route("/<id:patient_id>/edit", methods=["GET", "POST"])
def edit(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    form = PatientForm(
        data=None
        if request.method == "POST"
        else {name: getattr(patient, name) for name in services.PATIENT_FIELDS}
    )
    if form.validate_on_submit():
        services.update_patient(db, patient, form.patient_data())
        db.commit()
        flash("Changes saved.", "success")
        return redirect(url_for("patients.show", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=patient)


@bp.route("/<id:patient_id>/archive", methods=["POST"])
def archive(patient_id: int):
    return _set_archived(patient_id, True)


@bp.route("/<id:patient_id>/restore", methods=["POST"])
def restore(patient_id: int):
    return _set_archived(patient_id, False)


def _set_archived(patient_id: int, archived: bool):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="primary")
    if archived and not confirm.confirmed():
        return confirm.ask(
            title=f"Archive {patient.display_name}?",
            consequence=f"{patient.display_name} leaves the active patient list; the record "
                        "stays whole and can still be opened, and nothing is deleted. You can "
                        "restore them to the active list at any time.",
            button="Archive", cancel_url=url_for("patients.show", patient_id=patient.id),
            undoable=True)
    services.set_archived(db, patient, archived)
    db.commit()
    if archived:
        confirm.offer_undo(f"{patient.display_name} was archived.",
                           url_for("patients.restore", patient_id=patient.id), "Undo")
    else:
        flash("Patient restored to the active list.", "success")
    return redirect(url_for("patients.show", patient_id=patient.id))
