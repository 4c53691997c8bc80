"""Who else may open a patient's record, stored directly: care-team members (read or write)
and an administrator's time-limited emergency access."""

from __future__ import annotations

from datetime import timedelta

from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.db import utcnow


def team_member(patient_id: int, user_id: int, role: str = "read", *, added_by: int,
           relationship: str = "co-therapist") -> CareTeamMember:
    """A care-team membership (to add to the database)."""
    return CareTeamMember(patient_id=patient_id, user_id=user_id, role=role,
                          relationship_=relationship, added_by_id=added_by)


def emergency_access(patient_id: int, user_id: int, reason: str, *,
                     minutes: int = 60) -> EmergencyAccess:
    """An administrator's emergency access, open for `minutes` (to add to the database)."""
    return EmergencyAccess(patient_id=patient_id, user_id=user_id, reason=reason,
                           expires_at=utcnow() + timedelta(minutes=minutes))
