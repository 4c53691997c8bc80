"""A patient's progress record as plain JSON values, and the content hash that signs a session.

The same representation serves three purposes, so that they cannot drift apart:

- `session_record` is what the export shows for one session;
- `signable_content` is that record minus the fields that change at or after signing, and
  `content_hash` hashes it: the signing service stores the hash, and anyone holding the
  exported JSON can recompute it from the session's dict alone (docs/export.md);
- `patient_export` assembles the whole record for the right of access, with a constant number
  of queries however many sessions there are.

Decimals are written as strings at their column's scale ("35.0", "0.50"): no float rounding,
and the same string whether the value came from a form or from the database, so a hash
computed before a reload matches one computed after.

Psychotherapy notes (HIPAA 45 CFR 164.501) are not part of the progress record: they appear
only when `include_psychotherapy_notes=True` is passed explicitly.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.dosing.models import DosingRecord
from tracker.patients.models import Patient
from tracker.sessions.models import PsychotherapyNote, TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

EXPORT_FORMAT = "kap-tracker.patient-record"
EXPORT_VERSION = 1

# Keys of a session record that the signature does not cover: they are set by signing itself
# (status, signed_at, signed_by, content_hash) or added after it (addenda).
UNSIGNED_KEYS = frozenset({"status", "signed_at", "signed_by", "content_hash", "addenda"})

# Decimal places of each exported decimal, taken from the column types.
_DOSE_SCALE = DosingRecord.__table__.c.dose_mg.type.scale
_WEIGHT_SCALE = DosingRecord.__table__.c.weight_kg.type.scale
_PATIENT_WEIGHT_SCALE = Patient.__table__.c.weight_kg.type.scale
_PER_KG_SCALE = 2  # DosingRecord.mg_per_kg is quantized to 0.01


def session_record_options() -> list:
    """Loader options for `select(TherapySession)` that load everything `session_record`,
    `signable_content` and `content_hash` read. The signing service uses these too."""
    return [
        joinedload(TherapySession.dosing).selectinload(DosingRecord.boosters),
        joinedload(TherapySession.dosing).selectinload(DosingRecord.vitals),
        selectinload(TherapySession.theme_mentions).joinedload(ThemeMention.theme),
        selectinload(TherapySession.belief_ratings).joinedload(BeliefRating.belief),
        selectinload(TherapySession.strategy_reviews).joinedload(StrategyReview.strategy),
        selectinload(TherapySession.addenda),
    ]


# -- plain values ------------------------------------------------------------------------


def _decimal(value: Decimal | int | float | str | None, places: int) -> str | None:
    """A decimal as a fixed-point string with `places` decimals; None stays None."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{number.quantize(Decimal(1).scaleb(-places)):f}"


