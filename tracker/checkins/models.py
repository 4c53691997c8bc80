"""The patient's link to the check-in pages, the daily check-ins made through it, and the
questionnaires a therapist schedules for home."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, one_of, utcnow
from tracker.measures import instruments
from tracker.sealing import EncryptedText, encrypted

# How a strategy went on a day, as the patient answers it: code -> label.
PRACTISED = {"yes": "Yes", "little": "A little", "no": "No"}
# When a scheduled questionnaire is due: code -> label (with N, its days).
SCHEDULE_RULES = {
    "once": "Once",
    "every": "Every N days",
    "after_dosing": "N days after each dosing session",
    "before_session": "N days before the next planned session",
}


class CheckinLink(Base):
    """A patient's way in: a random token (in the link or QR code, stored as its SHA-256) and
    a short code handed over in person (stored as an argon2 hash). One live link per patient;
    a new one revokes the old."""

    __tablename__ = "checkin_links"
    __table_args__ = (
        Index("uq_checkin_links_patient_id_live", "patient_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where reminders go (tracker/checkins/reminders.py), when the patient gave an address:
    # the patient's contact data, never logged.
    reminder_email: Mapped[str | None] = mapped_column(String(254))

    def __repr__(self) -> str:
        return f"<CheckinLink id={self.id} patient_id={self.patient_id}>"


class Checkin(Base):
    """A day's check-in, as the patient reported it. A second one for the same day replaces
    the first, which is kept (superseded_at) as every record is."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("uq_checkins_patient_id_day_current", "patient_id", "day", unique=True,
              sqlite_where=text("superseded_at IS NULL"),
              postgresql_where=text("superseded_at IS NULL")),
        CheckConstraint("mood BETWEEN 0 AND 10", name="mood"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("checkin_links.id"))
    day: Mapped[date] = mapped_column(Date)
    mood: Mapped[int] = mapped_column(Integer)
    # "Anything you'd like me to know": patient-reported text, encrypted like the notes.
    message_sealed: Mapped[str] = mapped_column(
        "message", EncryptedText("checkins.message", binds=("id", "patient_id")))
    message = encrypted("message_sealed", default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    practices: Mapped[list[CheckinPractice]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Checkin id={self.id} patient_id={self.patient_id}>"


class CheckinPractice(Base):
    """One strategy on a check-in's day: practised or not, and how helpful (0-10)."""

    __tablename__ = "checkin_practices"
    __table_args__ = (
        CheckConstraint(one_of("practised", PRACTISED), name="practised"),
        CheckConstraint("helpfulness IS NULL OR helpfulness BETWEEN 0 AND 10",
                        name="helpfulness"),
    )

    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"), primary_key=True,
                                             index=True)
    practised: Mapped[str] = mapped_column(String(8))
    helpfulness: Mapped[int | None] = mapped_column(Integer)

    checkin: Mapped[Checkin] = relationship(back_populates="practices")

    def __repr__(self) -> str:
        return f"<CheckinPractice checkin_id={self.checkin_id} strategy_id={self.strategy_id}>"


class QuestionnaireSchedule(Base):
    """A questionnaire the patient is asked to answer at home: once, every N days, N days
    after each dosing session, or N days before the next planned session."""

    __tablename__ = "questionnaire_schedules"
    __table_args__ = (
        CheckConstraint(one_of("instrument", instruments.codes()), name="instrument"),
        CheckConstraint(one_of("rule", SCHEDULE_RULES), name="rule"),
        CheckConstraint("days BETWEEN 0 AND 365", name="days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(16))
    days: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<QuestionnaireSchedule id={self.id} patient_id={self.patient_id}>"


class PatientOpening(Base):
    """When a clinician last opened a patient's page: the patient list counts what the
    patient reported since."""

    __tablename__ = "patient_openings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PatientOpening user_id={self.user_id} patient_id={self.patient_id}>"


class ReminderSent(Base):
    """A reminder emailed for one due item of a link's patient, so that each is sent once:
    `kind` is "questionnaire:<schedule id>:<due date>" or "checkin:<date the quiet spell
    reached CHECKIN_REMINDER_DAYS>"."""

    __tablename__ = "reminders_sent"
    __table_args__ = (Index("uq_reminders_sent_link_id_kind", "link_id", "kind", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("checkin_links.id"))
    kind: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ReminderSent id={self.id} link_id={self.link_id}>"
