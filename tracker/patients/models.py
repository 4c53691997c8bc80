"""Patients: the person a therapist treats. Clinical threads hang off this record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.auth.models import User

PATIENT_STATUSES = ("active", "archived")


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        CheckConstraint("weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 1000)", name="weight"),
        Index("ix_patients_therapist_id_status", "therapist_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    display_name: Mapped[str] = mapped_column(String(120))
    # Case-folded display and preferred names, for case-insensitive search on every database.
    name_key: Mapped[str] = mapped_column(Text, default="")
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    record_number: Mapped[str | None] = mapped_column(String(64))
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    status: Mapped[str] = mapped_column(String(16), default="active")
    treatment_intentions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    therapist: Mapped[User] = relationship(back_populates="patients")

    @property
    def is_archived(self) -> bool:
        return self.status == "archived"

    def __repr__(self) -> str:
        return f"<Patient id={self.id}>"
