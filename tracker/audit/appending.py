"""Appending events in the app (requests and commands): the chain's key from the
configuration, and the day's first checkpoint (tracker/audit/checkpoints.py) of the head the
first event of a transaction follows."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from tracker.audit import chain, checkpoints
from tracker.audit.models import AuditHead


def key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def append(db: Session, **fields) -> dict:
    """The next event (the fields of chain.append_all's events), committed with `db`'s
    transaction."""
    return append_all(db, [fields])[0]


def append_all(db: Session, events: list[dict], *,
               head: AuditHead | None = None) -> list[dict]:
    """`events` in one go (chain.append_all); the day's first checkpoint of the head they
    follow, unless this transaction already appended."""
    first = not db.info.get("audit_appended")
    db.info["audit_appended"] = True
    added = chain.append_all(db, key(), events, head=head)
    if first and added:
        checkpoints.maybe_daily(current_app, key(), added[0]["seq"] - 1,
                                added[0]["prev_hmac"])
    return added
