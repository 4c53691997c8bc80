"""Check-in links: made, revoked and unlocked by the therapist, opened by the patient with
the link (a random token of 192 bits, stored as its SHA-256) and the code handed over in
person (six digits, stored as an argon2 hash). Neither opens anything alone.

A wrong code counts against the link (CHECKIN_CODE_ATTEMPTS in a row lock it until the
therapist unlocks it) besides the rate limits per link and per address (tracker/limits.py).
Every step writes an audit event with ids only; the token and the code are never logged.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, has_request_context, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.audit.hooks import append
from tracker.auth.models import User
from tracker.auth.passwords import hash_password, verify_password
from tracker.checkins.models import CheckinLink
from tracker.db import utcnow
from tracker.patients.models import Patient

CODE_DIGITS = 6


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _event(db: Session, action: str, link: CheckinLink, actor_id: int | None = None) -> None:
    g._audit_written = True  # This event stands for the request's change.
    append(db, action=action, actor_id=actor_id,
           remote_addr=request.remote_addr if has_request_context() else None,
           patient_id=link.patient_id, record_type="checkin_link", record_id=link.id)


def live_link(db: Session, patient: Patient) -> CheckinLink | None:
    """The patient's link that is not revoked (it may have expired or be locked)."""
    return db.scalar(select(CheckinLink).where(CheckinLink.patient_id == patient.id,
                                               CheckinLink.revoked_at.is_(None)))


def create(db: Session, user: User, patient: Patient) -> tuple[CheckinLink, str, str]:
    """A new link for the patient, revoking the one before: (link, token, code). The token
    and the code exist only in this answer."""
    previous = live_link(db, patient)
    if previous is not None:
        revoke(db, user, previous)
    token = secrets.token_urlsafe(24)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    now = utcnow()
    link = CheckinLink(patient_id=patient.id, token_hash=digest(token),
                       code_hash=hash_password(code), created_by_id=user.id, created_at=now,
                       expires_at=now + timedelta(days=current_app.config["CHECKIN_LINK_DAYS"]),
                       failed_codes=0)
    db.add(link)
    db.flush()
    _event(db, "checkin_link_created", link, user.id)
    return link, token, code


def revoke(db: Session, user: User, link: CheckinLink) -> None:
    link.revoked_at = utcnow()
    db.flush()
    _event(db, "checkin_link_revoked", link, user.id)


def unlock(db: Session, user: User, link: CheckinLink) -> None:
    link.locked_at, link.failed_codes = None, 0
    db.flush()
    _event(db, "checkin_link_unlocked", link, user.id)


def usable(link: CheckinLink | None) -> bool:
    return (link is not None and link.revoked_at is None and link.locked_at is None
            and utcnow() < link.expires_at)


def code_matches(code_hash: str, code: str) -> bool:
    """The slow part, apart from any transaction: is `code` the one of this hash?"""
    return verify_password(code_hash, "".join(code.split())[:CODE_DIGITS * 2])


def record_attempt(db: Session, link: CheckinLink, matches: bool) -> bool:
    """A right code opens the link (and its count of wrong codes starts again); a wrong one
    is counted, in the database so that parallel guesses all count, and the last one
    allowed locks the link. Returns `matches`."""
    if matches:
        link.failed_codes, link.last_opened_at = 0, utcnow()
        db.flush()
        _event(db, "checkin_link_opened", link)
        return True
    db.execute(update(CheckinLink).where(CheckinLink.id == link.id)
               .values(failed_codes=CheckinLink.failed_codes + 1))
    db.refresh(link, ["failed_codes"])
    _event(db, "checkin_code_refused", link)
    if link.failed_codes >= current_app.config["CHECKIN_CODE_ATTEMPTS"]:
        link.locked_at = utcnow()
        db.flush()
        _event(db, "checkin_link_locked", link)
    return False
