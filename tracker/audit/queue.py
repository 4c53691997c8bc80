"""Events that could not be written at once: a page view while SQLite's write lock is held
past the busy timeout (a long backup step, a slow writer), or while the database refuses
writes. The page is not refused for it: its events wait in the instance folder and the next
audit write of this server puts them in the chain.

- One file per event, `<queue id>.json` in `audit-queue/` (0700, files 0600), written to a
  temporary name, fsynced, renamed and the folder fsynced before the page is sent: an
  answered page's event survives kill -9 and power loss. It holds ids only, like the event.
- Written into the chain with its queue id, which is unique (audit_events.queue_id); its file
  is removed once that transaction committed. A crash between the commit and the removal
  leaves a file whose id is already in the chain: the next drain removes it without writing
  it again. The chain's head is locked before the ids are looked up, so two servers draining
  at once cannot both write one event.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import file_modes
from tracker.audit.models import AuditEvent, AuditHead

log = logging.getLogger(__name__)

FOLDER = "audit-queue"
BATCH = 200  # Events a drain writes at most, so that a long queue never slows one page much.
DONE = "audit_queue_done"  # Session.info: the files written by this transaction.


def folder(app: Flask) -> Path:
    return Path(app.instance_path) / FOLDER


def put(app: Flask, events: list[dict]) -> None:
    """Keep `events` (the fields of chain.append, occurred_at included) until a drain.
    Raises OSError when they cannot be kept."""
    directory = folder(app)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for fields in events:
        queue_id = secrets.token_hex(16)
        temporary = directory / f".{queue_id}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({**fields, "occurred_at": fields["occurred_at"].isoformat(),
                       "subjects": sorted(fields.get("subjects", ())),
                       "queue_id": queue_id}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, directory / f"{queue_id}.json")
    file_modes.sync(directory)
    log.warning("audit: %d event(s) queued, the database could not be written at once",
                len(events))


def _waiting(app: Flask) -> list[tuple[Path, dict]]:
    directory = folder(app)
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.json"))[:BATCH]:
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
        except (OSError, ValueError, KeyError, TypeError):
            log.error("audit queue: %s is not readable; left in place", path.name)
            continue
        found.append((path, fields))
    return sorted(found, key=lambda item: item[1]["occurred_at"])


def drain(db: Session, app: Flask, append) -> int:
    """Write the waiting events into the chain in `db`'s transaction, with `append` (the
    fields of chain.append); their files go once it commits (forget). Returns how many."""
    waiting = _waiting(app)
    if not waiting:
        return 0
    db.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    written = set(db.scalars(select(AuditEvent.queue_id).where(
        AuditEvent.queue_id.in_([fields["queue_id"] for _, fields in waiting]))))
    count = 0
    for _, fields in waiting:
        if fields["queue_id"] not in written:
            append(db, **fields)
            count += 1
    db.info[DONE] = [path for path, _ in waiting]
    return count


def forget(db: Session) -> None:
    """After a commit: remove the files of the events it wrote."""
    for path in db.info.pop(DONE, ()):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def keep(db: Session) -> None:
    """After a rollback: the files stay for the next drain."""
    db.info.pop(DONE, None)
