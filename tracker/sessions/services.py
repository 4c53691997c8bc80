"""Starting, saving, signing and amending a session (its drafts: drafts.py).

A save is one transaction: the session fields, the private note, the dosing record and
every decision on carried items are written together or not at all. The session's
`version` (SQLAlchemy's version_id_col) is the optimistic lock: a save based on an older
version is refused, and what was typed is kept as a conflict copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.dosing.models import DosingRecord
from tracker.dosing.services import save_dosing
from tracker.export.session_record import HASH_VERSION, content_hash
from tracker.patients.models import Patient
from tracker.sessions.kinds import (
    CHECK_IN,
    DOSING,
    DOSING_CODES,
    INTEGRATION,
    PREPARATION,
    SessionKind,
    get_kind,
)
from tracker.sessions.models import Addendum, PsychotherapyNote, SessionDraft, TherapySession
from tracker.threads import services as threads
from tracker.threads.carry import DEFAULT_THEME_WINDOW, Carry, carry_for
from tracker.threads.models import BeliefRating, StrategyReview, ThemeMention

# The session's own decisions on the threads, with their items.
DECISION_OPTIONS = (
    selectinload(TherapySession.theme_mentions).joinedload(ThemeMention.theme),
    selectinload(TherapySession.belief_ratings).joinedload(BeliefRating.belief),
    selectinload(TherapySession.strategy_reviews).joinedload(StrategyReview.strategy),
    selectinload(TherapySession.strategy_reviews).joinedload(StrategyReview.new_strategy),
)
# Loader options for a session page: every collection it shows, one query each.
SESSION_PAGE_OPTIONS = (
    joinedload(TherapySession.patient),
    joinedload(TherapySession.course),
    joinedload(TherapySession.signed_by),
    joinedload(TherapySession.updated_by),
    selectinload(TherapySession.dosing).selectinload(DosingRecord.boosters),
    selectinload(TherapySession.dosing).selectinload(DosingRecord.vitals),
    selectinload(TherapySession.addenda).joinedload(Addendum.author),
    *DECISION_OPTIONS,
)
# One session's pages (to read it, to edit it): its one-to-one rows joined, its collections
# read together after it (tracker/sessions/record_rows.py).
ONE_SESSION_OPTIONS = (
    joinedload(TherapySession.patient),
    joinedload(TherapySession.course),
    joinedload(TherapySession.signed_by),
    joinedload(TherapySession.updated_by),
    joinedload(TherapySession.dosing),
)


class SessionLocked(Exception):
    """The session is signed: it cannot change any more (addenda only)."""


class EditConflict(Exception):
    """Someone saved the session after this editor loaded it."""


class CarryMismatch(Exception):
    """The set of open items changed while the page was open."""


class SignRefused(ValueError):
    """The session is not ready to sign; the message is safe to show."""


class SessionRuleError(ValueError):
    """A rule about sessions was broken; the message is safe to show."""


@dataclass(repr=False)  # Holds clinical text: no repr.
class SessionInput:
    """Validated values from the session page, copied explicitly from the form."""

    version: int
    starts_at: datetime
    duration_minutes: int
    follows_dosing_id: int | None
    intention: str
    summary: str
    private_notes: str
    dosing: dict | None
    strategies: dict[int, dict]
    beliefs: dict[int, dict]
    themes: dict[int, dict]
    new_themes: list[dict]
    new_beliefs: list[dict]
    new_strategies: list[dict]
    # Items added in this draft, edited: added_themes/_beliefs/_strategies -> id -> values.
    added: dict[str, dict[int, dict]] = field(default_factory=dict)


def create_session(db: Session, user: User, patient: Patient, course: Course, *, kind: str,
                   starts_at: datetime, duration_minutes: int) -> TherapySession:
    """A new draft. A kind that follows a dosing session is attached to the latest dosing
    session of the course before it."""
    if course.patient_id != patient.id:
        raise SessionRuleError("This course belongs to another patient.")
    follows = None
    if get_kind(kind).follows_dosing:
        follows = db.scalar(
            select(TherapySession.id)
            .where(TherapySession.course_id == course.id,
                   TherapySession.kind.in_(DOSING_CODES), TherapySession.starts_at <= starts_at)
            .order_by(TherapySession.starts_at.desc()).limit(1)
        )
    session = TherapySession(
        patient_id=patient.id, course_id=course.id, kind=kind, starts_at=starts_at,
        duration_minutes=duration_minutes, follows_dosing_id=follows, created_by_id=user.id,
        status="draft",
    )
    db.add(session)
    db.flush()
    return session


def suggested_kind(course: Course) -> SessionKind:
    """The kind a new session of `course` most likely is: preparation before the first dose,
    integration right after a dose that has none yet, another dose while doses remain, and
    otherwise a check-in. `course.sessions` must be loaded."""
    sessions = sorted(course.sessions, key=lambda s: (s.starts_at, s.id))
    doses = [s for s in sessions if s.kind_spec.has_dosing]
    if not doses:
        return PREPARATION
    if not any(s.follows_dosing_id == doses[-1].id for s in sessions):
        return INTEGRATION
    if len(doses) < course.planned_dosing_sessions:
        return DOSING
    return CHECK_IN


def private_note(db: Session, session: TherapySession, user: User) -> PsychotherapyNote | None:
    """The private note of this session, for its author only."""
    return db.scalar(select(PsychotherapyNote).where(
        PsychotherapyNote.session_id == session.id, PsychotherapyNote.author_id == user.id))


def save_session(db: Session, user: User, session: TherapySession, carry: Carry,
                 data: SessionInput, *, editor_id: str | None = None,
                 restored_from: int | None = None) -> None:
    """Save everything typed on the session page. This editor's autosave is now superseded
    and goes, and so does the unsaved copy the page was restored from; other tabs' copies
    stay, to be reconciled."""
    if session.is_signed:
        raise SessionLocked()
    if data.version != session.version:
        raise EditConflict()
    _check_carry(carry, data)
    session.starts_at = data.starts_at
    session.duration_minutes = data.duration_minutes
    if session.kind_spec.follows_dosing:
        session.follows_dosing_id = data.follows_dosing_id
    session.intention = data.intention
    session.summary = data.summary
    _save_private_note(db, session, user, data.private_notes)
    if session.kind_spec.has_dosing and data.dosing is not None:
        save_dosing(db, session, data.dosing, session.patient.weight_kg)
    # A draft may leave carried items undecided: they get no decision row (yet).
    for items, decided, apply in ((carry.strategies, data.strategies, threads.review_strategy),
                                  (carry.beliefs, data.beliefs, threads.rate_belief),
                                  (carry.themes, data.themes, threads.review_theme)):
        for item in items:
            if decided[item.record.id].get("decision"):
                apply(db, session, item, decided[item.record.id])
    for records, name, edit in ((carry.added_themes, "added_themes", threads.edit_added_theme),
                                (carry.added_beliefs, "added_beliefs", threads.edit_added_belief),
                                (carry.added_strategies, "added_strategies",
                                 threads.edit_added_strategy)):
        for record in records:
            edit(session, record, data.added[name][record.id])  # (checked by _check_carry)
    for values in data.new_themes:
        threads.add_theme(db, session, values)
    for values in data.new_beliefs:
        threads.add_belief(db, session, values)
    for values in data.new_strategies:
        threads.add_strategy(db, session, values)
    session.updated_at = utcnow()  # Always an UPDATE of the row, so the version moves on.
    session.updated_by_id = user.id
    db.execute(delete(SessionDraft).where(
        SessionDraft.session_id == session.id, SessionDraft.user_id == user.id,
        ((SessionDraft.kind == "autosave") & (SessionDraft.editor_id == (editor_id or "")))
        | (SessionDraft.id == (restored_from or 0))))
    db.flush()


def _check_carry(carry: Carry, data: SessionInput) -> None:
    for items, decided in ((carry.strategies, data.strategies), (carry.beliefs, data.beliefs),
                           (carry.themes, data.themes)):
        if {item.record.id for item in items} != set(decided):
            raise CarryMismatch()
    for records, name in ((carry.added_themes, "added_themes"),
                          (carry.added_beliefs, "added_beliefs"),
                          (carry.added_strategies, "added_strategies")):
        if {record.id for record in records} != set(data.added.get(name, {})):
            raise CarryMismatch()


def _save_private_note(db: Session, session: TherapySession, user: User, body: str) -> None:
    note = private_note(db, session, user)
    if note is None:
        if not body:
            return
        note = PsychotherapyNote(session_id=session.id, author_id=user.id)
        db.add(note)
    note.body = body


def sign_problems(db: Session, user: User, session: TherapySession, carry: Carry) -> list[str]:
    """What stands between this draft and the user signing it (empty when they may). Only
    the signer's own unsaved copies count: a colleague's are theirs alone to see, and must
    not lock the session for everyone (they stay, for that colleague, until signed)."""
    problems = []
    unsaved = db.scalar(select(func.count()).select_from(SessionDraft)
                        .where(SessionDraft.session_id == session.id,
                               SessionDraft.user_id == user.id))
    if unsaved:
        problems.append(f"{unsaved} unsaved cop{'y' if unsaved == 1 else 'ies'} of this "
                        "session (typing not yet saved, or a refused save) must be saved or "
                        "discarded on the editing page first.")
    if not session.summary.strip():
        problems.append("Write a summary for the progress note.")
    if session.kind_spec.has_dosing and session.dosing is None:
        problems.append("Record the dosing details (medication, route, dose).")
    if carry.undecided:
        problems.append(f"{carry.undecided} carried item(s) still need a decision.")
    return problems


def sign_session(db: Session, user: User, session: TherapySession, version: int, *,
                 theme_window: int = DEFAULT_THEME_WINDOW) -> None:
    if session.is_signed:
        raise SessionLocked()
    if version != session.version:
        raise EditConflict()
    problems = sign_problems(db, user, session,
                             carry_for(db, session, theme_window=theme_window))
    if problems:
        raise SignRefused(" ".join(problems))
    session.status = "signed"
    session.signed_at = utcnow()
    session.signed_by_id = user.id
    session.content_hash = content_hash(session)
    session.hash_version = HASH_VERSION
    db.flush()


def add_addendum(db: Session, user: User, session: TherapySession, body: str) -> Addendum:
    if not session.is_signed:
        raise SignRefused("Addenda are for signed sessions; edit the draft instead.")
    addendum = Addendum(session_id=session.id, author_id=user.id, body=body)
    db.add(addendum)
    db.flush()
    return addendum
