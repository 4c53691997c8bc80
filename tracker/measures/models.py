"""Outcome questionnaires (the instruments of instruments.py) as answered, and safety
follow-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, one_of, utcnow
from tracker.measures import instruments, integrity


class MeasureResponse(Base):
    """One questionnaire, item by item; the answers are kept so that the score can always be
    recomputed. A complete questionnaire has its total. An incomplete one is stored only when
    it raised the safety flag (PHQ-9 item 9 above 0): a partial answer, `total` NULL, never
    scored, charted, nor used as a baseline, and completed in place when the rest is given."""

    __tablename__ = "measure_responses"
    __table_args__ = (
        # Widened by a migration when an instrument is added (tracker/migrations/checks.py).
        CheckConstraint(one_of("instrument", instruments.codes()), name="instrument"),
        # Only a flagged questionnaire is kept incomplete (unscored).
        CheckConstraint("total IS NOT NULL OR safety_flag", name="partial_flagged"),
        Index("ix_measure_responses_patient_id_taken_on", "patient_id", "taken_on"),
        # A course's scores of an instrument from a day on, its baseline and the score before
        # a day, and a patient's flagged answers, each found without reading the others
        # (tracker/progress/recent.py).
        Index("ix_measure_responses_course_id_instrument_taken_on", "course_id", "instrument",
              "taken_on"),
        Index("ix_measure_responses_patient_id_safety_flag", "patient_id", "safety_flag"),
        # The patient list: a safety answer given at home (migration 0021).
        Index("ix_measure_responses_patient_id_source_safety_flag", "patient_id", "source",
              "safety_flag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("therapy_sessions.id"),
                                                   index=True)
    instrument: Mapped[str] = mapped_column(String(8))
    taken_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[list] = mapped_column(JSON)
    total: Mapped[int | None] = mapped_column(Integer)  # NULL: a partial answer
    # The closing functional question (PHQ-9, GAD-7), recorded as answered, never scored.
    difficulty: Mapped[int | None] = mapped_column(Integer)
    # The index event the answers refer to (PCL-5): clinical text, never logged.
    index_event: Mapped[str | None] = mapped_column(Text)
    # PHQ-9 item 9 answered above 0: needs a recorded safety follow-up.
    safety_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "session": entered by the therapist; "home": answered by the patient through a check-in
    # link (link_id; recorded_by_id is then the clinician who made the link), patient-reported.
    source: Mapped[str] = mapped_column(String(8), default="session", server_default="session")
    link_id: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the answers as stored, set on insert (tracker/measures/integrity.py).
    content_hash: Mapped[str | None] = mapped_column(String(64))
    hash_version: Mapped[int | None] = mapped_column(Integer)

    follow_ups: Mapped[list[SafetyFollowUp]] = relationship(
        back_populates="response", order_by="SafetyFollowUp.created_at"
    )

    @property
    def is_partial(self) -> bool:
        """Incomplete, kept for its safety answer: not scored."""
        return self.total is None

    @property
    def needs_follow_up(self) -> bool:
        return self.safety_flag and not self.follow_ups

    def __repr__(self) -> str:
        return f"<MeasureResponse id={self.id} patient_id={self.patient_id}>"


integrity.stamp_on_insert(MeasureResponse)


class SafetyFollowUp(Base):
    """What the therapist did about a flagged answer, and when. Append-only."""

    __tablename__ = "safety_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("measure_responses.id"), index=True)
    followed_up_on: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[MeasureResponse] = relationship(back_populates="follow_ups")

    def __repr__(self) -> str:
        return f"<SafetyFollowUp id={self.id} response_id={self.response_id}>"
