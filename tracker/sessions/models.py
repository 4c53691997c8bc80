"""A therapy session, with the parts only it holds: the private psychotherapy notes of each
author, addenda to a signed session, and the autosaved drafts of its page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from tracker.db import Base, UTCDateTime, one_of, utcnow
from tracker.sealing import EncryptedJSON, EncryptedText, encrypted
from tracker.sessions.kinds import DOSING_CODES, KIND_CODES, SessionKind, get_kind

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.courses.models import Course
    from tracker.dosing.models import DosingRecord
    from tracker.patients.models import Patient
    from tracker.threads.models import BeliefRating, StrategyReview, ThemeMention

SESSION_STATUSES = ("draft", "signed")
DRAFT_KINDS = ("autosave", "conflict")


class TherapySession(Base):
    """One session of a course. Its progress record is the summary, the intention and the
    thread decisions; the private psychotherapy note is kept apart (PsychotherapyNote).

    `version` is the optimistic lock: every save bumps it, and a save based on an older
    version is refused."""

    __tablename__ = "therapy_sessions"
    __table_args__ = (
        CheckConstraint(one_of("kind", KIND_CODES), name="kind"),
        CheckConstraint(one_of("status", SESSION_STATUSES), name="status"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 720", name="duration"),
        Index("ix_therapy_sessions_patient_id_starts_at", "patient_id", "starts_at"),
        # A course's doses counted up to a session without reading the sessions (the dose
        # numbers and the position of the progress page's window, tracker/progress/recent.py).
        Index("ix_therapy_sessions_course_id_kind_starts_at", "course_id", "kind", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Local wall-clock time of the practice, as the therapist enters it.
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    follows_dosing_id: Mapped[int | None] = mapped_column(
        ForeignKey("therapy_sessions.id"), index=True
    )
    intention: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The form of the signed content the hash was taken of (tracker/export/session_record.py).
    hash_version: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}

    course: Mapped[Course] = relationship(back_populates="sessions")
    patient: Mapped[Patient] = relationship()
    follows_dosing: Mapped[TherapySession | None] = relationship(remote_side=[id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    dosing: Mapped[DosingRecord | None] = relationship(
        back_populates="session", cascade="all, delete-orphan", uselist=False
    )
    addenda: Mapped[list[Addendum]] = relationship(
        back_populates="session", order_by="Addendum.created_at"
    )
    theme_mentions: Mapped[list[ThemeMention]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )
    belief_ratings: Mapped[list[BeliefRating]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )
    strategy_reviews: Mapped[list[StrategyReview]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        foreign_keys="StrategyReview.session_id",
    )

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def kind_spec(self) -> SessionKind:
        """What this kind of session is (tracker/sessions/kinds.py)."""
        return get_kind(self.kind)

    def __repr__(self) -> str:
        return f"<TherapySession id={self.id} patient_id={self.patient_id}>"


def _dose_number():
    """A dosing session's number among its course's doses (by start, then id), counted by
    the (course, kind, start) index."""
    counted = TherapySession.__table__.alias("counted")
    return column_property(
        select(func.count()).where(
            counted.c.course_id == TherapySession.course_id, counted.c.kind.in_(DOSING_CODES),
            or_(counted.c.starts_at < TherapySession.starts_at,
                and_(counted.c.starts_at == TherapySession.starts_at,
                     counted.c.id <= TherapySession.id)))
        .correlate_except(counted).scalar_subquery(), deferred=True)


# Deferred: read only where a query asks for it (undefer), as the brief does.
TherapySession.dose_number = _dose_number()


class PsychotherapyNote(Base):
    """The therapist's private process note (HIPAA psychotherapy notes): stored apart from the
    progress record, shown to its author only, never exported unless asked for explicitly."""

    __tablename__ = "psychotherapy_notes"
    # One per author and session: on a shared patient, each clinician keeps their own.
    __table_args__ = (UniqueConstraint("session_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Encrypted at rest, sealed to this row, its session and its author (tracker/sealing.py):
    # the column holds "v2:<key id>:...", `body` the text.
    body_sealed: Mapped[str] = mapped_column(
        "body", EncryptedText("psychotherapy_notes.body", binds=("id", "session_id", "author_id")))
    body = encrypted("body_sealed", default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<PsychotherapyNote id={self.id} session_id={self.session_id}>"


class Addendum(Base):
    """A dated, attributed correction or addition to a signed session. Never edited."""

    __tablename__ = "addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TherapySession] = relationship(back_populates="addenda")
    author: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Addendum id={self.id} session_id={self.session_id}>"


class SessionDraft(Base):
    """What an editor (one browser tab) typed but has not saved yet, kept server-side.

    kind "autosave": the tab's latest unsaved state, written every few seconds.
    kind "conflict": a save refused because someone saved first, or because its login had
    ended (ended_login_id); kept for reconciling."""

    __tablename__ = "session_drafts"
    __table_args__ = (
        # An editor id is chosen by the browser tab: it names a draft only within its
        # account, so that two clinicians of a shared patient never touch each other's.
        UniqueConstraint("session_id", "user_id", "editor_id", "kind"),
        CheckConstraint(one_of("kind", DRAFT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    editor_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="autosave")
    base_version: Mapped[int] = mapped_column(Integer)
    # Everything typed on the page, private notes included: encrypted like them.
    data_sealed: Mapped[str] = mapped_column(
        "data", EncryptedJSON("session_drafts.data", binds=("id", "session_id", "user_id")))
    data = encrypted("data_sealed")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A Save posted after its login ended for inactivity (tracker/sessions/signed_out.py):
    # that login, until the account has signed in again and was shown the copy.
    ended_login_id: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<SessionDraft id={self.id} session_id={self.session_id}>"
