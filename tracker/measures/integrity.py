"""A questionnaire's content hash: SHA-256 of what was answered, stored with it when it is
first written, so that a score or an answer changed behind the app's back is found
(`flask --app tracker verify-records`).

The hash is taken of plain JSON values in canonical form (keys sorted, no spaces, UTF-8),
the same values the export writes for the questionnaire (docs/export.md), so that anyone
holding the export can recompute it. Every column of measure_responses is either covered
(HASHED) or named in NOT_HASHED with the reason; a test checks that nothing is in neither.
The form is versioned: a change to it is a new version, and stored hashes keep the version
they were taken in (`hash_version`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm.attributes import set_committed_value

HASH_VERSION = 2

# Column -> the key it is written under in the export (and hashed as), per version.
HASHED = {
    1: {
        "id": "id",
        "course_id": "course_id",
        "session_id": "session_id",
        "instrument": "instrument",
        "taken_on": "taken_on",
        "answers": "answers",
        "total": "total",
        "difficulty": "difficulty",
        "index_event": "index_event",
        "safety_flag": "safety_flag",
        "recorded_by_id": "recorded_by",
        "created_at": "created_at",
    },
}
# Version 2: where it was answered (in session, or at home through a check-in link).
HASHED[2] = {**HASHED[1], "source": "source", "link_id": "checkin_link_id"}
NOT_HASHED = {
    "patient_id": "follows from course_id, which is covered (a course is one patient's)",
    "content_hash": "the hash itself",
    "hash_version": "says which form the hash was taken of",
}


def _plain(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == "created_at":
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if column == "taken_on":
        return value.isoformat()
    if column == "answers":
        return [None if answer is None else int(answer) for answer in value]
    if column == "safety_flag":
        return bool(value)
    return value


def hashed_values(row: Any, version: int = HASH_VERSION) -> dict[str, Any]:
    """The covered values of a questionnaire (a MeasureResponse, or a database row with the
    same column names) as plain JSON values, keyed as the export writes them."""
    return {key: _plain(column, getattr(row, column)) for column, key in HASHED[version].items()}


def values_hash(values: dict[str, Any], version: int = HASH_VERSION) -> str:
    """SHA-256 (hex) of a questionnaire's covered values in canonical JSON: works on the
    questionnaire object of an export too (the keys it does not cover are ignored)."""
    keys = set(HASHED[version].values())
    covered = {key: value for key, value in values.items() if key in keys}
    canonical = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def response_hash(row: Any, version: int = HASH_VERSION) -> str:
    return values_hash(hashed_values(row, version), version)


def verifies(row: Any) -> bool:
    """Whether a stored questionnaire still matches the hash stored with it."""
    if not row.content_hash or row.hash_version not in HASHED:
        return False
    return response_hash(row, row.hash_version) == row.content_hash


def stamp_on_insert(model) -> None:
    """Give every questionnaire its hash as it is inserted, however it is created (the
    service, the demo, a test builder): once the row has its id and created_at, in the same
    transaction; again when the app itself completes a partial answer in place. A change
    made behind the app's back, outside its sessions, shows as a mismatch."""

    @event.listens_for(model, "after_insert")
    @event.listens_for(model, "after_update")
    def _stamp(_mapper, connection, target) -> None:
        digest = response_hash(target)
        table = model.__table__
        connection.execute(update(table).where(table.c.id == target.id)
                           .values(content_hash=digest, hash_version=HASH_VERSION))
        set_committed_value(target, "content_hash", digest)
        set_committed_value(target, "hash_version", HASH_VERSION)
