"""The demo's care teams: a co-therapist who documents with the primary therapist, a
supervisor who reads, and one past break-glass opening for its therapist to see."""

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
EMERGENCY = ("Alex Kim", "admin@demo.kap",
             "Alex's emergency contact called on Saturday evening; the on-call clinician needed "
             "the safety plan and Jordan was away without signal.")


def seed_care_team(db: Session, users: dict[str, User], patients: dict[str, Patient]) -> None:
    for name, email, role, relationship in SHARES:
        patient = patients[name]
        db.add(CareTeamMember(patient_id=patient.id, user_id=users[email].id, role=role,
                              relationship_=relationship, added_by_id=patient.therapist_id))
    name, email, reason = EMERGENCY
    opened = utcnow() - timedelta(days=2, hours=3)
    db.add(EmergencyAccess(patient_id=patients[name].id, user_id=users[email].id,
                           reason=reason, granted_at=opened,
                           expires_at=opened + timedelta(minutes=60),
                           ended_at=opened + timedelta(minutes=22)))
    db.flush()
