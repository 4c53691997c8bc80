"""Appending to and verifying the chain of audit events.

Each event carries HMAC-SHA256(key, previous HMAC + its own fields). The key (AUDIT_KEY)
lives in the instance configuration, not in the database: someone who can write to the
database can delete or change events, but cannot make the chain verify again.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.models import AuditEvent, AuditHead, AuditSubject
from tracker.db import utcnow

GENESIS = "0" * 64


def _digest(key: bytes, prev: str, seq: int, occurred_at: datetime, actor_id, action: str,
            patient_id, record_type, record_id, remote_addr, subjects=()) -> str:
    stamp = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [prev, seq, stamp, actor_id, action, patient_id, record_type, record_id, remote_addr]
    if subjects:  # Events without a subject list hash as they always did.
        parts.append(",".join(str(pid) for pid in sorted(subjects)))
    message = "\x1f".join(str(part) if part is not None else "" for part in parts)
    return hmac_lib.new(key, message.encode(), hashlib.sha256).hexdigest()


def append(db: Session, key: bytes, *, action: str, actor_id: int | None = None,
           patient_id: int | None = None, record_type: str | None = None,
           record_id: int | None = None, remote_addr: str | None = None,
           subjects: Iterable[int] = (), occurred_at: datetime | None = None,
           queue_id: str | None = None) -> AuditEvent:
    """Add the next event in this transaction (the head row is locked until it ends).
    `subjects`: the patients the response showed, when it showed several. An event that
    waited in the queue (tracker/audit/queue.py) keeps the time it happened, and its queue
    id."""
    subjects = sorted(set(subjects))
    locked = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = db.scalar(locked)
    if head is None:  # The first event: two requests may start the chain at once.
        try:
            with db.begin_nested():
                db.add(AuditHead(id=1, seq=0, hmac=GENESIS))
        except IntegrityError:
            pass  # The other one did (it waited for it, then found the row taken).
        head = db.scalar(locked)
    event = AuditEvent(seq=head.seq + 1, occurred_at=occurred_at or utcnow(), actor_id=actor_id,
                       action=action, queue_id=queue_id,
                       patient_id=patient_id, record_type=record_type, record_id=record_id,
                       remote_addr=(remote_addr or None) and remote_addr[:64],
                       prev_hmac=head.hmac)
    event.hmac = _digest(key, event.prev_hmac, event.seq, event.occurred_at, actor_id, action,
                         patient_id, record_type, record_id, event.remote_addr, subjects)
    head.seq, head.hmac = event.seq, event.hmac
    db.add(event)
    db.flush()
    if subjects:
        db.add_all(AuditSubject(event_id=event.id, patient_id=pid) for pid in subjects)
        db.flush()
    return event


def _subjects_of(db: Session, events) -> dict[int, list[int]]:
    """The subject lists of a batch of events, by event id."""
    found: dict[int, list[int]] = {}
    if events:
        for event_id, patient_id in db.execute(
                select(AuditSubject.event_id, AuditSubject.patient_id)
                .where(AuditSubject.event_id.in_([event.id for event in events]))):
            found.setdefault(event_id, []).append(patient_id)
    return found


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(db: Session, key: bytes, *, batch: int = 5000) -> Verdict:
    """Walk the whole chain; name the first event that does not verify."""
    prev, expected, checked = GENESIS, 1, 0
    while True:
        events = db.scalars(select(AuditEvent).where(AuditEvent.seq >= expected)
                            .order_by(AuditEvent.seq).limit(batch)).all()
        subjects = _subjects_of(db, events)
        for event in events:
            if event.seq != expected:
                return Verdict(False, checked, expected, f"event {expected} is missing")
            if event.prev_hmac != prev:
                return Verdict(False, checked, event.seq, "it does not follow the one before")
            digest = _digest(key, event.prev_hmac, event.seq, event.occurred_at,
                             event.actor_id, event.action, event.patient_id, event.record_type,
                             event.record_id, event.remote_addr, subjects.get(event.id, ()))
            if not hmac_lib.compare_digest(digest, event.hmac):
                return Verdict(False, checked, event.seq, "its content was changed")
            prev, expected, checked = event.hmac, expected + 1, checked + 1
        if len(events) < batch:
            break
    head = db.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hmac != prev):
        return Verdict(False, checked, checked + 1 if head.seq > checked else checked,
                       "events after it were removed" if head.seq > checked
                       else "the chain head does not match")
    return Verdict(True, checked)
