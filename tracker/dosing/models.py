"""The medical part of a dosing session: medication, doses, vitals, adverse events."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, Numeric, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.sessions.models import TherapySession

MEDICATIONS = {"racemic_ketamine": "Ketamine (racemic)", "esketamine": "Esketamine (Spravato)"}
ROUTES = {
    "im": "Intramuscular (IM)",
    "iv": "Intravenous (IV)",
    "sublingual": "Sublingual lozenge or troche",
    "intranasal": "Intranasal",
}
TIMEPOINTS = {
    "baseline": "Baseline (before dosing)",
    "peak": "About 40 minutes",
    "discharge": "At discharge",
}
ADVERSE_EVENTS = {
    "nausea": "Nausea",
    "vomiting": "Vomiting",
    "elevated_bp": "Elevated blood pressure",
    "anxiety": "Anxiety",
    "headache": "Headache",
    "dizziness": "Dizziness",
    "sedation": "Sedation",
    "dissociation": "Dissociation beyond expected",
}
# Clinically notable blood pressure (DOMAIN.md): accepted, but flagged. Fixed, not a setting:
# the flag is part of a vital-signs row in the signed record (VitalSigns.is_notable).
NOTABLE_SYSTOLIC = 180
NOTABLE_DIASTOLIC = 110
TRANSPORT = {
    "driven_by_companion": "Driven home by a companion",
    "rideshare_with_companion": "Taxi or rideshare with a companion",
    "rideshare_alone": "Taxi or rideshare alone",
    "walked_with_companion": "Walked with a companion",
    "stayed_on_site": "Stayed on site",
    "other": "Other (see notes)",
}


class DosingRecord(Base):
    __tablename__ = "dosing_records"

    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), primary_key=True)
    medication: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(32))
    dose_mg: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    # The weight used for mg/kg, copied from the patient at the time of dosing.
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    administered_at: Mapped[time | None] = mapped_column(Time)
    monitoring_start: Mapped[time | None] = mapped_column(Time)
    monitoring_end: Mapped[time | None] = mapped_column(Time)
    adverse_events: Mapped[list] = mapped_column(JSON, default=list)
    adverse_event_notes: Mapped[str] = mapped_column(Text, default="")
    transport_home: Mapped[str | None] = mapped_column(String(32))
    transport_notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[TherapySession] = relationship(back_populates="dosing")
    boosters: Mapped[list[BoosterDose]] = relationship(
        back_populates="dosing", cascade="all, delete-orphan", order_by="BoosterDose.position"
    )
    vitals: Mapped[list[VitalSigns]] = relationship(
        back_populates="dosing", cascade="all, delete-orphan", order_by="VitalSigns.position"
    )

    @property
    def total_mg(self) -> Decimal:
        return self.dose_mg + sum((b.dose_mg for b in self.boosters), Decimal(0))

    @property
    def mg_per_kg(self) -> Decimal | None:
        """Initial dose per kg, to two decimals (the figure protocols quote)."""
        return _per_kg(self.dose_mg, self.weight_kg)

    @property
    def total_mg_per_kg(self) -> Decimal | None:
        return _per_kg(self.total_mg, self.weight_kg)

    def __repr__(self) -> str:
        return f"<DosingRecord session_id={self.session_id}>"


def _per_kg(mg: Decimal, weight: Decimal | None) -> Decimal | None:
    if not weight:
        return None
    return (mg / weight).quantize(Decimal("0.01"))


class BoosterDose(Base):
    __tablename__ = "booster_doses"
    __table_args__ = (CheckConstraint("dose_mg > 0", name="dose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dosing_id: Mapped[int] = mapped_column(ForeignKey("dosing_records.session_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    dose_mg: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    given_at: Mapped[time | None] = mapped_column(Time)

    dosing: Mapped[DosingRecord] = relationship(back_populates="boosters")


class VitalSigns(Base):
    __tablename__ = "vital_signs"
    __table_args__ = (
        CheckConstraint("timepoint IN ('baseline', 'peak', 'discharge')", name="timepoint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dosing_id: Mapped[int] = mapped_column(ForeignKey("dosing_records.session_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    timepoint: Mapped[str] = mapped_column(String(16))
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    heart_rate: Mapped[int | None] = mapped_column(Integer)
    spo2: Mapped[int | None] = mapped_column(Integer)

    dosing: Mapped[DosingRecord] = relationship(back_populates="vitals")

    @property
    def is_notable(self) -> bool:
        """Clinically notable blood pressure: accepted, but flagged (dosing/alerts.py)."""
        return ((self.systolic or 0) >= NOTABLE_SYSTOLIC
                or (self.diastolic or 0) >= NOTABLE_DIASTOLIC)
