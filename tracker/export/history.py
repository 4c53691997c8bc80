"""The parts of a patient's record kept beside the sessions: every questionnaire with its
safety follow-ups, who was given access to the record (the care team, break-glass openings)
and the names of the accounts the document refers to (schema: docs/export.md).

Each reader runs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.export.values import local, utc
from tracker.measures import integrity, scoring
from tracker.measures.models import MeasureResponse
from tracker.patients.models import Patient


def questionnaire_record(response: MeasureResponse) -> dict[str, Any]:
    """One questionnaire as plain values. The hashed values come from integrity.py, so the
    export and the stored hash cannot drift apart."""
    band, findings = _interpretation(response)
    return {
        **integrity.hashed_values(response),
        "band": band,
        "findings": findings,
        "content_hash": response.content_hash,
        "hash_version": response.hash_version,
        "follow_ups": [
            {
                "id": follow_up.id,
                "followed_up_on": local(follow_up.followed_up_on),
                "action": follow_up.action,
                "recorded_by": follow_up.recorded_by_id,
                "created_at": utc(follow_up.created_at),
            }
            for follow_up in sorted(response.follow_ups, key=lambda f: f.id)
        ],
    }


def _interpretation(response: MeasureResponse) -> tuple[str | None, list[dict[str, str]]]:
    """The severity band's key (None where the instrument has none) and the instrument's own
    findings, computed from the stored answers by the published rules."""
    try:
        score = scoring.score(response.instrument, response.answers)
    except ValueError:  # not scorable (an incomplete answer kept as it was typed)
        return None, []
    return (score.band.key if score.band is not None else None,
            [{"label": f.label, "value": f.value} for f in score.findings])


def questionnaires(db: Session, patient: Patient) -> list[dict[str, Any]]:
    """Every questionnaire of the patient by date taken, then id, each with its follow-ups
    (two queries)."""
    responses = db.scalars(
        select(MeasureResponse).where(MeasureResponse.patient_id == patient.id)
        .options(selectinload(MeasureResponse.follow_ups))
        .order_by(MeasureResponse.taken_on, MeasureResponse.id))
    return [questionnaire_record(response) for response in responses]


def care_team(db: Session, patient: Patient) -> list[dict[str, Any]]:
    """Every sharing of the record, current and revoked, by id (one query)."""
    members = db.scalars(select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)
                         .order_by(CareTeamMember.id))
    return [
        {
            "id": m.id,
            "user_id": m.user_id,
            "role": m.role,
            "relationship": m.relationship_,
            "added_by": m.added_by_id,
            "added_at": utc(m.added_at),
            "revoked_by": m.revoked_by_id,
            "revoked_at": utc(m.revoked_at),
        }
        for m in members
    ]


def emergency_access(db: Session, patient: Patient) -> list[dict[str, Any]]:
    """Every break-glass opening of the record, by id (one query)."""
    grants = db.scalars(select(EmergencyAccess).where(EmergencyAccess.patient_id == patient.id)
                        .order_by(EmergencyAccess.id))
    return [
        {
            "id": g.id,
            "user_id": g.user_id,
            "reason": g.reason,
            "granted_at": utc(g.granted_at),
            "expires_at": utc(g.expires_at),
            "ended_at": utc(g.ended_at),
            "acknowledged_at": utc(g.acknowledged_at),
        }
        for g in grants
    ]


USER_KEYS = frozenset({"exported_by", "signed_by", "author_id", "recorded_by", "user_id",
                       "added_by", "revoked_by", "created_by"})


def referenced_users(document: Any) -> set[int]:
    """The ids of every account the document names (under the keys of USER_KEYS)."""
    found: set[int] = set()
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in USER_KEYS and isinstance(value, int):
                    found.add(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def users(db: Session, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Id and name of each account (one query): who signed, wrote, recorded or had access."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return [{"id": user.id, "name": user.name}
            for user in db.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id))]
