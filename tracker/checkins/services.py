"""Daily check-ins as the patient makes them: one per day, for today or either of the two
days before; a second one for a day replaces the first (which is kept, superseded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import request
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.audit.hooks import append
from tracker.checkins.models import Checkin, CheckinLink, CheckinPractice
from tracker.db import utcnow

DAYS_BACK = 2  # A check-in may be for today or either of the two days before.


@dataclass(frozen=True)
class Practice:
    strategy_id: int
    practised: str
    helpfulness: int | None


def days_offered(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(DAYS_BACK + 1)]


def record(db: Session, link: CheckinLink, *, day: date, today: date, mood: int,
           message: str, practices: list[Practice]) -> Checkin:
    """Store the patient's check-in for `day`, replacing the one already made for it."""
    if day not in days_offered(today):
        raise ValueError("a check-in is for today or one of the two days before")
    now = utcnow()
    replaced = db.execute(update(Checkin).where(
        Checkin.patient_id == link.patient_id, Checkin.day == day,
        Checkin.superseded_at.is_(None)).values(superseded_at=now)).rowcount
    checkin = Checkin(patient_id=link.patient_id, link_id=link.id, day=day, mood=mood,
                      message=message, submitted_at=now,
                      practices=[CheckinPractice(strategy_id=p.strategy_id,
                                                 practised=p.practised,
                                                 helpfulness=p.helpfulness)
                                 for p in practices])
    db.add(checkin)
    db.flush()
    append(db, action="checkin_replaced" if replaced else "checkin_submitted",
           remote_addr=request.remote_addr, patient_id=link.patient_id,
           record_type="checkin", record_id=checkin.id)
    return checkin


def days_checked_in(db: Session, patient_id: int, today: date, days: int = 7) -> int:
    """On how many of the last `days` days (today included) the patient checked in."""
    return db.scalar(select(func.count()).select_from(Checkin).where(
        Checkin.patient_id == patient_id, Checkin.superseded_at.is_(None),
        Checkin.day > today - timedelta(days=days), Checkin.day <= today)) or 0
