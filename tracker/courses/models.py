"""Treatment courses: a series of dosing sessions with preparation and integration. The
sessions themselves live in tracker/sessions/."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from tracker.patients.models import Patient
    from tracker.sessions.models import TherapySession

COURSE_STATUSES = ("planned", "active", "completed", "discontinued")


class Course(Base):
    """A course of treatment: a series of dosing sessions with preparation and integration."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(one_of("status", COURSE_STATUSES), name="status"),
        CheckConstraint("planned_dosing_sessions BETWEEN 1 AND 24", name="planned"),
        # The patient list: the active course started last (migration 0021).
        Index("ix_courses_patient_id_status_start_date", "patient_id", "status", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    planned_dosing_sessions: Mapped[int] = mapped_column(Integer)
    default_medication: Mapped[str] = mapped_column(String(32))
    default_route: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The next planned session, when one is set: the take-home plan, the brief, the patient
    # list and the questionnaire schedule use it.
    next_session_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    sessions: Mapped[list[TherapySession]] = relationship(
        back_populates="course", order_by="TherapySession.starts_at"
    )

    def __repr__(self) -> str:
        return f"<Course id={self.id} patient_id={self.patient_id}>"