def _utc(value: datetime | None) -> str | None:
    """An aware timestamp as ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _local(value: datetime | date | time | None) -> str | None:
    """Practice wall-clock time (or a date): ISO 8601 without a time zone."""
    return None if value is None else value.isoformat()


def _by_id(items, key=lambda item: item.id):
    # Unflushed rows have no id yet; keep them last instead of failing on None < int.
    return sorted(items, key=lambda item: (key(item) is None, key(item) or 0))


# -- one session --------------------------------------------------------------------------


def _theme_mention(mention: ThemeMention) -> dict[str, Any]:
    return {
        "theme_id": mention.theme_id,
        "label": mention.theme.label,
        "category": mention.theme.category,
        "decision": mention.decision,
        "notes": mention.notes,
    }


def _belief_rating(rating: BeliefRating) -> dict[str, Any]:
    return {
        "belief_id": rating.belief_id,
        "old_belief": rating.belief.old_belief,
        "new_belief": rating.belief.new_belief,
        "decision": rating.decision,
        "old_conviction": rating.old_conviction,
        "new_conviction": rating.new_conviction,
        "note": rating.note,
    }


def _strategy_review(review: StrategyReview) -> dict[str, Any]:
    return {
        "strategy_id": review.strategy_id,
        "description": review.strategy.description,
        "category": review.strategy.category,
        "target_per_week": review.strategy.target_per_week,
        "times_practised": review.times_practised,
        "helpfulness": review.helpfulness,
        "barriers": review.barriers,
        "decision": review.decision,
        "replaces_strategy_id": review.strategy.replaces_id,
        "new_strategy_id": review.new_strategy_id,
    }


def _positional(items):
    return sorted(items, key=lambda item: (item.position, item.id is None, item.id or 0))


def _dosing(dosing: DosingRecord | None) -> dict[str, Any] | None:
    if dosing is None:
        return None
    return {
        "medication": dosing.medication,
        "route": dosing.route,
        "dose_mg": _decimal(dosing.dose_mg, _DOSE_SCALE),
        "boosters": [
            {
                "dose_mg": _decimal(booster.dose_mg, _DOSE_SCALE),
                "given_at": _local(booster.given_at),
            }
            for booster in _positional(dosing.boosters)
        ],
        "total_mg": _decimal(dosing.total_mg, _DOSE_SCALE),
        "weight_kg": _decimal(dosing.weight_kg, _WEIGHT_SCALE),
        "mg_per_kg": _decimal(dosing.mg_per_kg, _PER_KG_SCALE),
        "total_mg_per_kg": _decimal(dosing.total_mg_per_kg, _PER_KG_SCALE),
        "administered_at": _local(dosing.administered_at),
        "monitoring_start": _local(dosing.monitoring_start),
        "monitoring_end": _local(dosing.monitoring_end),
        "vitals": [
            {
                "timepoint": vitals.timepoint,
                "systolic": vitals.systolic,
                "diastolic": vitals.diastolic,
                "heart_rate": vitals.heart_rate,
                "spo2": vitals.spo2,
                "notable": vitals.is_notable,
            }
            for vitals in _positional(dosing.vitals)
        ],
        # A set of codes: sorted, so that the order of the checkboxes cannot change the hash.
        "adverse_events": sorted(dosing.adverse_events or []),
        "adverse_event_notes": dosing.adverse_event_notes,
        "transport_home": dosing.transport_home,
        "transport_notes": dosing.transport_notes,
    }


def session_record(session: TherapySession) -> dict[str, Any]:
    """The progress record of one session as JSON-able values (no psychotherapy note).

    The session must have been loaded with `session_record_options()` (or have every
    relationship already in memory) and flushed, so that every row has its id."""
    return {
        "id": session.id,
        "course_id": session.course_id,
        "kind": session.kind,
        "starts_at": _local(session.starts_at),
        "duration_minutes": session.duration_minutes,
        "follows_dosing_id": session.follows_dosing_id,
        "status": session.status,
        "signed_at": _utc(session.signed_at),
        "signed_by": session.signed_by_id,
        "content_hash": session.content_hash,
        "intention": session.intention,
        "summary": session.summary,
        "themes": [_theme_mention(m) for m in _by_id(session.theme_mentions, lambda m: m.theme_id)],
        "belief_ratings": [
            _belief_rating(r) for r in _by_id(session.belief_ratings, lambda r: r.belief_id)
        ],
        "strategy_reviews": [
            _strategy_review(r) for r in _by_id(session.strategy_reviews, lambda r: r.strategy_id)
        ],
        "dosing": _dosing(session.dosing),
        "addenda": [
            {
                "id": addendum.id,
                "author_id": addendum.author_id,
                "created_at": _utc(addendum.created_at),
                "body": addendum.body,
            }
            for addendum in _by_id(session.addenda)
        ],
    }


def signable_content(session: TherapySession) -> dict[str, Any]:
    """What a signature covers: the session record without the keys in UNSIGNED_KEYS."""
    return _signable(session_record(session))


def _signable(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in UNSIGNED_KEYS}


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 (hex) of an exported session record's signable part, in canonical JSON.

    Works on the dict as read back from the export file: that is how a recipient verifies
    the `content_hash` stored in it."""
    canonical = json.dumps(
        _signable(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(session: TherapySession) -> str:
    """The hash stored when a session is signed (see `record_hash`).

    Refuses rows that were never flushed: their ids and foreign keys are still None, so the
    hash would not match the record read back later."""
    _require_flushed(session)
    return record_hash(session_record(session))


def _require_flushed(session: TherapySession) -> None:
    rows: list[object] = [
        session,
        *session.theme_mentions,
        *session.belief_ratings,
        *session.strategy_reviews,
    ]
    if session.dosing is not None:
        rows += [session.dosing, *session.dosing.boosters, *session.dosing.vitals]
    if any(inspect(row).transient or inspect(row).pending for row in rows):
        raise ValueError("flush the session's rows before computing its content hash")


# -- the whole patient --------------------------------------------------------------------


def _patient(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "display_name": patient.display_name,
        "preferred_name": patient.preferred_name,
        "pronouns": patient.pronouns,
        "date_of_birth": _local(patient.date_of_birth),
        "record_number": patient.record_number,
        "weight_kg": _decimal(patient.weight_kg, _PATIENT_WEIGHT_SCALE),
        "status": patient.status,
        "treatment_intentions": patient.treatment_intentions,
        "created_at": _utc(patient.created_at),
        "updated_at": _utc(patient.updated_at),
    }


def _course(course: Course, sessions: list[TherapySession]) -> dict[str, Any]:
    return {
        "id": course.id,
        "title": course.title,
        "start_date": _local(course.start_date),
        "planned_dosing_sessions": course.planned_dosing_sessions,
        "default_medication": course.default_medication,
        "default_route": course.default_route,
        "status": course.status,
        "sessions": [session_record(session) for session in sessions],
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

    exporter_id = exported_by.id if isinstance(exported_by, User) else exported_by
    export: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _utc(utcnow()),
        "exported_by": exporter_id,
        "includes_psychotherapy_notes": bool(include_psychotherapy_notes),
        "patient": _patient(patient),
        "courses": [_course(course, by_course.get(course.id, [])) for course in courses],
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
                "updated_at": _utc(note.updated_at),
                "body": note.body,
            }
            for note in notes
        ]
    return export
