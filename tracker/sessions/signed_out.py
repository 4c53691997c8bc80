"""A Save that arrives after its login ended for inactivity (the page was left open, the
therapist came back and pressed Save): not applied, not thrown away either.

What the page sent is kept as a conflict copy of the session (encrypted and bound to its row
like every draft), marked with the login that ended. The request has passed the CSRF check,
so it came from the app's own page of that login. When the same account signs in again, it
is taken to the session with the copy loaded into the form and a message saying what
happened. Only a login that ended by itself (idle or past its lifetime) counts, and only
within the login's lifetime after it was last used: a cookie from a sign-out, or an old one,
keeps nothing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, flash, g, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from tracker.audit import hooks
from tracker.auth.models import LoginSession, User
from tracker.db import get_db, utcnow
from tracker.sessions import drafts, editing
from tracker.sessions.models import SessionDraft
from tracker.sessions.services import SessionLocked

ENDED_BY_ITSELF = ("idle", "expired")


def _ended_login(token: str) -> LoginSession | None:
    if not token or len(token) > 128:
        return None
    login = get_db().scalar(select(LoginSession).where(
        LoginSession.token_hash == hashlib.sha256(token.encode()).hexdigest(),
        LoginSession.ended_reason.in_(ENDED_BY_ITSELF)))
    lifetime = timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])
    if login is None or utcnow() - login.last_seen_at > lifetime:
        return None
    return login


def keep_save() -> bool:
    """Keep what a Save of the session page posted after its login ended by itself. True
    when it was kept (the caller sends to the sign-in page with a message)."""
    from tracker.access import get_session_or_404

    login = _ended_login(session.get("_user_id", ""))
    if login is None:
        return False
    db = get_db()
    user = db.get(User, login.user_id)
    if user is None or user.is_disabled:
        return False
    try:
        record = get_session_or_404(db, user, request.view_args["session_id"], need="write")
        editor_id = request.form.get("editor_id", "")
        copy = drafts.keep_conflict_copy(
            db, user, record,
            editor_id if editing.EDITOR_ID.match(editor_id) else editing.new_editor_id(),
            editing.bounded_int(request.form.get("version")) or record.version,
            editing.posted_data(request.form))
    except (NotFound, SessionLocked, drafts.DraftTooLarge):
        db.rollback()
        return False
    copy.ended_login_id = login.id
    g._audit_written = True  # This event names the account, which is not signed in.
    hooks.append(db, action="signed_out_save_kept", actor_id=user.id,
                 remote_addr=request.remote_addr, patient_id=record.patient_id,
                 record_type="session", record_id=record.id)
    db.commit()
    return True


def restore_after_sign_in(user: User) -> str | None:
    """Where to go after `user` signed in: the newest Save kept after one of its logins
    ended, loaded into its form (None when there is none). The caller commits."""
    db = get_db()
    kept = db.scalars(select(SessionDraft).where(
        SessionDraft.user_id == user.id, SessionDraft.ended_login_id.is_not(None))
        .order_by(SessionDraft.saved_at.desc())).all()
    if not kept:
        return None
    for copy in kept:
        copy.ended_login_id = None  # Told once; the copy stays until saved or discarded.
    others = len(kept) - 1
    flash("You had been signed out for inactivity when you saved this session, so the save "
          "was not applied. Nothing is lost: what you sent is loaded into the form below. "
          "Check it and save." + (f" {others} other session(s) have such a copy too; they "
                                  "are listed on their pages." if others else ""), "warning")
    return url_for("sessions.edit", session_id=kept[0].session_id, draft=kept[0].id)
