"""The three threads that run across sessions: themes, beliefs and daily strategies, with
what each session recorded about them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from tracker.sessions.models import TherapySession

THEME_CATEGORIES = {
    "emotion": "Emotion",
    "imagery": "Imagery or symbol",
    "memory": "Memory",
    "relationship": "Relationship",
    "body": "Body",
    "meaning": "Meaning or spirituality",
    "other": "Other",
}
THEME_STATUSES = ("open", "resolved")
THEME_DECISIONS = {
    "raised": "Came up",
    "resolved": "Came up and feels resolved",
    "skip": "Not discussed",
}

BELIEF_STATUSES = {
    "emerging": "Emerging",
    "strengthening": "Strengthening",
    "integrated": "Integrated",
    "slipped_back": "Slipped back",
}
BELIEF_DECISIONS = {**BELIEF_STATUSES, "skip": "Not discussed"}

STRATEGY_CATEGORIES = {
    "nature": "Time in nature",
    "mindfulness": "Mindfulness",
    "journaling": "Journaling",
    "movement": "Gentle movement",
    "connection": "Connection",
    "other": "Other",
}
STRATEGY_STATUSES = {
    "active": "Active",
    "paused": "Paused",
    "adopted": "Adopted",
    "retired": "Retired",
}
STRATEGY_DECISIONS = {
    "continue": "Continue",
    "modify": "Modify",
    "pause": "Pause",
    "retire": "Retire",
    "adopt": "Adopted: part of daily life",
    "skip": "Not discussed",
}
# The status a strategy has after each decision ("skip" leaves it as it was).
STATUS_AFTER_DECISION = {
    "continue": "active",
    "modify": "retired",
    "pause": "paused",
    "retire": "retired",
    "adopt": "adopted",
}


class Theme(Base):
    __tablename__ = "themes"
    __table_args__ = (
        CheckConstraint(one_of("category", THEME_CATEGORIES), name="category"),
        CheckConstraint(one_of("status", THEME_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    first_session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"))
    resolved_session_id: Mapped[int | None] = mapped_column(ForeignKey("therapy_sessions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentions: Mapped[list[ThemeMention]] = relationship(back_populates="theme")

    def __repr__(self) -> str:
        return f"<Theme id={self.id} patient_id={self.patient_id}>"


class ThemeMention(Base):
    """A theme in one session: whether it came up, and what was said (imagery, emotion)."""

    __tablename__ = "theme_mentions"
    __table_args__ = (
        UniqueConstraint("session_id", "theme_id"),
        CheckConstraint(one_of("decision", THEME_DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[TherapySession] = relationship(back_populates="theme_mentions")
    theme: Mapped[Theme] = relationship(back_populates="mentions")


class Belief(Base):
    """An old belief or pattern and the emerging one that is replacing it."""

    __tablename__ = "beliefs"
    __table_args__ = (CheckConstraint(one_of("status", BELIEF_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    old_belief: Mapped[str] = mapped_column(String(300))
    new_belief: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="emerging")
    first_session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ratings: Mapped[list[BeliefRating]] = relationship(back_populates="belief")

    def __repr__(self) -> str:
        return f"<Belief id={self.id} patient_id={self.patient_id}>"


class BeliefRating(Base):
    """Conviction (0-100) in the old and the new belief as rated in one session."""

    __tablename__ = "belief_ratings"
    __table_args__ = (
        UniqueConstraint("session_id", "belief_id"),
        CheckConstraint(one_of("decision", BELIEF_DECISIONS), name="decision"),
        CheckConstraint("old_conviction BETWEEN 0 AND 100", name="old_conviction"),
        CheckConstraint("new_conviction BETWEEN 0 AND 100", name="new_conviction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), index=True)
    belief_id: Mapped[int] = mapped_column(ForeignKey("beliefs.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    old_conviction: Mapped[int | None] = mapped_column(Integer)
    new_conviction: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[TherapySession] = relationship(back_populates="belief_ratings")
    belief: Mapped[Belief] = relationship(back_populates="ratings")


class Strategy(Base):
    """A small concrete daily practice. Modifying one creates a new version that points to
    the one it replaced (replaces_id); the old version is kept, retired."""

    __tablename__ = "strategies"
    __table_args__ = (
        CheckConstraint(one_of("category", STRATEGY_CATEGORIES), name="category"),
        CheckConstraint(one_of("status", STRATEGY_STATUSES), name="status"),
        CheckConstraint("target_per_week BETWEEN 1 AND 50", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    target_per_week: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("strategies.id"), unique=True)
    first_session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    replaces: Mapped[Strategy | None] = relationship(remote_side=[id])
    reviews: Mapped[list[StrategyReview]] = relationship(
        back_populates="strategy", foreign_keys="StrategyReview.strategy_id"
    )

    def __repr__(self) -> str:
        return f"<Strategy id={self.id} patient_id={self.patient_id}>"


class StrategyReview(Base):
    """One session's review of a strategy: practice since last time, helpfulness, barriers,
    and the decision taken."""

    __tablename__ = "strategy_reviews"
    __table_args__ = (
        UniqueConstraint("session_id", "strategy_id"),
        CheckConstraint(one_of("decision", STRATEGY_DECISIONS), name="decision"),
        CheckConstraint("times_practised BETWEEN 0 AND 500", name="times"),
        CheckConstraint("helpfulness BETWEEN 0 AND 10", name="helpfulness"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("therapy_sessions.id"), index=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    times_practised: Mapped[int | None] = mapped_column(Integer)
    helpfulness: Mapped[int | None] = mapped_column(Integer)
    barriers: Mapped[str] = mapped_column(Text, default="")
    # With decision "modify": the new version created in this session.
    new_strategy_id: Mapped[int | None] = mapped_column(ForeignKey("strategies.id"))

    session: Mapped[TherapySession] = relationship(back_populates="strategy_reviews")
    strategy: Mapped[Strategy] = relationship(back_populates="reviews", foreign_keys=[strategy_id])
    new_strategy: Mapped[Strategy | None] = relationship(foreign_keys=[new_strategy_id])
