"""Autosaved drafts and conflict copies: what a tab typed but has not saved, kept server-side
(encrypted like the private notes) until it is saved, reconciled or discarded."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.db import utcnow
from tracker.sessions.models import SessionDraft, TherapySession
from tracker.sessions.services import SessionLocked

# The longest field of the session form (the private notes) and a whole page's worth: what a
# draft may hold. Larger is refused, not stored (a 900 kB field was, once).
MAX_FIELD_CHARS = 50_000
MAX_DRAFT_CHARS = 400_000
TOO_LARGE = ("Not saved: what this page holds is too large to keep as a draft (one field "
             f"may hold up to {MAX_FIELD_CHARS:,} characters). Your text is still on the "
             "page; shorten it to have it saved.")


class DraftTooLarge(Exception):
    """What a page posted is larger than a draft may be; nothing was stored."""


def check_size(data: dict) -> None:
    total = 0
    for key, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            size = len(value) if isinstance(value, str) else 0
            if size > MAX_FIELD_CHARS:
                raise DraftTooLarge()
            total += size + len(key)
    if total > MAX_DRAFT_CHARS:
        raise DraftTooLarge()


def autosave(db: Session, user: User, session: TherapySession, editor_id: str,
             base_version: int, data: dict) -> SessionDraft:
    if session.is_signed:
        raise SessionLocked()
    check_size(data)
    draft = db.scalar(select(SessionDraft).where(
        SessionDraft.session_id == session.id, SessionDraft.user_id == user.id,
        SessionDraft.editor_id == editor_id, SessionDraft.kind == "autosave"))
    if draft is None:
        draft = SessionDraft(session_id=session.id, editor_id=editor_id, kind="autosave",
                             user_id=user.id)
        db.add(draft)
    draft.base_version = base_version
    draft.data = data
    draft.saved_at = utcnow()
    db.flush()
    return draft


def keep_conflict_copy(db: Session, user: User, session: TherapySession, editor_id: str,
                       base_version: int, data: dict) -> SessionDraft:
    """A save that was refused is kept whole, to be reconciled by the therapist. One copy per
    author and session: a later refused save replaces the earlier one (and this tab's
    autosave), so retrying never piles up copies to discard one by one."""
    check_size(data)
    draft = SessionDraft(session_id=session.id, user_id=user.id, editor_id=editor_id,
                         kind="conflict", base_version=base_version, data=data,
                         saved_at=utcnow())
    db.execute(delete(SessionDraft).where(
        SessionDraft.session_id == session.id, SessionDraft.user_id == user.id,
        (SessionDraft.editor_id == editor_id) | (SessionDraft.kind == "conflict")))
    db.add(draft)
    db.flush()
    return draft


def drafts_of(db: Session, user: User, session: TherapySession) -> list[SessionDraft]:
    return list(db.scalars(
        select(SessionDraft).where(SessionDraft.session_id == session.id,
                                   SessionDraft.user_id == user.id)
        .order_by(SessionDraft.saved_at.desc())))


def restorable_autosave(drafts: list[SessionDraft], session: TherapySession):
    """The newest autosave typed on top of the version now saved, if it is newer than it."""
    for draft in drafts:
        if (draft.kind == "autosave" and draft.base_version == session.version
                and draft.saved_at > session.updated_at):
            return draft
    return None


def to_reconcile(drafts: list[SessionDraft], session: TherapySession,
                 restored: SessionDraft | None) -> list[SessionDraft]:
    """The copies the editing page lists below the form: refused saves, and typing based on
    an older version than the one saved (the copy loaded into the form is not listed)."""
    return [d for d in drafts if d is not restored
            and (d.kind == "conflict" or d.base_version != session.version)]
