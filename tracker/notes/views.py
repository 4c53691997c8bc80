"""The session page: document (with carry-forward), autosave, sign, amend."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from tracker.access import get_session_or_404
from tracker.converters import MAX_ID
from tracker.courses.services import course_position, course_sessions
from tracker.db import get_db
from tracker.errors import render_error
from tracker.notes import editing
from tracker.notes import services as notes
from tracker.notes.forms import AddendumForm, SessionForm, SignForm
from tracker.threads.carry import carry_for
from tracker.threads.services import ThreadRuleError, remove_added

bp = Blueprint("notes", __name__, url_prefix="/sessions")
EDITOR_ID = re.compile(r"^[0-9a-f]{16,32}$")


def _load(session_id: int, need: str | None = None):
    return get_session_or_404(get_db(), current_user, session_id, *notes.SESSION_PAGE_OPTIONS,
                              need=need)


def _carry(session):
    return carry_for(get_db(), session, theme_window=current_app.config["THEME_CARRY_SESSIONS"])


@bp.route("/<id:session_id>")
def show(session_id: int):
    return _render_show(_load(session_id), AddendumForm())


def _render_show(session, addendum_form):
    db = get_db()
    carry = _carry(session)
    problems = [] if session.is_signed else notes.sign_problems(db, current_user, session,
                                                                       carry)
    return render_template(
        "notes/show.html", session=session, carry=carry, problems=problems,
        note=notes.private_note(db, session, current_user),
        sign_form=SignForm(version=session.version), addendum_form=addendum_form,
        position=_position(db, session),
    )


def _position(db, session):
    return course_position(session.course, course_sessions(db, session.course))


@bp.route("/<id:session_id>/edit", methods=["GET", "POST"])
def edit(session_id: int):
    db = get_db()
    session = _load(session_id, need="write")
    if session.is_signed:
        flash("This session is signed and locked. Corrections go in an addendum.", "info")
        return redirect(url_for("notes.show", session_id=session.id))
    carry = _carry(session)
    drafts = notes.drafts_of(db, current_user, session)
    restored = None
    if request.method == "POST":
        form = SessionForm()
    else:
        restored = _chosen_draft(drafts) or notes.restorable_autosave(drafts, session)
        if restored is not None:
            # Typed on top of the saved version, or chosen knowingly over it: either way it
            # is now based on the version saved, in a new editor (this tab).
            typed = {k: v for k, v in restored.data.items()
                     if k not in ("version", "editor_id", "restored_from")}
            form = SessionForm(formdata=MultiDict(typed))
            form.version.data = session.version
            form.editor_id.data = editing.new_editor_id()
            form.restored_from.data = restored.id
        else:
            note = notes.private_note(db, session, current_user)
            form = SessionForm(formdata=None,
                               data=editing.initial_data(session, carry, note.body if note else ""))
    items_match = editing.configure(db, form, session, carry)
    problem = None
    if request.method == "POST":
        if not items_match:
            problem = ("The open items changed while this page was open (another session was "
                       "saved). Your entries are kept; please review the list again.")
        elif form.validate():
            outcome = _save(db, session, carry, form)
            if outcome is None:
                return redirect(url_for("notes.show" if form.save_and_review.data else
                                        "notes.edit", session_id=session.id))
            if outcome is CONFLICT:
                return redirect(url_for("notes.edit", session_id=session.id))
            problem = outcome
        else:
            _keep_typed(db, session, form)
            problem = "Some entries need attention; they are marked below. Nothing was saved yet."
    return render_template(
        "notes/edit.html", session=session, carry=carry, form=form, drafts=drafts,
        restored=restored, problem=problem, position=_position(db, session),
        idle_seconds=current_app.config["SESSION_IDLE_MINUTES"] * 60,
    )


CONFLICT = object()


def _save(db, session, carry, form):
    """Save in one transaction. Returns None on success, CONFLICT when someone saved first
    (the typed version is then kept as a conflict copy), or a message to show."""
    session_id = session.id
    try:
        notes.save_session(db, current_user, session, carry,
                           editing.session_input(form, session), editor_id=form.editor_id.data,
                           restored_from=form.restored_from.data)
        db.commit()
    except (notes.EditConflict, StaleDataError):
        db.rollback()
        session = get_session_or_404(db, current_user, session_id)
        notes.keep_conflict_copy(db, current_user, session, form.editor_id.data,
                                 form.version.data, editing.posted_data(request.form))
        db.commit()
        flash("Someone saved this session after you opened it, so your save was not applied. "
              "Nothing is lost: your version is kept below the saved one to reconcile.", "error")
        return CONFLICT
    except ThreadRuleError as error:
        db.rollback()
        return str(error)
    flash("Session saved.", "success")
    return None


def _keep_typed(db, session, form) -> None:
    """A form with errors is also autosaved, so leaving the page loses nothing."""
    if EDITOR_ID.match(form.editor_id.data or ""):
        notes.autosave(db, current_user, session, form.editor_id.data,
                       _bounded_int(request.form.get("version")) or session.version,
                       editing.posted_data(request.form))
        db.commit()


def _bounded_int(raw: str | None) -> int | None:
    """A version number as posted, or None when it is not one a database can hold."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def _chosen_draft(drafts):
    chosen = request.args.get("draft", type=int)
    return next((d for d in drafts if d.id == chosen), None) if chosen else None


