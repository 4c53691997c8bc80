"""Reading the audit trail: admins browse and filter it; a therapist sees who accessed
each of their patients."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func, or_, select

from tracker import dates
from tracker.access import get_patient_or_404, require_admin
from tracker.audit import apart
from tracker.audit.models import AuditEvent, AuditSubject
from tracker.auth.models import User
from tracker.db import get_db
from tracker.patients.models import Patient

bp = Blueprint("audit", __name__)
PER_PAGE = 50


def _page() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), 100_000) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _listing(*conditions):
    db = get_db()
    apart.before_reading(db)  # The page views still waiting in the queue first.
    page = _page()
    total = db.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    rows = db.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*conditions).order_by(AuditEvent.seq.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return rows, total, page


def concerns(named, listed):
    """Events naming a patient as their subject, or among the patients a page showed."""
    return or_(named, AuditEvent.id.in_(select(AuditSubject.event_id).where(listed)))


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _date_arg(name: str) -> date | None:
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 1990 <= value.year <= 2999 else None


@bp.route("/admin/audit")
def browse():
    require_admin()
    conditions = []
    filters = {"actor": _int_arg("actor"), "patient": _int_arg("patient"),
               "record": request.args.get("record", "").strip()[:64],
               "action": request.args.get("action", "").strip()[:64],
               "from": _date_arg("from"), "to": _date_arg("to")}
    if filters["actor"] is not None:
        conditions.append(AuditEvent.actor_id == filters["actor"])
    if filters["patient"] is not None:
        conditions.append(concerns(AuditEvent.patient_id == filters["patient"],
                                   AuditSubject.patient_id == filters["patient"]))
    if filters["record"]:  # A privacy officer knows the record number, not an internal id.
        numbered = select(Patient.id).where(Patient.record_number == filters["record"])
        conditions.append(concerns(AuditEvent.patient_id.in_(numbered),
                                   AuditSubject.patient_id.in_(numbered)))
    if filters["action"]:
        conditions.append(AuditEvent.action.contains(filters["action"], autoescape=True))
    # Days of the practice's calendar (tracker/dates.py), not of UTC.
    if filters["from"]:
        conditions.append(AuditEvent.occurred_at
                          >= datetime.combine(filters["from"], time.min, tzinfo=dates.zone()))
    if filters["to"]:
        conditions.append(AuditEvent.occurred_at
                          <= datetime.combine(filters["to"], time.max, tzinfo=dates.zone()))
    rows, total, page = _listing(*conditions)
    users = get_db().scalars(select(User).order_by(User.name)).all()
    return render_template("audit/browse.html", rows=rows, total=total, page=page,
                           per_page=PER_PAGE, filters=filters, users=users)


@bp.route("/patients/<id:patient_id>/access-history")
def patient_history(patient_id: int):
    patient = get_patient_or_404(get_db(), current_user, patient_id, need="primary")
    rows, total, page = _listing(concerns(AuditEvent.patient_id == patient.id,
                                          AuditSubject.patient_id == patient.id))
    return render_template("audit/patient.html", patient=patient, rows=rows, total=total,
                           page=page, per_page=PER_PAGE)
