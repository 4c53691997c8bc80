"""Who besides the primary therapist may open a patient's record, and on what terms."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow
from tracker.sealing import EncryptedText, encrypted

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.patients.models import Patient

MEMBER_ROLES = ("read", "write")
RELATIONSHIPS = ("co-therapist", "prescriber", "supervisor", "other")


class CareTeamMember(Base):
    """An account the primary therapist shared a patient with. Revoking keeps the row (the
    history of who could see the record); sharing again adds a new one."""

    __tablename__ = "care_team_members"
    __table_args__ = (
        CheckConstraint("role IN ('read', 'write')", name="role"),
        CheckConstraint(
            "relationship IN ('co-therapist', 'prescriber', 'supervisor', 'other')",
            name="relationship",
        ),
        # At most one current membership per account and patient.
        Index("uq_care_team_members_current", "patient_id", "user_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
        Index("ix_care_team_members_user_id_revoked_at", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(8))
    relationship_: Mapped[str] = mapped_column("relationship", String(16))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    patient: Mapped[Patient] = relationship()

    def __repr__(self) -> str:
        return f"<CareTeamMember id={self.id} patient_id={self.patient_id} role={self.role}>"


class EmergencyAccess(Base):
    """An administrator's break-glass opening of a record: read-only, until expires_at or
    until ended, always shown to the primary therapist, who acknowledges having seen it."""

    __tablename__ = "emergency_access"
    __table_args__ = (Index("ix_emergency_access_user_id_expires_at", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Why the record had to be opened. It may name clinical circumstances, so it is
    # encrypted like the private notes and never written to the audit trail.
    reason_sealed: Mapped[str] = mapped_column(
        "reason", EncryptedText("emergency_access.reason", binds=("id", "user_id", "patient_id")))
    reason = encrypted("reason_sealed")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    patient: Mapped[Patient] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.ended_at is None and self.expires_at > now

    def __repr__(self) -> str:
        return f"<EmergencyAccess id={self.id} patient_id={self.patient_id}>"
