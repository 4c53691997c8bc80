"""Error pages in the app's look. They reveal no internals, and every error rolls back."""

from __future__ import annotations

import logging
import re
import sqlite3
import traceback

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.crypto import DecryptionError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Something in the request was not right",
        "The form may have expired. Go back, reload the page and try again.",
    ),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("This record cannot be opened here",
          "Part of it is encrypted for another place in the database (copied from another "
          "record), altered, or under a key this server does not have, so it is not shown. "
          "Nothing was changed. Tell your administrator: the application log names the "
          "record, and a backup can restore it."),
    413: ("Too large", "What was sent is larger than this app accepts. Shorten it and try again."),
    429: (
        "Too many attempts",
        "For your account's safety, please wait a minute before trying again.",
    ),
    503: (
        "Please try again shortly",
        "Sign-in is briefly unavailable. Nothing was checked or saved; try again in a minute.",
    ),
    500: (
        "Something went wrong",
        "The error has been logged without any patient details. Nothing was saved; "
        "please try again.",
    ),
}


def _rollback() -> None:
    from tracker.db import release

    db = g.get("db")
    if db is not None:
        release(db, close=False)


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    message = message or default
    if code >= 500:
        # The failure may be the database itself: render without loading the user.
        g._login_user = AnonymousUserMixin()
    return render_template("errors/error.html", code=code, title=title, message=message), code


# Fields never written back into a page (the busy page's "try again" form): a password or a
# code would otherwise sit in its HTML.
NOT_RESENT = re.compile(r"password|code|token|secret", re.IGNORECASE)
BUSY_SECONDS = 5


def is_busy(error: OperationalError) -> bool:
    """SQLite's write lock was held by another writer for longer than the busy timeout."""
    orig = getattr(error, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY,
                                                         sqlite3.SQLITE_LOCKED)


def _resendable() -> list[tuple[str, str]] | None:
    """What the refused request posted, to send again as it was; None when there is nothing
    to send again or it holds a field that must not be written into a page."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.form:
        return None
    fields = [(name, value) for name, values in request.form.lists() for value in values]
    if any(NOT_RESENT.search(name) and name != "csrf_token" for name, _ in fields):
        return None
    return fields


def render_busy():
    """503 while another writer holds the database: nothing was done, and what was posted
    is on the page, in a form that sends it again."""
    g._login_user = AnonymousUserMixin()
    page = render_template("errors/busy.html", fields=_resendable(), action=request.path)
    return page, 503, {"Retry-After": str(BUSY_SECONDS)}


def _handle_database(error: OperationalError):
    if not is_busy(error):
        if current_app.testing or current_app.debug:
            raise error
        return _handle_unexpected(error)
    _rollback()
    log.warning("database busy: %s %s answered 503", request.method, request.endpoint)
    if request.endpoint == "sessions.autosave":  # The page keeps its typing and retries.
        return jsonify(status="busy"), 503
    return render_busy()


def _handle_http(error: HTTPException):
    _rollback()
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def _handle_csrf(_error: CSRFError):
    from tracker.transport import cookie_problem

    _rollback()
    return render_error(400, cookie_problem())


def _handle_undecryptable(error: DecryptionError):
    """A stored value that does not open in its row: a clear page, never a 500. The message
    names the column, the row's ids and the key, never the value."""
    _rollback()
    log.error("encrypted value not readable: %s", error)
    return render_error(409)


def _handle_unexpected(error: Exception):
    _rollback()
    # The type and where it happened, never the message: messages can contain submitted text.
    frames = traceback.extract_tb(error.__traceback__)[-5:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    log.error("unhandled %s at %s", type(error).__name__, where)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(DecryptionError, _handle_undecryptable)
    app.register_error_handler(OperationalError, _handle_database)
    app.register_error_handler(HTTPException, _handle_http)
    if not (app.debug or app.testing):  # In tests, a bug raises where it happened.
        app.register_error_handler(InternalServerError, _handle_unexpected)
        app.register_error_handler(Exception, _handle_unexpected)
