"""Autosave, unsaved copies (discard, remove an added item) and the expired-page guard of the
session page: what is typed is kept server-side until it is saved or discarded."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.access import get_session_or_404
from tracker.db import get_db
from tracker.errors import render_error
from tracker.sessions import drafts as unsaved
from tracker.sessions import editing
from tracker.sessions.services import SessionLocked
from tracker.sessions.views import bp
from tracker.threads.services import ThreadRuleError, remove_added


@bp.route("/sessions/<id:session_id>/autosave", methods=["POST"])
def autosave(session_id: int):
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    editor_id = request.form.get("editor_id", "")
    version = editing.bounded_int(request.form.get("version"))
    if not editing.EDITOR_ID.match(editor_id) or version is None:
        return jsonify(status="invalid"), 400
    try:
        draft = unsaved.autosave(db, current_user, session, editor_id, version,
                                 editing.posted_data(request.form))
        db.commit()
    except SessionLocked:
        db.rollback()
        return jsonify(status="locked"), 409
    except unsaved.DraftTooLarge:
        db.rollback()
        return _too_large()
    except (IntegrityError, StaleDataError):
        # Two autosaves of one tab crossed (a page-close beacon and a timed one), or a save
        # removed this copy meanwhile: the page keeps its typing and sends it again.
        db.rollback()
        return jsonify(status="retry"), 409
    return jsonify(status="saved", saved_at=draft.saved_at.isoformat(),
                   stale=version != session.version)


def _too_large():
    return jsonify(status="too_large", message=unsaved.TOO_LARGE), 413


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(_error):
    """Larger than any request the app reads: the autosave says so in its own terms."""
    get_db().rollback()
    return _too_large() if request.endpoint == "sessions.autosave" else render_error(413)


@bp.route("/sessions/<id:session_id>/drafts/<id:draft_id>/discard", methods=["POST"])
def discard_draft(session_id: int, draft_id: int):
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    for draft in unsaved.drafts_of(db, current_user, session):
        if draft.id == draft_id:
            db.delete(draft)
            db.commit()
            flash("The unsaved copy was discarded.", "info")
            break
    return redirect(url_for("sessions.edit", session_id=session.id))


@bp.route("/sessions/<id:session_id>/added/<any(theme,belief,strategy):kind>/<id:item_id>/remove",
          methods=["POST"])
def remove_item(session_id: int, kind: str, item_id: int):
    """Take back an item added in this draft. The rest of the page is autosaved first."""
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    if session.is_signed:
        return redirect(url_for("sessions.show", session_id=session.id))
    editor_id = request.form.get("editor_id", "")
    version = editing.bounded_int(request.form.get("version"))
    if not editing.EDITOR_ID.match(editor_id) or version is None:
        return redirect(url_for("sessions.edit", session_id=session.id))
    if version != session.version:
        # The page is out of date: removing now would also restore its stale text as if it
        # were typed on top of the latest save. Keep what it holds, and refuse.
        try:
            unsaved.keep_conflict_copy(db, current_user, session, editor_id, version,
                                       editing.posted_data(request.form))
        except unsaved.DraftTooLarge:
            flash(unsaved.TOO_LARGE, "error")
            return redirect(url_for("sessions.edit", session_id=session.id))
        db.commit()
        flash("Someone saved this session after this page was opened; nothing was removed. "
              "What the page held is kept below to reconcile.", "error")
        return redirect(url_for("sessions.edit", session_id=session.id))
    try:
        unsaved.autosave(db, current_user, session, editor_id, version,
                         editing.posted_data(request.form))
        remove_added(db, session, kind, item_id)
        session.updated_by_id = current_user.id
        db.commit()
        flash("Removed.", "info")
    except ThreadRuleError as error:
        db.rollback()
        flash(str(error), "error")
    except unsaved.DraftTooLarge:
        db.rollback()
        flash(unsaved.TOO_LARGE + " Nothing was removed.", "error")
    return redirect(url_for("sessions.edit", session_id=session.id))


EXPIRED = ("This page could not be saved: its security token was missing or out of date (a new "
           "sign-in meanwhile, or a request that did not come from this app's own page), so "
           "nothing was saved or kept. Go back to the page: what you typed is still in it, or "
           "in its autosaved copy (open the session again to get it back); then save again.")


@bp.errorhandler(CSRFError)
def _expired_page(_error):
    """A request without a valid CSRF token changes nothing (docs/security.md): it may come
    from another page on the same site, whose fields must never reach the therapist's
    drafts. What a real, expired page held stays in the browser, and that page's autosave
    fetches a fresh token and keeps it server-side."""
    get_db().rollback()
    if request.endpoint == "sessions.autosave":
        return jsonify(status="csrf"), 400
    return render_error(400, EXPIRED if request.endpoint == "sessions.edit" else None)
