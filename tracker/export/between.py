"""What the patient reported between sessions, for the export (docs/export.md, "Between
sessions"): the check-in links (when made, by whom, until when; never their token or code),
the daily check-ins with each strategy's practice and the patient's messages (replaced ones
too, marked), and the questionnaires scheduled for home. The questionnaires answered at
home are in `questionnaires`, marked `"source": "home"`. Three queries (and one for the
practices)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.checkins.models import Checkin, CheckinLink, QuestionnaireSchedule
from tracker.export.values import local, utc
from tracker.patients.models import Patient


def between_sessions(db: Session, patient: Patient) -> dict[str, Any]:
    links = db.scalars(select(CheckinLink).where(CheckinLink.patient_id == patient.id)
                       .order_by(CheckinLink.id))
    checkins = db.scalars(select(Checkin).where(Checkin.patient_id == patient.id)
                          .options(selectinload(Checkin.practices))
                          .order_by(Checkin.day, Checkin.id))
    schedules = db.scalars(select(QuestionnaireSchedule)
                           .where(QuestionnaireSchedule.patient_id == patient.id)
                           .order_by(QuestionnaireSchedule.id))
    return {
        "checkin_links": [
            {"id": link.id, "created_by": link.created_by_id, "created_at": utc(link.created_at),
             "expires_at": utc(link.expires_at), "revoked_at": utc(link.revoked_at),
             "locked_at": utc(link.locked_at), "last_opened_at": utc(link.last_opened_at),
             "reminder_email": link.reminder_email}
            for link in links],
        "checkins": [
            {"id": c.id, "day": local(c.day), "checkin_link_id": c.link_id, "mood": c.mood,
             "message": c.message, "submitted_at": utc(c.submitted_at),
             "superseded_at": utc(c.superseded_at),
             "practices": [{"strategy_id": p.strategy_id, "practised": p.practised,
                            "helpfulness": p.helpfulness}
                           for p in sorted(c.practices, key=lambda p: p.strategy_id)]}
            for c in checkins],
        "questionnaire_schedules": [
            {"id": s.id, "instrument": s.instrument, "rule": s.rule, "days": s.days,
             "starts_on": local(s.starts_on), "created_by": s.created_by_id,
             "created_at": utc(s.created_at), "ended_at": utc(s.ended_at)}
            for s in schedules],
    }
