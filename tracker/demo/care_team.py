"""The demo's care teams: a co-therapist who documents with the primary therapist, a
supervisor who reads, a past consultation whose access was revoked (the record's access
history, in the export too), and one past break-glass opening for its therapist to see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.db import utcnow
from tracker.patients.models import Patient

# (patient, account shared with, role, relationship)
SHARES = (
    ("Priya Natarajan", "chen@demo.kap", "write", "co-therapist"),
    ("Rosa Delgado", "rivera@demo.kap", "read", "supervisor"),
)
# (patient, account, role, relationship, days ago shared, days ago revoked)
PAST_SHARES = (("Priya Natarajan", "rivera@demo.kap", "read", "supervisor", 40, 26),)
EMERGENCY = ("Alex Kim", "admin@demo.kap",
             "Alex's emergency contact called on Saturday evening; the on-call clinician needed "
             "the safety plan and Jordan was away without signal.")


def seed_care_team(db: Session, users: dict[str, User], patients: dict[str, Patient]) -> None:
    for name, email, role, relationship in SHARES:
        patient = patients[name]
        db.add(CareTeamMember(patient_id=patient.id, user_id=users[email].id, role=role,
                              relationship_=relationship, added_by_id=patient.therapist_id))
    for name, email, role, relationship, shared, revoked in PAST_SHARES:
        patient = patients[name]
        db.add(CareTeamMember(patient_id=patient.id, user_id=users[email].id, role=role,
                              relationship_=relationship, added_by_id=patient.therapist_id,
                              added_at=utcnow() - timedelta(days=shared),
                              revoked_by_id=patient.therapist_id,
                              revoked_at=utcnow() - timedelta(days=revoked)))
    name, email, reason = EMERGENCY
    opened = utcnow() - timedelta(days=2, hours=3)
    db.add(EmergencyAccess(patient_id=patients[name].id, user_id=users[email].id,
                           reason=reason, granted_at=opened,
                           expires_at=opened + timedelta(minutes=60),
                           ended_at=opened + timedelta(minutes=22)))
    db.flush()
