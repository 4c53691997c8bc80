"""What gets audited, in one place.

- Every committed change of a request (POST) writes an event in the same transaction
  (a before_commit hook on the request's Session), so a change and its event stand or fall
  together.
- Every successful view of patient data (GET on the clinical blueprints), every export and
  every print writes an event after the page was built, apart from the request's
  transaction (tracker/audit/apart.py): page views through the queue, in batches; the
  others at once.
- Refused sign-ins and lockouts are recorded too.
Events hold ids and action codes only.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tracker.audit import apart
from tracker.audit.appending import append, key  # noqa: F401 (key: the commands use it)
from tracker.db import SAFE_METHODS, get_db
from tracker.limits import REAUTHENTICATION_ENDPOINTS

# Blueprints whose pages show patient data: viewing them is audited.
CLINICAL_BLUEPRINTS = frozenset({"patients", "courses", "sessions", "measures", "progress",
                                 "export", "audit", "care_team", "search", "checkins"})
# Requests that are not worth an event: typing buffers and stylesheet parts.
NOT_AUDITED = frozenset({"sessions.autosave", "progress.page_css", "account.ping",
                         "account.csrf_token", "static", "health.healthz",
                         "csp_report"})
ACTIONS = {
    "auth.login": "login", "auth.login_code": "login", "auth.logout": "logout",
    "export.patient_record": "export",
    "progress.print_progress": "print", "progress.print_sessions": "print",
    "sessions.sign": "sign", "sessions.add_addendum": "addendum",
    "care_team.show": "share", "care_team.revoke": "share_revoke",
    "care_team.emergency_access": "break_glass",
    "care_team.end_emergency_access": "break_glass_end",
}
RECORD_ARGS = (("session_id", "session"), ("measure_id", "measure"), ("course_id", "course"),
               ("member_id", "care_team_member"), ("grant_id", "emergency_access"),
               ("user_id", "user"), ("patient_id", "patient"))


def action_for(endpoint: str, method: str) -> str:
    if endpoint in ACTIONS and not (endpoint.startswith("care_team.")
                                    and method in SAFE_METHODS):
        action = ACTIONS[endpoint]
    else:
        action = ("view " if method in SAFE_METHODS else "change ") + endpoint
    access = g.get("patient_access") if has_request_context() else None
    # Everything seen or done through break-glass access says so.
    if access is not None and access.role == "emergency":
        action = f"emergency {action}"
    # And so does everything of patient records an account does after an administrator's
    # reset left it none of its holder's factors (tracker/auth/resets.py).
    if has_request_context() and (access is not None or request.blueprint in CLINICAL_BLUEPRINTS) \
            and _after_reset():
        action = f"reset {action}"
    return action


def _after_reset() -> bool:
    from tracker.auth import resets

    return current_user.is_authenticated and resets.watched(current_user)


def name_subject(record_type: str, record_id: int, patient_id: int) -> None:
    """Name what a change created as its event's subject (for records whose URL does not
    say which patient they concern)."""
    g._audit_created = (record_type, record_id, patient_id)


def name_subjects(patient_ids, *, emergency=()) -> None:
    """Name the patients a page shows when it shows several (a list, search results): its
    events list them. `emergency`: those of them seen only through emergency access."""
    g._audit_subjects = frozenset(patient_ids)
    g._audit_emergency = frozenset(emergency)


def _subject(db: Session) -> dict:
    """Patient and record of the current request (ids only): from its URL, or else from
    what it created (a new patient, course or session)."""
    args = request.view_args or {}
    record_type, record_id = next(((name, args[arg]) for arg, name in RECORD_ARGS
                                   if arg in args), (None, None))
    created = g.get("_audit_created")
    if record_type is None and created:
        record_type, record_id = created[0], created[1]
    patient_id = args.get("patient_id") or (created[2] if created else None)
    access = g.get("patient_access")
    if patient_id is None and "session_id" in args and access is not None:
        patient_id = access.patient_id  # The session's patient, whose access was checked.
    elif patient_id is None and "session_id" in args:
        from tracker.sessions.models import TherapySession

        patient_id = db.scalar(select(TherapySession.patient_id)
                               .where(TherapySession.id == args["session_id"]))
    return {"patient_id": patient_id, "record_type": record_type, "record_id": record_id}


def _actor_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _on_flush(db: Session, _context) -> None:
    """Remember the first record a change creates, so that its event can name it."""
    if not has_request_context() or g.get("_audit_created"):
        return
    from tracker.courses.models import Course
    from tracker.patients.models import Patient
    from tracker.sessions.models import TherapySession

    for obj in db.new:
        if isinstance(obj, Patient | Course | TherapySession):
            patient_id = obj.id if isinstance(obj, Patient) else obj.patient_id
            g._audit_created = (obj.__tablename__.removesuffix("s").replace("therapy_", ""),
                                obj.id, patient_id)
            return


def _on_commit(db: Session) -> None:
    if not has_request_context() or request.method in SAFE_METHODS:
        return
    endpoint = request.endpoint or ""
    if endpoint in NOT_AUDITED or g.get("_audit_written"):
        return
    g._audit_written = True
    append(db, action=action_for(endpoint, request.method), actor_id=_actor_id(),
           remote_addr=request.remote_addr, subjects=g.get("_audit_subjects", ()),
           **_subject(db))


def _after_request(response):
    endpoint = request.endpoint or ""
    if endpoint in NOT_AUDITED:
        return response
    if endpoint.startswith("auth.") and response.status_code in (401, 429):
        actor_id = _attempted_account()
        get_db().rollback()  # Release the request's own lock before writing apart.
        apart.write([(("login_failed" if response.status_code == 401 else "login_locked_out")
                       + ("" if endpoint == "auth.login" else f" {endpoint}"), {})],
                     actor_id=actor_id)
    elif endpoint in REAUTHENTICATION_ENDPOINTS and response.status_code in (401, 429):
        # A wrong password where one is asked again (break-glass included). The actor is
        # read before the rollback, which expires the signed-in account's row.
        actor_id = _actor_id()
        get_db().rollback()
        apart.write([(("reauth_failed " if response.status_code == 401
                        else "reauth_locked_out ") + endpoint,
                       {"subjects": g.get("_audit_subjects", ())})], actor_id=actor_id)
    elif (request.blueprint in CLINICAL_BLUEPRINTS and response.status_code == 200
          and (request.method in SAFE_METHODS or not g.get("_audit_written"))
          and not _write_views(endpoint)):
        # A page of patient data (a GET, or a POST answered with a page that changed
        # nothing, a form shown again with its errors) is never shown unaudited.
        from tracker.errors import render_busy

        return current_app.make_response(render_busy())
    elif request.method in SAFE_METHODS:
        apart.write_if_due()
    return response


def _write_views(endpoint: str) -> bool:
    """The view event of this response, and, for the patients it showed only through
    emergency access (an administrator's search), an emergency one naming them."""
    db = get_db()
    # All read before the request's transaction ends (which would expire the account).
    subject, actor_id, action = _subject(db), _actor_id(), action_for(endpoint, "GET")
    subjects = set(g.get("_audit_subjects", ()))
    opened = subjects & set(g.get("_audit_emergency", ()))
    events = []
    if subjects - opened or not opened:
        events.append((action, {**subject, "subjects": subjects - opened}))
    if opened:
        events.append((f"emergency {action}".replace("emergency emergency ", "emergency "),
                       {**subject, "subjects": opened}))
    if request.method not in SAFE_METHODS:
        # A POST that changed nothing: its session lets go of its connection entirely before
        # the events are written apart (rolled back, it could still hold the write lock).
        db.close()
    else:
        db.rollback()
    return apart.write(events, actor_id=actor_id)


def _attempted_account() -> int | None:
    from tracker.auth import pending
    from tracker.auth.services import find_by_email

    if current_user.is_authenticated:
        return current_user.id
    if request.endpoint == "auth.login_code":
        return pending.user_id()
    if request.endpoint == "auth.set_password":
        from tracker.auth import resets

        return resets.user_id_for(get_db(), request.form.get("token"))
    user = find_by_email(get_db(), request.form.get("email", ""))
    return user.id if user is not None else None


def record_command(db: Session, name: str, **subject) -> None:
    """A command run from the command line (`flask --app tracker NAME`): the event "command
    NAME", naming the operating-system account that ran it, committed with what the
    command's own session holds."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    append(db, action=f"command {name}", remote_addr=f"cli:{who}", **subject)
    db.commit()


def _transaction_ended(db: Session) -> None:
    db.info.pop("audit_appended", None)


def init_app(app: Flask) -> None:
    event.listen(app.extensions["tracker.sessionmaker"], "before_commit", _on_commit)
    event.listen(app.extensions["tracker.sessionmaker"], "after_flush", _on_flush)
    for name in ("after_commit", "after_rollback"):
        event.listen(app.extensions["tracker.sessionmaker"], name, _transaction_ended)
    app.after_request(_after_request)
