"""A patient's whole progress record as plain JSON values, for the right of access
(schema: docs/export.md), with a constant number of queries however many sessions there are.
Each session is written by tracker/export/session_record.py, the form its signature covers.

Psychotherapy notes (HIPAA 45 CFR 164.501) are not part of the progress record: they appear
only when `include_psychotherapy_notes=True` is passed explicitly. Which tables the export
covers, and which it leaves out and why: tracker/export/coverage.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from tracker import dates
from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.export import history
from tracker.export.between import between_sessions
from tracker.export.created import Created, group_created
from tracker.export.session_record import session_record, session_record_options
from tracker.export.values import decimal, local, utc
from tracker.patients.models import Patient
from tracker.sessions.models import PsychotherapyNote, TherapySession
from tracker.threads.models import Belief, Strategy, Theme

EXPORT_FORMAT = "kap-tracker.patient-record"
EXPORT_VERSION = 2
_PATIENT_WEIGHT_SCALE = Patient.__table__.c.weight_kg.type.scale


def _patient(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "display_name": patient.display_name,
        "preferred_name": patient.preferred_name,
        "pronouns": patient.pronouns,
        "date_of_birth": local(patient.date_of_birth),
        "record_number": patient.record_number,
        "weight_kg": decimal(patient.weight_kg, _PATIENT_WEIGHT_SCALE),
        "status": patient.status,
        "treatment_intentions": patient.treatment_intentions,
        "created_at": utc(patient.created_at),
        "updated_at": utc(patient.updated_at),
    }


def _course(course: Course, sessions: list[TherapySession],
            created: dict[int, Created]) -> dict[str, Any]:
    return {
        "id": course.id,
        "title": course.title,
        "start_date": local(course.start_date),
        "planned_dosing_sessions": course.planned_dosing_sessions,
        "default_medication": course.default_medication,
        "default_route": course.default_route,
        "status": course.status,
        "next_session_on": local(course.next_session_on),
        "sessions": [session_record(session, created.get(session.id, Created()))
                     for session in sessions],
    }


def _strategies(strategies: list[Strategy]) -> list[dict[str, Any]]:
    replaced_by = {s.replaces_id: s.id for s in strategies if s.replaces_id is not None}
    return [
        {
            "id": s.id,
            "category": s.category,
            "description": s.description,
            "target_per_week": s.target_per_week,
            "status": s.status,
            "first_session_id": s.first_session_id,
            "replaces_id": s.replaces_id,
            "replaced_by_id": replaced_by.get(s.id),
        }
        for s in strategies
    ]


def patient_export(
    db: Session,
    patient: Patient,
    *,
    include_psychotherapy_notes: bool = False,
    exported_by: User | int | None = None,
) -> dict[str, Any]:
    """The patient's full progress record as JSON-able values (schema: docs/export.md).

    Access is the caller's job (get_patient_or_404 first), and so is the audit event.
    Psychotherapy notes are included only when asked for explicitly. Runs a fixed number of
    queries whatever the number of sessions (selectin batches of 500 rows aside)."""
    courses = db.scalars(
        select(Course).where(Course.patient_id == patient.id).order_by(Course.start_date, Course.id)
    ).all()
    sessions = db.scalars(
        select(TherapySession)
        .join(Course, TherapySession.course_id == Course.id)
        # Both ids must match: a session filed under another patient's course never leaks.
        .where(TherapySession.patient_id == patient.id, Course.patient_id == patient.id)
        .options(*session_record_options())
        .order_by(TherapySession.starts_at, TherapySession.id)
    ).all()
    by_course: dict[int, list[TherapySession]] = defaultdict(list)
    for session in sessions:
        by_course[session.course_id].append(session)

    themes = db.scalars(
        select(Theme).where(Theme.patient_id == patient.id).order_by(Theme.id)
    ).all()
    beliefs = db.scalars(
        select(Belief).where(Belief.patient_id == patient.id).order_by(Belief.id)
    ).all()
    strategies = db.scalars(
        select(Strategy).where(Strategy.patient_id == patient.id).order_by(Strategy.id)
    ).all()

    # What each session created, from the patient-level lists: no query per session.
    created = group_created(themes, beliefs, strategies)

    exporter_id = exported_by.id if isinstance(exported_by, User) else exported_by
    export: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": utc(utcnow()),
        # Session starts are the practice's wall-clock time: this zone is what they mean.
        "practice_time_zone": dates.practice_zone_name(),
        "exported_by": exporter_id,
        "includes_psychotherapy_notes": bool(include_psychotherapy_notes),
        "patient": _patient(patient),
        "courses": [_course(course, by_course.get(course.id, []), created)
                    for course in courses],
        "themes": [
            {
                "id": t.id,
                "label": t.label,
                "category": t.category,
                "status": t.status,
                "first_session_id": t.first_session_id,
                "resolved_session_id": t.resolved_session_id,
            }
            for t in themes
        ],
        "beliefs": [
            {
                "id": b.id,
                "old_belief": b.old_belief,
                "new_belief": b.new_belief,
                "status": b.status,
                "first_session_id": b.first_session_id,
            }
            for b in beliefs
        ],
        "strategies": _strategies(list(strategies)),
        "questionnaires": history.questionnaires(db, patient),
        "care_team": history.care_team(db, patient),
        "emergency_access": history.emergency_access(db, patient),
        "between_sessions": between_sessions(db, patient),
    }
    if include_psychotherapy_notes:
        notes = db.scalars(
            select(PsychotherapyNote)
            .join(TherapySession, PsychotherapyNote.session_id == TherapySession.id)
            .join(Course, TherapySession.course_id == Course.id)
            .where(TherapySession.patient_id == patient.id, Course.patient_id == patient.id,
                   # A therapist exports their own notes; an operator's CLI export has no
                   # exporting account and takes every author's.
                   PsychotherapyNote.author_id == exporter_id if exporter_id else true())
            .order_by(PsychotherapyNote.session_id)
        ).all()
        export["psychotherapy_notes"] = [
            {
                "session_id": note.session_id,
                "author_id": note.author_id,
                "updated_at": utc(note.updated_at),
                "body": note.body,
            }
            for note in notes
        ]
    # Last, so that it names every account the document refers to.
    export["users"] = history.users(db, history.referenced_users(export))
    return export
