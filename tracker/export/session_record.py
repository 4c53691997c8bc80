"""One session's progress record as plain JSON values, and the content hash that signs it.

The same representation serves the export and the signature, so that they cannot drift
apart: `session_record` is what the export shows for one session; `signable_content` is
that record minus the fields that change at or after signing, and `content_hash` hashes
it: the signing service stores the hash, and anyone holding the exported JSON can recompute
it from the session's dict alone (docs/export.md).

The form of the signed content is versioned (`hash_version`, stored at signing): version 1
left out the themes, beliefs and strategies created in the session; version 2 covers them
(`created_in_session`). A session verifies under the version it was signed with.

Decimals are written as strings at their column's scale ("35.0", "0.50"): no float rounding,
and the same string whether the value came from a form or from the database, so a hash
computed before a reload matches one computed after.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import joinedload, object_session, selectinload

from tracker.dosing.models import DosingRecord
from tracker.export.created import Created, created_in, created_record
from tracker.export.values import by_id, decimal, local, utc
from tracker.sessions.models import TherapySession
from tracker.threads.models import BeliefRating, StrategyReview, ThemeMention

# Keys of a session record that the signature does not cover: they are set by signing itself
# (status, signed_at, signed_by, content_hash, hash_version) or added after it (addenda).
UNSIGNED_KEYS = frozenset({"status", "signed_at", "signed_by", "content_hash", "hash_version",
                           "addenda"})
# The form sessions are signed in now, and what each earlier form did not cover yet.
HASH_VERSION = 2
NOT_COVERED_BEFORE = {1: frozenset({"created_in_session"}), 2: frozenset()}

# Decimal places of each exported decimal, taken from the column types.
_DOSE_SCALE = DosingRecord.__table__.c.dose_mg.type.scale
_WEIGHT_SCALE = DosingRecord.__table__.c.weight_kg.type.scale
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
        "dose_mg": decimal(dosing.dose_mg, _DOSE_SCALE),
        "boosters": [
            {
                "dose_mg": decimal(booster.dose_mg, _DOSE_SCALE),
                "given_at": local(booster.given_at),
            }
            for booster in _positional(dosing.boosters)
        ],
        "total_mg": decimal(dosing.total_mg, _DOSE_SCALE),
        "weight_kg": decimal(dosing.weight_kg, _WEIGHT_SCALE),
        "mg_per_kg": decimal(dosing.mg_per_kg, _PER_KG_SCALE),
        "total_mg_per_kg": decimal(dosing.total_mg_per_kg, _PER_KG_SCALE),
        "administered_at": local(dosing.administered_at),
        "monitoring_start": local(dosing.monitoring_start),
        "monitoring_end": local(dosing.monitoring_end),
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


def session_record(session: TherapySession, created: Created | None = None) -> dict[str, Any]:
    """The progress record of one session as JSON-able values (no psychotherapy note).

    The session must have been loaded with `session_record_options()` (or have every
    relationship already in memory) and flushed, so that every row has its id. `created`:
    the themes, beliefs and strategies first recorded in it, when the caller has them
    already (the export); otherwise they are read from the session's database session."""
    if created is None:
        db = object_session(session)
        if db is None:  # Detached: what it created cannot be read, and must not be guessed.
            raise ValueError("pass `created` for a session outside a database session")
        created = created_in(db, [session.id]).get(session.id, Created())
    return {
        "id": session.id,
        "course_id": session.course_id,
        "kind": session.kind,
        "starts_at": local(session.starts_at),
        "duration_minutes": session.duration_minutes,
        "follows_dosing_id": session.follows_dosing_id,
        "status": session.status,
        "signed_at": utc(session.signed_at),
        "signed_by": session.signed_by_id,
        "content_hash": session.content_hash,
        "hash_version": session.hash_version,
        "intention": session.intention,
        "summary": session.summary,
        "themes": [_theme_mention(m) for m in by_id(session.theme_mentions, lambda m: m.theme_id)],
        "belief_ratings": [
            _belief_rating(r) for r in by_id(session.belief_ratings, lambda r: r.belief_id)
        ],
        "strategy_reviews": [
            _strategy_review(r) for r in by_id(session.strategy_reviews, lambda r: r.strategy_id)
        ],
        "created_in_session": created_record(created),
        "dosing": _dosing(session.dosing),
        "addenda": [
            {
                "id": addendum.id,
                "author_id": addendum.author_id,
                "created_at": utc(addendum.created_at),
                "body": addendum.body,
            }
            for addendum in by_id(session.addenda)
        ],
    }


def signable_content(session: TherapySession, version: int = HASH_VERSION) -> dict[str, Any]:
    """What a signature of `version` covers: the session record without the keys in
    UNSIGNED_KEYS (and, for an earlier version, without what it did not cover yet)."""
    return _signable(session_record(session), version)


def _signable(record: dict[str, Any], version: int) -> dict[str, Any]:
    if version not in NOT_COVERED_BEFORE:
        raise ValueError(f"unknown content hash version {version!r}")
    left_out = UNSIGNED_KEYS | NOT_COVERED_BEFORE[version]
    return {key: value for key, value in record.items() if key not in left_out}


def record_hash(record: dict[str, Any], version: int | None = None) -> str:
    """SHA-256 (hex) of an exported session record's signable part, in canonical JSON.

    Works on the dict as read back from the export file: that is how a recipient verifies
    the `content_hash` stored in it. The version is the record's own `hash_version` unless
    given (the current one for a draft)."""
    version = version or record.get("hash_version") or HASH_VERSION
    canonical = json.dumps(
        _signable(record, version), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(session: TherapySession, version: int = HASH_VERSION,
                 created: Created | None = None) -> str:
    """The hash stored when a session is signed (see `record_hash`), in the current form
    unless another version is asked for.

    Refuses rows that were never flushed: their ids and foreign keys are still None, so the
    hash would not match the record read back later."""
    _require_flushed(session)
    return record_hash(session_record(session, created), version)


def verifies(session: TherapySession, created: Created | None = None) -> bool:
    """Whether a signed session's stored hash matches its record now, in the form it was
    signed in (sessions signed before versions were stored are version 1)."""
    if not session.content_hash:
        return False
    version = session.hash_version or 1
    return content_hash(session, version, created) == session.content_hash


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
