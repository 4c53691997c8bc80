"""The care team page of a patient, and the administrators' emergency access."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker import confirm
from tracker.access import get_patient_or_404, require_admin
from tracker.audit.hooks import name_subject, name_subjects
from tracker.auth.services import check_password
from tracker.care_team import emergency, services
from tracker.care_team.forms import RELATIONSHIP_LABELS, EmergencyAccessForm, ShareForm
from tracker.db import get_db, utcnow
from tracker.forms import SelectChoice
from tracker.patients.models import Patient

bp = Blueprint("care_team", __name__)


@bp.route("/patients/<id:patient_id>/care-team", methods=["GET", "POST"])
def show(patient_id: int):
    """Everyone may see who is on the team; only the primary therapist changes it."""
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id,
                                 need="primary" if request.method == "POST" else "read")
    form = ShareForm()
    form.user_id.choices = [SelectChoice(account.id, f"{account.name} ({account.email})")
                            for account in services.shareable_accounts(db, patient)]
    if form.validate_on_submit():
        try:
            member = services.share(db, current_user, patient, form.user_id.data,
                                    form.role.data, form.relationship.data)
        except services.ShareRefused as error:
            form.user_id.errors.append(str(error))
        else:
            name_subject("care_team_member", member.id, patient.id)
            db.commit()
            flash(f"Shared with {member.user.name} "
                  f"({'read and write' if member.role == 'write' else 'read only'}).", "success")
            return redirect(url_for("care_team.show", patient_id=patient.id))
    return render_template(
        "care_team/show.html", patient=patient, form=form,
        members=services.members(db, patient),
        former=services.members(db, patient, current=False),
        grants=emergency.grants_on(db, patient),
        reset_reads=emergency.reads_after_reset(db, patient),
        relationships=RELATIONSHIP_LABELS,
    )


@bp.route("/patients/<id:patient_id>/care-team/<id:member_id>/revoke", methods=["POST"])
def revoke(patient_id: int, member_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="primary")
    if not confirm.confirmed():
        current = next((m for m in services.members(db, patient) if m.id == member_id), None)
        if current is None:
            return redirect(url_for("care_team.show", patient_id=patient.id))
        return confirm.ask(
            title=f"Revoke the access of {current.user.name}?",
            consequence=f"{current.user.name} no longer sees {patient.display_name}'s record, "
                        "and their unsaved drafts of it are discarded. What they documented "
                        "stays. You can share the record with them again.",
            button="Revoke access", cancel_url=url_for("care_team.show", patient_id=patient.id),
            undoable=True)
    member = services.revoke(db, current_user, patient, member_id)
    if member is not None:
        services.discard_drafts(db, member)
        db.commit()
        confirm.offer_undo(f"{member.user.name} no longer has access to this patient.",
                           url_for("care_team.show", patient_id=patient.id), "Undo",
                           {"user_id": member.user_id, "role": member.role,
                            "relationship": member.relationship_})
    return redirect(url_for("care_team.show", patient_id=patient.id))


@bp.route("/patients/<id:patient_id>/emergency-access/acknowledge", methods=["POST"])
def acknowledge(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="primary")
    if emergency.acknowledge(db, patient):
        db.commit()
    return redirect(url_for("care_team.show", patient_id=patient.id))


@bp.route("/admin/emergency-access", methods=["GET", "POST"])
def emergency_access():
    """Break-glass: an administrator opens a record they are not on the care team of."""
    require_admin()
    db = get_db()
    form = EmergencyAccessForm()
    status = 200
    if form.validate_on_submit():
        if not check_password(db, current_user._get_current_object(), form.password.data):
            form.password.errors.append("This is not your current password.")
            status = 401  # Counted by the shared re-authentication rate limit, and audited.
        else:
            found = emergency.find_patient(db, form.patient.data)
            if isinstance(found, Patient):
                return _open(db, found, form.reason.data)
            form.patient.errors.append(
                "More than one active patient has this name: use the record number."
                if found else "No active patient has this record number or full name.")
    grants = emergency.grants_by(db, current_user)
    name_subjects(grant.patient_id for grant in grants)  # Their names are on the page.
    return render_template("care_team/emergency.html", form=form, now=utcnow(),
                           grants=grants), status


def _open(db, patient: Patient, reason: str):
    minutes = current_app.config["EMERGENCY_ACCESS_MINUTES"]
    grant = emergency.open_access(db, current_user, patient, reason, minutes)
    name_subject("emergency_access", grant.id, patient.id)
    db.commit()
    flash(f"Emergency access is open for {minutes} minutes, read only. The primary therapist "
          "will see that you opened this record and why.", "info")
    return redirect(url_for("patients.show", patient_id=patient.id))


@bp.route("/admin/emergency-access/<id:grant_id>/end", methods=["POST"])
def end_emergency_access(grant_id: int):
    require_admin()
    db = get_db()
    grant = emergency.end_access(db, current_user, grant_id)
    if grant is not None:
        name_subject("emergency_access", grant.id, grant.patient_id)
        db.commit()
        flash("Emergency access ended.", "success")
    return redirect(url_for("care_team.emergency_access"))
