"""Which patients an account may see, as one subquery for the list and the search: its own
patients (patients.therapist_id), those shared with it (a current care-team membership, by
member) and, for administrators who ask, those opened through emergency access still open (by
administrator). Each part is an indexed lookup of the account's own rows, united: what it
costs follows the account's caseload, not the practice (an OR over a join would read every
patient of the practice)."""

from __future__ import annotations

from sqlalchemy import Subquery, case, func, literal, select, union_all

from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.patients.models import Patient

# How the account sees a patient, the strongest first (a lower number wins when a patient is
# reached twice, as when an administrator on the care team also opened the record).
ACCESS = ("primary", "write", "read", "emergency")
PRIMARY, WRITE, READ, EMERGENCY = range(len(ACCESS))


def visible(user_id, *, emergency_at=None) -> Subquery:
    """(patient_id, access): one row per patient the account user_id may see, `access` an
    index into ACCESS. `emergency_at`: with the patients an administrator opened through
    emergency access still open at that time (ask it of administrators only; the list
    leaves them out: they are found by name, tracker/care_team/emergency.py). Either may be
    a value or a bound parameter (a statement built once, run for everyone)."""
    parts = [
        select(Patient.id.label("patient_id"), literal(PRIMARY).label("access"))
        .where(Patient.therapist_id == user_id),
        select(CareTeamMember.patient_id,
               case((CareTeamMember.role == "write", WRITE), else_=READ))
        .where(CareTeamMember.user_id == user_id, CareTeamMember.revoked_at.is_(None)),
    ]
    if emergency_at is not None:
        parts.append(
            select(EmergencyAccess.patient_id, literal(EMERGENCY))
            .where(EmergencyAccess.user_id == user_id, EmergencyAccess.ended_at.is_(None),
                   EmergencyAccess.expires_at > emergency_at))
    ways = union_all(*parts).subquery("ways")
    return (select(ways.c.patient_id, func.min(ways.c.access).label("access"))
            .group_by(ways.c.patient_id).subquery("visible"))
