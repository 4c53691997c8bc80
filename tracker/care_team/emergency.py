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


def end_access(db: Session, admin: User, grant_id: int) -> EmergencyAccess | None:
    """End one of the admin's open grants early. None when there is none to end."""
    grant = db.scalar(select(EmergencyAccess).where(
        EmergencyAccess.id == grant_id, EmergencyAccess.user_id == admin.id))
    if grant is None or not grant.is_open(utcnow()):
        return None
    grant.ended_at = utcnow()
    db.flush()
    return grant


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
    """Mark the openings of the patient's record that are over as seen by the primary
    therapist. One still open stays flagged: pages may yet be viewed under it."""
    now = utcnow()
    grants = db.scalars(select(EmergencyAccess).where(
        EmergencyAccess.patient_id == patient.id, EmergencyAccess.acknowledged_at.is_(None)))
    count = 0
    for grant in grants:
        if not grant.is_open(now):
            grant.acknowledged_at = now
            count += 1
    db.flush()
    return count


def find_patient(db: Session, identifier: str) -> Patient | None | list:
    """The one active patient with this record number, or else this full name (either case).
    None when there is none; a list when the name is not unique. Administrators are never
    shown a list of the practice's patients: they must know whom they are looking for."""
    identifier = identifier.strip()
    if not identifier:
        return None
    active = Patient.status == "active"
    by_number = db.scalars(select(Patient).where(active, Patient.record_number == identifier))
    key = identifier.casefold()
    # name_key is the case-folded display name, then the preferred name, if any.
    found = list(by_number) or [
        patient for patient in db.scalars(select(Patient).where(
            active, (Patient.name_key == key) | Patient.name_key.startswith(key + " ",
                                                                            autoescape=True)))
        if patient.display_name.casefold() == key]
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def reads_after_reset(db: Session, patient: Patient) -> list:
    """Who saw this patient's record while their account was in recovery after an
    administrator's reset (audited as "reset …", tracker/auth/resets.py): one row per
    account with its name, the number of pages, the first and the last time."""
    from tracker.audit import apart
    from tracker.audit.models import AuditEvent

    apart.before_reading(db)  # The page views still waiting in the queue first.
    return list(db.execute(
        select(User.name, func.count(AuditEvent.id).label("pages"),
               func.min(AuditEvent.occurred_at).label("first"),
               func.max(AuditEvent.occurred_at).label("last"))
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.patient_id == patient.id, AuditEvent.action.startswith("reset "))
        .group_by(User.id, User.name).order_by(func.max(AuditEvent.occurred_at).desc())))
