"""Anchors of the audit chain outside the database.

The chain (tracker/audit/chain.py) shows an event changed or removed in the middle, but its
last link, the head, lives in the same database: someone who can write there could delete
the last events (or all of them) and move the head back. A checkpoint records where the
chain stood: its sequence number, that event's HMAC and the time, signed with AUDIT_KEY.
Checkpoints are appended to a file outside the database (AUDIT_CHECKPOINT_FILE, by default
`audit-checkpoints.jsonl` in the instance folder, created 0600) and written to the
application log (logger `tracker.audit`), which the operator keeps elsewhere.

They are written after every verify-audit that passes, before every backup, on the first
audited event of each day (UTC) and by `flask --app tracker audit-checkpoint` (a daily timer
in deploy/). verify-audit then refuses a chain shorter than a checkpoint, or one whose event
at a checkpoint is not the one recorded. A restore writes a "restore" checkpoint: the
checkpoints before it describe a database that no longer is.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.models import AuditEvent

FILE_NAME = "audit-checkpoints.jsonl"
REASONS = frozenset({"verify-audit", "backup", "daily", "command", "restore"})
log = logging.getLogger("tracker.audit")
log.setLevel(logging.INFO)  # Checkpoints reach the log whatever the root logger's level.


class CheckpointFileError(Exception):
    """The checkpoint file cannot be written, or holds a line that is not a checkpoint
    signed with AUDIT_KEY."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    event_hmac: str
    at: str
    reason: str
    line: int = 0


def file_path(app: Flask) -> Path:
    configured = app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else Path(app.instance_path) / FILE_NAME


def _mac(key: bytes, seq: int, event_hmac: str, at: str, reason: str) -> str:
    message = "\x1f".join(("checkpoint", str(seq), event_hmac, at, reason))
    return hmac_lib.new(key, message.encode(), hashlib.sha256).hexdigest()


def last_event(db: Session) -> tuple[int, str]:
    """The committed end of the chain: (0, "") when it is empty."""
    row = db.execute(select(AuditEvent.seq, AuditEvent.hmac)
                     .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, "")


def write(app: Flask, key: bytes, seq: int, event_hmac: str, reason: str) -> Checkpoint:
    """Append one signed checkpoint to the file (0600, append-only) and the log."""
    assert reason in REASONS
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    point = Checkpoint(seq, event_hmac, at, reason)
    line = json.dumps({"seq": seq, "event_hmac": event_hmac, "at": at, "reason": reason,
                       "mac": _mac(key, seq, event_hmac, at, reason)}, sort_keys=True)
    path = file_path(app)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())  # One write: lines of two workers never mix.
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit checkpoint seq=%d hmac=%s at=%s reason=%s", seq, event_hmac, at, reason)
    return point


def write_current(app: Flask, key: bytes, db: Session, reason: str) -> Checkpoint:
    """A checkpoint of the chain's committed end; CheckpointFileError when the file cannot
    be written (for the commands to say so)."""
    try:
        return write(app, key, *last_event(db), reason)
    except OSError as error:
        raise CheckpointFileError(f"cannot write to {file_path(app)}: {error.strerror}") \
            from error


def daily_due(app: Flask) -> bool:
    """True when no checkpoint was written today (UTC): the file is missing or older."""
    try:
        modified = os.stat(file_path(app)).st_mtime
    except OSError:  # Missing, or its folder is: write one (or log why it cannot be).
        return True
    return datetime.fromtimestamp(modified, UTC).date() != datetime.now(UTC).date()


def maybe_daily(app: Flask, key: bytes, seq: int, event_hmac: str) -> None:
    """Called with the committed head an append found: the first event of a day anchors
    where the chain stood. A failure to write is logged, never keeps a page from answering."""
    if seq <= 0 or not daily_due(app):
        return
    try:
        write(app, key, seq, event_hmac, "daily")
    except OSError as error:
        log.error("audit checkpoint could not be written: %s", error.strerror)


def read(app: Flask, key: bytes) -> list[Checkpoint]:
    """Every checkpoint since the last restore (all signed, or CheckpointFileError)."""
    path = file_path(app)
    if not path.exists():
        return []
    found: list[Checkpoint] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                point = Checkpoint(int(data["seq"]), str(data["event_hmac"]), str(data["at"]),
                                   str(data["reason"]), number)
                signed = hmac_lib.compare_digest(
                    str(data["mac"]),
                    _mac(key, point.seq, point.event_hmac, point.at, point.reason))
            except (ValueError, KeyError, TypeError):
                signed = False
            if not signed:
                raise CheckpointFileError(
                    f"line {number} of {path} is not a checkpoint signed with AUDIT_KEY")
            found = [point] if point.reason == "restore" else [*found, point]
    return found


def check(db: Session, points: list[Checkpoint], checked: int) -> str | None:
    """What is wrong with a chain of `checked` verified events against the checkpoints, or
    None. The chain must reach every checkpoint and hold the event each one recorded."""
    if not points:
        return None
    furthest = max(points, key=lambda point: point.seq)
    if furthest.seq > checked:
        where = ("the chain is empty" if checked == 0
                 else f"the chain ends at event {checked}")
        return (f"{where}, but the checkpoint of {furthest.at} ({furthest.reason}) recorded "
                f"event {furthest.seq}: events were removed from its end")
    wanted = {point.seq for point in points if point.seq > 0}
    stored = dict(db.execute(select(AuditEvent.seq, AuditEvent.hmac)
                             .where(AuditEvent.seq.in_(wanted))).all()) if wanted else {}
    for point in sorted(points, key=lambda point: point.seq):
        if point.seq > 0 and not hmac_lib.compare_digest(stored.get(point.seq, ""),
                                                         point.event_hmac):
            return (f"event {point.seq} is not the one the checkpoint of {point.at} "
                    f"({point.reason}) recorded: the chain was rewritten from there")
    return None
