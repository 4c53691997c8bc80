"""The therapist's side of between sessions: the patient's check-in link (made, shown once
as a URL, a QR code and a code; revoked; unlocked), the take-home plan (to print, or to show
on the patient's phone), the next planned session, and the questionnaires scheduled for
home."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker import dates
from tracker.access import get_patient_or_404, is_safe_next
from tracker.checkins import links
from tracker.checkins.forms import LinkForm, NextSessionForm, ScheduleForm
from tracker.checkins.models import SCHEDULE_RULES, QuestionnaireSchedule
from tracker.checkins.plan import plan_for
from tracker.courses.models import Course
from tracker.db import get_db, utcnow
from tracker.qr import qr_svg

bp = Blueprint("checkins", __name__)


def _schedules(db, patient):
    return db.scalars(select(QuestionnaireSchedule).where(
        QuestionnaireSchedule.patient_id == patient.id,
        QuestionnaireSchedule.ended_at.is_(None)).order_by(QuestionnaireSchedule.id)).all()


def _render(patient, *, new=None, schedule_form=None, next_form=None, link_form=None,
            status=200):
    """The between-sessions page; `next_form`: (course id, a next-session form with its
    errors) to show instead of that course's saved date."""
    db = get_db()
    courses = db.scalars(select(Course).where(Course.patient_id == patient.id,
                                              Course.status == "active")
                         .order_by(Course.start_date)).all()
    link = links.live_link(db, patient)
    return render_template(
        "checkins/manage.html", patient=patient, link=link, usable=links.usable(link),
        new=new, courses=courses, schedules=_schedules(db, patient), rules=SCHEDULE_RULES,
        link_form=link_form or LinkForm(), reminders=bool(current_app.config["MAIL_SERVER"]),
        schedule_form=schedule_form or ScheduleForm(),
        next_forms={c.id: next_form[1] if next_form and next_form[0] == c.id else
                    NextSessionForm(data={"next_session_on": c.next_session_on},
                                    prefix=f"course-{c.id}") for c in courses},
    ), status


@bp.route("/patients/<id:patient_id>/between-sessions")
def manage(patient_id: int):
    return _render(get_patient_or_404(get_db(), current_user, patient_id))


@bp.route("/patients/<id:patient_id>/checkin-link", methods=["POST"])
def create_link(patient_id: int):
    """A new link (the one before is revoked). Its URL, QR code and code are shown in this
    answer only: they are not stored, and the page is never cached. With reminders set up,
    the address they go to, if the patient gave one (kept with the link, never logged)."""
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    form = LinkForm()
    if not form.validate_on_submit():
        return _render(patient, link_form=form, status=400)
    link, token, code = links.create(db, current_user, patient)
    if current_app.config["MAIL_SERVER"]:
        link.reminder_email = form.reminder_email.data or None
    db.commit()
    url = url_for("checkin.open_link", token=token, _external=True)
    return _render(patient, new={"url": url, "code": code, "expires_at": link.expires_at,
                                 "qr": qr_svg(url, "QR code of the check-in link")})


@bp.route("/patients/<id:patient_id>/checkin-link/revoke", methods=["POST"])
def revoke_link(patient_id: int):
    return _change_link(patient_id, links.revoke, "The check-in link was revoked: it opens "
                        "nothing any more.")


@bp.route("/patients/<id:patient_id>/checkin-link/unlock", methods=["POST"])
def unlock_link(patient_id: int):
    return _change_link(patient_id, links.unlock, "The check-in link was unlocked.")


def _change_link(patient_id: int, change, message: str):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    link = links.live_link(db, patient)
    if link is not None and (change is not links.unlock or link.locked_at is not None):
        change(db, current_user, link)
        db.commit()
        flash(message, "success")
    return redirect(url_for("checkins.manage", patient_id=patient.id))


@bp.route("/patients/<id:patient_id>/plan")
def plan(patient_id: int):
    """The take-home plan: printable, and as a page for the patient's phone."""
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    return render_template("checkins/plan.html", patient=patient, plan=plan_for(db, patient))


@bp.route("/courses/<id:course_id>/next-session", methods=["POST"])
def next_session(course_id: int):
    db = get_db()
    course = db.get(Course, course_id)
    patient = get_patient_or_404(db, current_user, course.patient_id if course else 0,
                                 need="write")
    form = NextSessionForm(prefix=f"course-{course.id}")
    if not form.validate_on_submit():
        return _render(patient, next_form=(course.id, form))
    course.next_session_on = form.next_session_on.data
    db.commit()
    flash("Next planned session saved." if course.next_session_on
          else "Next planned session cleared.", "success")
    back = request.form.get("back")
    return redirect(back if is_safe_next(back)
                    else url_for("checkins.manage", patient_id=patient.id))


@bp.route("/patients/<id:patient_id>/schedules", methods=["POST"])
def add_schedule(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _render(patient, schedule_form=form)
    db.add(QuestionnaireSchedule(
        patient_id=patient.id, instrument=form.instrument.data, rule=form.rule.data,
        days=form.days.data or 0, starts_on=form.starts_on.data or dates.today(),
        created_by_id=current_user.id))
    db.commit()
    flash("Questionnaire scheduled.", "success")
    return redirect(url_for("checkins.manage", patient_id=patient.id))


@bp.route("/patients/<id:patient_id>/schedules/<id:schedule_id>/end", methods=["POST"])
def end_schedule(patient_id: int, schedule_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    for item in _schedules(db, patient):
        if item.id == schedule_id:
            item.ended_at = utcnow()
            db.commit()
            flash("The schedule was ended.", "info")
    return redirect(url_for("checkins.manage", patient_id=patient.id))