@bp.route("/<id:session_id>/autosave", methods=["POST"])
def autosave(session_id: int):
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    editor_id = request.form.get("editor_id", "")
    version = _bounded_int(request.form.get("version"))
    if not EDITOR_ID.match(editor_id) or version is None:
        return jsonify(status="invalid"), 400
    try:
        draft = notes.autosave(db, current_user, session, editor_id, version,
                               editing.posted_data(request.form))
        db.commit()
    except notes.SessionLocked:
        db.rollback()
        return jsonify(status="locked"), 409
    except (IntegrityError, StaleDataError):
        # Two autosaves of one tab crossed (a page-close beacon and a timed one), or a save
        # removed this copy meanwhile: the page keeps its typing and sends it again.
        db.rollback()
        return jsonify(status="retry"), 409
    return jsonify(status="saved", saved_at=draft.saved_at.isoformat(),
                   stale=version != session.version)


@bp.route("/<id:session_id>/drafts/<id:draft_id>/discard", methods=["POST"])
def discard_draft(session_id: int, draft_id: int):
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    for draft in notes.drafts_of(db, current_user, session):
        if draft.id == draft_id:
            db.delete(draft)
            db.commit()
            flash("The unsaved copy was discarded.", "info")
            break
    return redirect(url_for("notes.edit", session_id=session.id))


@bp.route("/<id:session_id>/added/<any(theme,belief,strategy):kind>/<id:item_id>/remove",
          methods=["POST"])
def remove_item(session_id: int, kind: str, item_id: int):
    """Take back an item added in this draft. The rest of the page is autosaved first."""
    db = get_db()
    session = get_session_or_404(db, current_user, session_id)
    if session.is_signed:
        return redirect(url_for("notes.show", session_id=session.id))
    editor_id = request.form.get("editor_id", "")
    version = _bounded_int(request.form.get("version"))
    if not EDITOR_ID.match(editor_id) or version is None:
        return redirect(url_for("notes.edit", session_id=session.id))
    if version != session.version:
        # The page is out of date: removing now would also restore its stale text as if it
        # were typed on top of the latest save. Keep what it holds, and refuse.
        notes.keep_conflict_copy(db, current_user, session, editor_id, version,
                                 editing.posted_data(request.form))
        db.commit()
        flash("Someone saved this session after this page was opened; nothing was removed. "
              "What the page held is kept below to reconcile.", "error")
        return redirect(url_for("notes.edit", session_id=session.id))
    notes.autosave(db, current_user, session, editor_id, version,
                   editing.posted_data(request.form))
    try:
        remove_added(db, session, kind, item_id)
        session.updated_by_id = current_user.id
        db.commit()
        flash("Removed.", "info")
    except ThreadRuleError as error:
        db.rollback()
        flash(str(error), "error")
    return redirect(url_for("notes.edit", session_id=session.id))


@bp.route("/<id:session_id>/sign", methods=["POST"])
def sign(session_id: int):
    db = get_db()
    session = _load(session_id)
    form = SignForm()
    if form.validate_on_submit():
        try:
            notes.sign_session(db, current_user, session, form.version.data,
                               theme_window=current_app.config["THEME_CARRY_SESSIONS"])
            db.commit()
            flash("Signed and locked. Corrections can be added as addenda.", "success")
        except notes.SessionLocked:
            flash("This session is already signed.", "info")
        except (notes.EditConflict, StaleDataError):
            db.rollback()
            flash("The session changed since you opened it; review it and sign again.", "error")
        except notes.SignRefused as error:
            db.rollback()
            flash(str(error), "error")
    return redirect(url_for("notes.show", session_id=session_id))


@bp.route("/<id:session_id>/addenda", methods=["POST"])
def add_addendum(session_id: int):
    db = get_db()
    session = _load(session_id)
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            notes.add_addendum(db, current_user, session, form.body.data)
            db.commit()
            flash("Addendum added.", "success")
            return redirect(url_for("notes.show", session_id=session.id))
        except notes.SignRefused as error:
            flash(str(error), "error")
            return redirect(url_for("notes.show", session_id=session.id))
    return _render_show(session, form)


@bp.errorhandler(CSRFError)
def _expired_page(_error):
    """A page opened before a new sign-in carries a stale CSRF token. Its autosave learns to
    fetch a fresh one; a Save from it is kept as an unsaved copy rather than lost."""
    db = get_db()
    db.rollback()
    if request.endpoint == "notes.autosave":
        return jsonify(status="csrf"), 400
    session_id = (request.view_args or {}).get("session_id")
    editor_id = request.form.get("editor_id", "")
    if (request.endpoint == "notes.edit" and current_user.is_authenticated and session_id
            and EDITOR_ID.match(editor_id)):
        session = get_session_or_404(db, current_user, session_id)
        if not session.is_signed:
            version = _bounded_int(request.form.get("version")) or session.version
            notes.keep_conflict_copy(db, current_user, session, editor_id, version,
                                     editing.posted_data(request.form))
            db.commit()
            flash("This page had expired (you signed in again meanwhile), so it was not "
                  "saved. Nothing is lost: what you typed is kept below; load it into the "
                  "form and save.", "error")
            return redirect(url_for("notes.edit", session_id=session.id))
    return render_error(400)
