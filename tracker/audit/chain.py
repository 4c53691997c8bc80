"""Appending to and verifying the chain of audit events.

Each event carries HMAC-SHA256(key, previous HMAC + its own fields). The key (AUDIT_KEY)
lives in the instance configuration, not in the database: someone who can write to the
database can delete or change events, but cannot make the chain verify again.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.models import AuditEvent, AuditHead, AuditSubject
from tracker.db import utcnow

GENESIS = "0" * 64
# An event's subjects, named by its sequence number (its id is the database's).
SUBJECTS = insert(AuditSubject).from_select(
    ["event_id", "patient_id"],
    select(AuditEvent.id, bindparam("patient_id", type_=Integer))
    .where(AuditEvent.seq == bindparam("seq")))
EMPTY = {"actor_id": None, "patient_id": None, "record_type": None, "record_id": None,
         "remote_addr": None, "subjects": (), "occurred_at": None, "queue_id": None}


def _digest(key: bytes, prev: str, seq: int, occurred_at: datetime, actor_id, action: str,
            patient_id, record_type, record_id, remote_addr, subjects=()) -> str:
    stamp = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [prev, seq, stamp, actor_id, action, patient_id, record_type, record_id, remote_addr]
    if subjects:  # Events without a subject list hash as they always did.
        parts.append(",".join(str(pid) for pid in sorted(subjects)))
    message = "\x1f".join(str(part) if part is not None else "" for part in parts)
    return hmac_lib.new(key, message.encode(), hashlib.sha256).hexdigest()


def lock_head(db: Session) -> AuditHead:
    """The chain's head, locked until this transaction ends (created with the first event:
    two requests may start the chain at once)."""
    locked = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = db.scalar(locked)
    if head is None:
        try:
            with db.begin_nested():
                db.add(AuditHead(id=1, seq=0, hmac=GENESIS))
        except IntegrityError:
            pass  # The other one did (it waited for it, then found the row taken).
        head = db.scalar(locked)
    return head


def append(db: Session, key: bytes, **fields) -> dict:
    """Add the next event in this transaction (the head row is locked until it ends); the
    fields are those of append_all's events."""
    return append_all(db, key, [fields])[0]


def append_all(db: Session, key: bytes, events: list[dict], *,
               head: AuditHead | None = None) -> list[dict]:
    """Add `events` to the chain in this transaction, in their order, with one read and one
    update of the head (`head`: already locked) and one insert of the events (and one of
    their subjects); the rows added. Each holds `action` and optionally actor_id,
    patient_id, record_type, record_id, remote_addr, `subjects` (the patients the response
    showed, when it showed several), and for an event that waited in the queue
    (tracker/audit/queue.py) the time it happened (occurred_at) and its queue id."""
    head = head if head is not None else lock_head(db)
    rows, subjects = [], []
    for fields in events:
        row = {**EMPTY, **fields, "seq": head.seq + 1, "prev_hmac": head.hmac}
        row["occurred_at"] = row["occurred_at"] or utcnow()
        row["remote_addr"] = (row["remote_addr"] or None) and row["remote_addr"][:64]
        listed = sorted(set(row.pop("subjects")))
        row["hmac"] = _digest(key, row["prev_hmac"], row["seq"], row["occurred_at"],
                              row["actor_id"], row["action"], row["patient_id"],
                              row["record_type"], row["record_id"], row["remote_addr"], listed)
        head.seq, head.hmac = row["seq"], row["hmac"]
        rows.append(row)
        subjects += [{"seq": row["seq"], "patient_id": pid} for pid in listed]
    # Every row with the same columns (None ones too): one statement.
    db.execute(insert(AuditEvent), rows, execution_options={"render_nulls": True})
    if subjects:
        db.connection().execute(SUBJECTS, subjects)
    db.flush()  # The head.
    return rows


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
