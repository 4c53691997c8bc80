"""Events waiting for the chain, in the instance folder: page views, written there first and
into the chain in batches (tracker/audit/apart.py), and any event of a page that the
database could not take at once (SQLite's write lock held past the busy timeout by a long
backup step or a slow writer, a database refusing writes). The page is not refused for it.

- One file per event, `<time>-<queue id>.json` in `audit-queue/` (0700, files 0600),
  written to a temporary name and renamed, so that a drain never reads half a file. It
  holds ids only, like the event. A page view's file is not fsynced: it is in the
  operating system's cache when the page is sent, which survives a crash or kill -9 of the
  app, not a power failure (docs/security.md, "Events that cannot be written at once").
  An event queued because the database refused it is fsynced with the folder.
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
import time
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import file_modes
from tracker.audit import chain
from tracker.audit.models import AuditEvent

log = logging.getLogger(__name__)

FOLDER = "audit-queue"
BATCH = 200  # Events a drain writes at most, so that a long queue never slows one page much.
DONE = "audit_queue_done"  # Session.info: the files written by this transaction.


def folder(app: Flask) -> Path:
    return Path(app.instance_path) / FOLDER


def put(app: Flask, events: list[dict], *, sync: bool = True) -> None:
    """Keep `events` (the fields of chain.append_all's events, occurred_at included) until a
    drain; `sync`: on disk (fsynced) before this returns. Raises OSError when they cannot be
    kept."""
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
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        # Named by time first: the oldest go first when more wait than a drain takes.
        os.replace(temporary, directory / f"{time.time_ns():020d}-{queue_id}.json")
    if sync:
        file_modes.sync(directory)
        log.warning("audit: %d event(s) queued, the database could not be written at once",
                    len(events))


def _waiting(app: Flask) -> list[tuple[Path, dict]]:
    directory = folder(app)
    try:
        names = sorted(entry.name for entry in os.scandir(directory)
                       if entry.name.endswith(".json"))[:BATCH]
    except FileNotFoundError:
        return []
    except OSError as error:
        log.error("audit queue: %s cannot be read (%s)", FOLDER, error.strerror)
        return []
    found = []
    for name in names:
        path = directory / name
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
        except FileNotFoundError:
            continue  # Another drain wrote it and removed it meanwhile.
        except (OSError, ValueError, KeyError, TypeError):
            log.error("audit queue: %s is not readable; left in place", path.name)
            continue
        found.append((path, fields))
    return sorted(found, key=lambda item: item[1]["occurred_at"])


def drain(db: Session, app: Flask, append_all) -> int:
    """Write the waiting events into the chain in `db`'s transaction, with `append_all` (the
    app's appending.append_all); their files go once it commits (forget). Returns how
    many."""
    waiting = _waiting(app)
    if not waiting:
        return 0
    head = chain.lock_head(db)
    written = set(db.scalars(select(AuditEvent.queue_id).where(
        AuditEvent.queue_id.in_([fields["queue_id"] for _, fields in waiting]))))
    fresh = [fields for _, fields in waiting if fields["queue_id"] not in written]
    if fresh:
        append_all(db, fresh, head=head)
    db.info[DONE] = [path for path, _ in waiting]
    return len(fresh)


def forget(db: Session) -> None:
    """After a commit: remove the files of the events it wrote."""
    for path in db.info.pop(DONE, ()):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def keep(db: Session) -> None:
    """After a rollback: the files stay for the next drain."""
    db.info.pop(DONE, None)
