"""The take-home integration plan: what the patient agreed to in session, in the words
agreed there. The active daily strategies with their weekly targets, the emerging beliefs,
the intention, and the next planned session. Nothing else of the record: no notes, scores,
dosing, themes or psychotherapy notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.courses.models import Course
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession
from tracker.threads.models import Belief, Strategy


@dataclass(frozen=True)
class Plan:
    strategies: list[Strategy]
    beliefs: list[str]
    intention: str
    next_session_on: date | None


def active_strategies(db: Session, patient_id: int) -> list[Strategy]:
    return list(db.scalars(select(Strategy).where(Strategy.patient_id == patient_id,
                                                  Strategy.status == "active")
                           .order_by(Strategy.id)))


def next_session_on(db: Session, patient_id: int) -> date | None:
    """The next planned session of the patient's active courses, if one is set."""
    return db.scalar(select(Course.next_session_on).where(
        Course.patient_id == patient_id, Course.status == "active",
        Course.next_session_on.is_not(None)).order_by(Course.next_session_on).limit(1))


def plan_for(db: Session, patient: Patient) -> Plan:
    beliefs = db.scalars(select(Belief.new_belief).where(
        Belief.patient_id == patient.id, Belief.status != "integrated").order_by(Belief.id))
    intention = db.scalar(select(TherapySession.intention).where(
        TherapySession.patient_id == patient.id, TherapySession.intention != "")
        .order_by(TherapySession.starts_at.desc()).limit(1))
    return Plan(strategies=active_strategies(db, patient.id),
                beliefs=[text for text in beliefs if text], intention=intention or "",
                next_session_on=next_session_on(db, patient.id))
