"""The session pages: start one, document it (with carry-forward), sign it, amend it. The
autosave and unsaved-copy routes are on the same blueprint (draft_views.py)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from tracker.access import get_patient_or_404, get_session_or_404
from tracker.checkins import reports
from tracker.courses.services import list_courses, whereabouts
from tracker.db import get_db
from tracker.measures.services import taken_at
from tracker.sessions import drafts as unsaved
from tracker.sessions import editing
from tracker.sessions import services as sessions
from tracker.sessions.forms import AddendumForm, NewSessionForm, SignForm, session_form_class
from tracker.sessions.record_rows import load_record
from tracker.threads.carry import carry_for
from tracker.threads.services import ThreadRuleError

bp = Blueprint("sessions", __name__)


def _load(session_id: int, need: str | None = None, options=sessions.ONE_SESSION_OPTIONS):
    return get_session_or_404(get_db(), current_user, session_id, *options, need=need)


def _carry(session):
    return carry_for(get_db(), session, theme_window=current_app.config["THEME_CARRY_SESSIONS"])


@bp.route("/patients/<id:patient_id>/sessions/new", methods=["GET", "POST"])
def new(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id, need="write")
    courses = list_courses(db, patient)
    if not courses:
        flash("Start a course first: sessions belong to a course.", "info")
        return redirect(url_for("courses.new_course", patient_id=patient.id))
    form = NewSessionForm()
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in courses]
    if request.method == "GET":
        form.kind.data = sessions.suggested_kind(courses[0]).code
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        session = sessions.create_session(
            db, current_user, patient, course, kind=form.kind.data,
            starts_at=datetime.combine(form.session_date.data, form.start_time.data),
            duration_minutes=form.duration_minutes.data,
        )
        db.commit()
        return redirect(url_for("sessions.edit", session_id=session.id))
    return render_template("sessions/new.html", form=form, patient=patient)


@bp.route("/sessions/<id:session_id>")
def show(session_id: int):
    return _render_show(_load(session_id), AddendumForm())  # Its collections: load_record.


def _render_show(session, addendum_form):
    """A signed session shows what was decided in it: nothing is carried into it any more."""
    db = get_db()
    record = load_record(db, session, current_user.id)
    if session.is_signed:
        added, problems = record.added_strategies, []
    else:
        carry = _carry(session)
        added = carry.added_strategies
        problems = sessions.sign_problems(db, current_user, session, carry)
    return render_template(
        "sessions/show.html", session=session, added=added, problems=problems,
        note=record.note,
        measured=taken_at(db, session.patient, [session.id]).get(session.id, []),
        sign_form=SignForm(version=session.version), addendum_form=addendum_form,
        **_whereabouts(db, session),
    )


def _whereabouts(db, session) -> dict:
    """Where the session stands in its course: "dose 3 of 6", "day 2 after dose 3"."""
    position, day = whereabouts(db, session,
                                window_days=current_app.config["INTEGRATION_WINDOW_DAYS"])
    return {"position": position, "dose_day": day}


@bp.route("/sessions/<id:session_id>/edit", methods=["GET", "POST"])
def edit(session_id: int):
    db = get_db()
    session = _load(session_id, need="write")
    if session.is_signed:
        flash("This session is signed and locked. Corrections go in an addendum.", "info")
        return redirect(url_for("sessions.show", session_id=session.id))
    record = load_record(db, session, current_user.id)
    carry = _carry(session)
    drafts, note = record.drafts, record.note
    restored = None
    form_class = session_form_class(session)
    if request.method == "POST":
        form = form_class()
    else:
        restored = _chosen_draft(drafts) or unsaved.restorable_autosave(drafts, session)
        if restored is not None:
            # Typed on top of the saved version, or chosen knowingly over it: either way it
            # is now based on the version saved, in a new editor (this tab).
            typed = {k: v for k, v in restored.data.items()
                     if k not in ("version", "editor_id", "restored_from")}
            form = form_class(formdata=MultiDict(typed))
            form.version.data = session.version
            form.editor_id.data = editing.new_editor_id()
            form.restored_from.data = restored.id
        else:
            form = form_class(formdata=None,
                              data=editing.initial_data(session, carry, note.body if note else ""))
    items_match = editing.configure(db, form, session, carry)
    reported = reports.before_session(db, session, carry.previous_start)
    problem = None
    adding = request.form.get("add_item") if request.method == "POST" else None
    using = request.form.get("use_reported") if request.method == "POST" else None
    if adding in editing.NEW_ITEM_LISTS:
        # "Add a theme" without JavaScript: one more blank block, nothing saved, nothing lost.
        _keep_typed(db, session, form)
        editing.add_blank(form, adding)
    elif using:
        # "Use the patient's count" without JavaScript: the field filled, still editable;
        # nothing saved until the therapist saves.
        _keep_typed(db, session, form)
        editing.use_reported(form, using, reported)
    elif request.method == "POST":
        if not items_match and form.version.data == session.version:
            problem = ("The open items changed while this page was open (another session was "
                       "saved). Your entries are kept; please review the list again.")
        elif form.validate():
            outcome = _save(db, session, carry, form)
            if outcome is None:
                return redirect(url_for("sessions.show" if form.save_and_review.data else
                                        "sessions.edit", session_id=session.id))
            if outcome is CONFLICT:
                return redirect(url_for("sessions.edit", session_id=session.id))
            problem = outcome
        else:
            _keep_typed(db, session, form)
            problem = "Some entries need attention; they are marked below. Nothing was saved yet."
    return render_template(
        "sessions/edit.html", session=session, carry=carry, form=form, restored=restored,
        reported=reported,
        blanks=editing.blank_items(),
        to_reconcile=unsaved.to_reconcile(drafts, session, restored), problem=problem,
        **_whereabouts(db, session),
        idle_seconds=current_app.config["SESSION_IDLE_MINUTES"] * 60,
    )


CONFLICT = object()


def _save(db, session, carry, form):
    """Save in one transaction. Returns None on success, CONFLICT when someone saved first
    (the typed version is then kept as a conflict copy), or a message to show."""
    session_id = session.id
    try:
        sessions.save_session(db, current_user, session, carry,
                              editing.session_input(form, session),
                              editor_id=form.editor_id.data,
                              restored_from=form.restored_from.data)
        db.commit()
    except (sessions.EditConflict, StaleDataError, IntegrityError) as error:
        # A save that lost a race: refused by the version check, or, when the other save
        # committed between this one's reads and its writes (two tabs writing the session's
        # first private note), by a unique constraint. Either way nothing of it was applied
        # and everything it holds is kept.
        db.rollback()
        session = get_session_or_404(db, current_user, session_id)
        try:
            unsaved.keep_conflict_copy(db, current_user, session, form.editor_id.data,
                                       form.version.data, editing.posted_data(request.form))
        except unsaved.DraftTooLarge:
            return unsaved.TOO_LARGE
        db.commit()
        flash(("A change saved at the same moment (another tab, or a colleague) clashed with "
               "this one, so your save was not applied." if isinstance(error, IntegrityError)
               else "Someone saved this session after you opened it, so your save was not "
               "applied.") + " Nothing is lost: your version is kept below the saved one to "
              "reconcile.", "error")
        return CONFLICT
    except ThreadRuleError as error:
        db.rollback()
        return str(error)
    pending = editing.undecided_with_details(form)
    if pending:
        # Typed about items still without a decision: not part of the record yet, and not
        # lost either. Kept as this page's unsaved typing, on the version just saved.
        try:
            unsaved.autosave(db, current_user, session, form.editor_id.data,
                             session.version, editing.posted_data(request.form))
        except unsaved.DraftTooLarge:
            flash("Session saved. " + unsaved.TOO_LARGE, "success")
            return None
        db.commit()
        flash(f"Session saved. What you typed for {pending} item(s) without a decision is "
              "kept as unsaved typing until you choose a decision.", "success")
        return None
    flash("Session saved.", "success")
    return None


def _keep_typed(db, session, form) -> None:
    """A form with errors is also autosaved, so leaving the page loses nothing."""
    if editing.EDITOR_ID.match(form.editor_id.data or ""):
        try:
            unsaved.autosave(db, current_user, session, form.editor_id.data,
                             editing.bounded_int(request.form.get("version")) or session.version,
                             editing.posted_data(request.form))
        except unsaved.DraftTooLarge:
            return  # Still on the page that is shown again, with the errors marked.
        db.commit()


def _chosen_draft(drafts):
    chosen = request.args.get("draft", type=int)
    return next((d for d in drafts if d.id == chosen), None) if chosen else None


@bp.route("/sessions/<id:session_id>/sign", methods=["POST"])
def sign(session_id: int):
    db = get_db()
    session = _load(session_id, options=sessions.SESSION_PAGE_OPTIONS)
    form = SignForm()
    if form.validate_on_submit():
        try:
            sessions.sign_session(db, current_user, session, form.version.data,
                               theme_window=current_app.config["THEME_CARRY_SESSIONS"])
            db.commit()
            flash("Signed and locked. Corrections can be added as addenda.", "success")
        except sessions.SessionLocked:
            flash("This session is already signed.", "info")
        except (sessions.EditConflict, StaleDataError):
            db.rollback()
            flash("The session changed since you opened it; review it and sign again.", "error")
        except sessions.SignRefused as error:
            db.rollback()
            flash(str(error), "error")
    return redirect(url_for("sessions.show", session_id=session_id))


@bp.route("/sessions/<id:session_id>/addenda", methods=["POST"])
def add_addendum(session_id: int):
    db = get_db()
    session = _load(session_id)
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            sessions.add_addendum(db, current_user, session, form.body.data)
            db.commit()
            flash("Addendum added.", "success")
            return redirect(url_for("sessions.show", session_id=session.id))
        except sessions.SignRefused as error:
            flash(str(error), "error")
            return redirect(url_for("sessions.show", session_id=session.id))
    return _render_show(session, form)


# The autosave and unsaved-copy routes register on `bp` too.
from tracker.sessions import draft_views  # noqa: E402, F401
