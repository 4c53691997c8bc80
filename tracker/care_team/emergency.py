"""Break-glass access: an administrator opens a patient's record they are not on the care
team of, for a stated reason and a limited time. Read-only; every page seen under it is
audited as emergency access, and the primary therapist is shown each opening."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from tracker.auth.models import User
from tracker.care_team.models import EmergencyAccess
from tracker.db import utcnow
from tracker.patients.models import Patient

MIN_REASON_LENGTH = 10


def is_open(db: Session, user: User, patient_id: int) -> bool:
    return bool(db.scalar(select(exists().where(
        EmergencyAccess.user_id == user.id, EmergencyAccess.patient_id == patient_id,
        EmergencyAccess.ended_at.is_(None), EmergencyAccess.expires_at > utcnow()))))


def open_access(db: Session, admin: User, patient: Patient, reason: str,
                minutes: int) -> EmergencyAccess:
    now = utcnow()
    grant = EmergencyAccess(patient_id=patient.id, user_id=admin.id, reason=reason,
                            granted_at=now, expires_at=now + timedelta(minutes=minutes))
    db.add(grant)
    db.flush()
    return grant


def end_access(db: Session, admin: User, grant_id: int) -> bool:
    """End one of the admin's open grants early. False when there is none to end."""
    grant = db.scalar(select(EmergencyAccess).where(
        EmergencyAccess.id == grant_id, EmergencyAccess.user_id == admin.id))
    if grant is None or not grant.is_open(utcnow()):
        return False
    grant.ended_at = utcnow()
    db.flush()
    return True


def grants_by(db: Session, admin: User, limit: int = 50) -> list[EmergencyAccess]:
    """The admin's own openings, newest first (the patients' names come along)."""
    return list(db.scalars(
        select(EmergencyAccess).where(EmergencyAccess.user_id == admin.id)
        .options(joinedload(EmergencyAccess.patient))
        .order_by(EmergencyAccess.granted_at.desc(), EmergencyAccess.id.desc()).limit(limit)))


def grants_on(db: Session, patient: Patient) -> list[EmergencyAccess]:
    """Every opening of this patient's record, newest first, for the primary therapist."""
    return list(db.scalars(
        select(EmergencyAccess).where(EmergencyAccess.patient_id == patient.id)
        .options(joinedload(EmergencyAccess.user))
        .order_by(EmergencyAccess.granted_at.desc(), EmergencyAccess.id.desc())))


def acknowledge(db: Session, patient: Patient) -> int:
    """Mark every opening of the patient's record as seen by the primary therapist."""
    grants = db.scalars(select(EmergencyAccess).where(
        EmergencyAccess.patient_id == patient.id, EmergencyAccess.acknowledged_at.is_(None)))
    count = 0
    for grant in grants:
        grant.acknowledged_at = utcnow()
        count += 1
    db.flush()
    return count


def openable_patients(db: Session) -> list[tuple[int, str, str]]:
    """(id, name, primary therapist's name) of every active patient, to pick from."""
    return [tuple(row) for row in db.execute(
        select(Patient.id, Patient.display_name, User.name)
        .join(User, User.id == Patient.therapist_id)
        .where(Patient.status == "active")
        .order_by(func.lower(Patient.display_name), Patient.id))]
