"""Sharing a patient with other accounts, and taking it back. The primary therapist decides;
views check that (need="primary") before calling these."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember
from tracker.db import utcnow
from tracker.patients.models import Patient
from tracker.sessions.models import SessionDraft, TherapySession


class ShareRefused(Exception):
    """A share that cannot be made; the message is for the therapist."""


def members(db: Session, patient: Patient, *, current: bool = True) -> list[CareTeamMember]:
    """The current care team (or, with current=False, the former members), oldest first."""
    condition = (CareTeamMember.revoked_at.is_(None) if current
                 else CareTeamMember.revoked_at.is_not(None))
    return list(db.scalars(
        select(CareTeamMember).where(CareTeamMember.patient_id == patient.id, condition)
        .options(joinedload(CareTeamMember.user))
        .order_by(CareTeamMember.added_at, CareTeamMember.id)))


def shareable_accounts(db: Session, patient: Patient) -> list[User]:
    """Enabled accounts that could join: not the primary therapist, not already members."""
    current = select(CareTeamMember.user_id).where(
        CareTeamMember.patient_id == patient.id, CareTeamMember.revoked_at.is_(None))
    return list(db.scalars(
        select(User).where(User.id != patient.therapist_id, User.is_disabled.is_(False),
                           User.id.not_in(current))
        .order_by(User.name, User.id)))


def share(db: Session, actor: User, patient: Patient, user_id: int, role: str,
          relationship: str) -> CareTeamMember:
    account = db.get(User, user_id)
    if account is None or account.is_disabled or account.id == patient.therapist_id:
        raise ShareRefused("Choose an enabled account other than the primary therapist.")
    if any(member.user_id == user_id for member in members(db, patient)):
        raise ShareRefused(f"{account.name} is already on the care team.")
    member = CareTeamMember(patient_id=patient.id, user_id=user_id, role=role,
                            relationship_=relationship, added_by_id=actor.id)
    db.add(member)
    db.flush()
    return member


def revoke(db: Session, actor: User, patient: Patient, member_id: int) -> CareTeamMember | None:
    """End a current membership. None when there is no such current member."""
    member = db.scalar(select(CareTeamMember).where(
        CareTeamMember.id == member_id, CareTeamMember.patient_id == patient.id,
        CareTeamMember.revoked_at.is_(None)).options(joinedload(CareTeamMember.user)))
    if member is not None:
        member.revoked_at = utcnow()
        member.revoked_by_id = actor.id
        db.flush()
    return member


def discard_drafts(db: Session, member: CareTeamMember) -> None:
    """A revoked member's unsaved copies of the patient's sessions go with their access:
    they hold that member's typing, private notes included, which no one else may read."""
    sessions = select(TherapySession.id).where(TherapySession.patient_id == member.patient_id)
    db.execute(delete(SessionDraft).where(SessionDraft.user_id == member.user_id,
                                          SessionDraft.session_id.in_(sessions)))
