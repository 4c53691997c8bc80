"""Events with no change to go with, written apart from the request's own transaction.

- Page views (the actions "view …"): queued (tracker/audit/queue.py) without an fsync of
  their own, and written into the chain in batches, each in one fully synced transaction:
  by this worker's next page view once it has queued AUDIT_VIEW_BATCH of them, by its
  next request of any page (GET) once the oldest has waited AUDIT_VIEW_SECONDS, and by its
  first one (a restarted worker writes what a crash left waiting). A page view thus takes
  neither the database's write lock nor an fsync, but one in AUDIT_VIEW_BATCH, and costs a
  fraction of a statement.
- Everything else seen without a change (exports, prints, pages seen through emergency
  access or after an administrator's reset) and refused sign-ins: written at once, in a
  transaction of their own, after the events waiting before them.
- The pages and commands that read the trail write what waits first (before_reading).

When the database cannot take them, events wait in the queue, fsynced, and the page still
answers; a page whose events can be neither written nor queued is not shown (False).
"""

from __future__ import annotations

import logging
import time

from flask import current_app, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker.audit import queue
from tracker.audit.appending import append_all
from tracker.db import SAFE_METHODS, get_engine, utcnow

log = logging.getLogger(__name__)
# Per instance folder (its queue), this process's page views queued since its last drain
# and when the first of them was. A process that has not drained yet starts "due" (its
# oldest at -inf).
_pending: dict[str, list] = {}


def write(events: list[tuple[str, dict]], *, actor_id: int | None) -> bool:
    """The events of this response (an action and its subject fields each)."""
    at = utcnow()
    fields = [{"action": name, "actor_id": actor_id, "remote_addr": request.remote_addr,
               "occurred_at": at, **subject} for name, subject in events]
    if all(each["action"].startswith("view ") for each in fields):
        try:
            queue.put(current_app, fields, sync=False)
        except OSError as error:
            log.warning("audit: view events not queued (%s); written at once", error.strerror)
        else:
            _queued(len(fields))
            if _due():
                flush()
            return True
    return _write_at_once(fields)


def write_if_due() -> None:
    """At the end of a request that reads only (any page, not only views): this worker's
    waiting views once they are due, so that they do not wait for its next view."""
    if _due():
        flush()


def _state() -> list:
    return _pending.setdefault(current_app.instance_path, [0, float("-inf")])


def _queued(count: int) -> None:
    state = _state()
    state[0] += count
    if state[1] is None:
        state[1] = time.monotonic()


def _due() -> bool:
    count, since = _state()
    config = current_app.config
    return count >= config["AUDIT_VIEW_BATCH"] or (
        since is not None and time.monotonic() - since >= config["AUDIT_VIEW_SECONDS"])


def _drained(taken: int) -> None:
    if taken < queue.BATCH:  # Else more may wait: the next page view takes them.
        _pending[current_app.instance_path] = [0, None]


def _drain_and_write(fields: list[dict] = ()) -> int:
    """One transaction: the waiting events, then `fields`; how many waited."""
    with Session(bind=get_engine()) as db:
        count = queue.drain(db, current_app, append_all)
        taken = len(db.info.get(queue.DONE, ()))
        if fields:
            append_all(db, fields)
        db.commit()
        queue.forget(db)
    _drained(taken)
    return count


def flush() -> int:
    """Write what waits in this server's queue into the chain now; how many were written.
    When the database cannot take them, they wait (logged)."""
    try:
        return _drain_and_write()
    except DBAPIError as error:
        log.warning("audit: waiting events not written yet (%s)", type(error.orig).__name__)
        return 0


def before_reading(db: Session) -> None:
    """Before a page reads the trail: what waits is written, and the read-only transaction
    of the request (`db`, begun before: its snapshot predates them) ends, so that its next
    statement sees them."""
    if flush() and request.method in SAFE_METHODS:
        db.commit()


def _write_at_once(fields: list[dict]) -> bool:
    """In a short transaction of their own, after the events waiting in the queue; queued
    (fsynced) when the database cannot take them (its write lock held past the busy
    timeout, a lost connection)."""
    try:
        _drain_and_write(fields)
        return True
    except DBAPIError as error:
        log.warning("audit: events not written at once (%s)", type(error.orig).__name__)
    try:
        queue.put(current_app, fields)
    except OSError as error:
        log.error("audit: events could be neither written nor queued (%s)", error.strerror)
        return False
    return True
