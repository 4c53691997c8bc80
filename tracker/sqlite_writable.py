"""A SQLite database that cannot be written (issue 15, item 6): reported, refused clearly, and
recovered from by itself once its files can be written again.

Made read-only (0444) and writable again, the database stayed broken: connections opened
meanwhile open the file read-only and keep it so in the pool, and they leave its -wal and
-shm read-only behind them (tracker/file_modes.py, restore_side_files). Now, per app:

- /healthz asks `writable(app)`: a few stat calls, no write. The database file, its side
  files and its folder (where SQLite makes the -wal and -shm) must be writable by this
  account; a side file left read-only that this account owns is made 0600 again first.
- Before each new connection the side files are put right the same way; a connection opened
  while something could not be written is marked, and replaced at its next checkout once
  everything can be written again (reads went on through it meanwhile).
- A write refused as read-only raises DatabaseReadOnly (an OperationalError), answered 503:
  the database cannot be written, nothing was saved (in a view, or after it: a record view
  whose audit event cannot be written is not shown). Every pooled connection is discarded
  (the next request opens fresh ones), and the log says which file and exactly what to do.
"""

from __future__ import annotations

import logging
import os
import pwd
import sqlite3
import stat
from pathlib import Path

from flask import Flask, g, render_template
from flask_login import AnonymousUserMixin
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import InternalServerError

from tracker import file_modes
from tracker.db import release

log = logging.getLogger(__name__)

OPENED_READ_ONLY = "tracker.opened_read_only"  # In a pooled connection's info.
TITLE = "The database cannot be written"
MESSAGE = ("The database cannot be written at the moment. Nothing was saved. Tell your "
           "administrator: the application log names the file and how to put it right.")


class DatabaseReadOnly(OperationalError):
    """A write refused because the SQLite database, or one of its side files, cannot be
    written."""


def _account(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _advice(path: Path, wanted: int) -> str:
    """What keeps this account from writing `path`, and the command that puts it right."""
    try:
        info, system = path.stat(), os.statvfs(path)
    except OSError as error:
        return f"{path} cannot be written ({error.strerror})"
    if system.f_flag & os.ST_RDONLY:
        return f"{path} is on a file system mounted read-only: mount it read-write"
    me = os.geteuid()
    if info.st_uid != me:
        return (f"{path} belongs to {_account(info.st_uid)}, not to the account that runs the "
                f"app ({_account(me)}): run `chown {_account(me)} {path}` as root")
    return (f"{path} has mode {stat.S_IMODE(info.st_mode):04o}, which does not let the app "
            f"write it: run `chmod {wanted:o} {path}`")


def problem(database: Path) -> str | None:
    """Why this account cannot write the database (the first file that it may not write,
    and what to do), or None."""
    for name in ("", *file_modes.SQLITE_SIDE_FILES):
        path = Path(f"{database}{name}")
        if path.exists() and not file_modes.can_write(path):
            return _advice(path, file_modes.FILE_MODE)
    if not file_modes.can_write(database.parent):  # SQLite makes the -wal and -shm there.
        return _advice(database.parent, file_modes.FOLDER_MODE)
    return None


def _is_read_only(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY")
        or "readonly database" in str(error))


class Watch:
    """The database file of one app's engine, and what was last reported of it."""

    def __init__(self, engine: Engine, database: str):
        self.database = Path(database)
        self.reported: str | None = None
        event.listen(engine, "do_connect", self._before_connect)
        event.listen(engine, "connect", self._connected)
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "handle_error", self._failed)

    def check(self) -> str | None:
        """Put right what this account may (side files), then what still stands in the way
        of a write; a new finding is logged once, not on every poll."""
        file_modes.restore_side_files(self.database)
        found = problem(self.database)
        if found != self.reported:
            if found:
                log.warning("The database cannot be written: %s.", found)
            else:
                log.info("The database %s can be written again.", self.database)
            self.reported = found
        return found

    def _before_connect(self, _dialect, _record, _args, _params) -> None:
        file_modes.restore_side_files(self.database)

    def _connected(self, _dbapi_connection, record) -> None:
        # SQLite opens a file it may not write read-only, for good: mark the connection.
        if problem(self.database):
            record.info[OPENED_READ_ONLY] = True

    def _checkout(self, _dbapi_connection, record, _proxy) -> None:
        if record.info.get(OPENED_READ_ONLY) and self.check() is None:
            raise DisconnectionError("opened while the database could not be written")

    def _failed(self, context):
        if not _is_read_only(context.original_exception):
            return None
        context.is_disconnect = True  # Discard it and every pooled connection.
        found = self.check()
        log.error("A write was refused, the database being read-only: %s.",
                  found or "its files can be written now; the connections are renewed")
        return DatabaseReadOnly(context.statement, None, context.original_exception,
                                hide_parameters=True, connection_invalidated=True)


def writable(app: Flask) -> bool:
    """Whether the app's database can be written (always, for a database that is not a
    SQLite file: PostgreSQL answers for itself)."""
    watch = app.extensions.get("tracker.sqlite_writable")
    return watch is None or watch.check() is None


def _refused(_error: DatabaseReadOnly):
    db = g.get("db")
    if db is not None:
        release(db, close=False)
    g._login_user = AnonymousUserMixin()  # The page must not need the database.
    return render_template("errors/error.html", code=503, title=TITLE, message=MESSAGE), 503


def _refused_after_the_view(previous):
    """A write refused after the view (the audit trail's view event, written in
    after_request) reaches Flask as an InternalServerError: answered as any other refused
    write; every other one as before (tracker/errors.py)."""

    def handle(error: InternalServerError):
        if isinstance(error.original_exception, DatabaseReadOnly):
            return _refused(error.original_exception)
        return previous(error)

    return handle


def init_app(app: Flask) -> None:
    """After errors.init_app: the 500 handler it registers is kept for every other error."""
    engine = app.extensions["tracker.engine"]
    database = file_modes.sqlite_file(engine.url)
    if database:
        app.extensions["tracker.sqlite_writable"] = Watch(engine, database)
    app.register_error_handler(DatabaseReadOnly, _refused)
    previous = app.error_handler_spec.get(None, {}).get(500, {}).get(InternalServerError)
    if previous is not None:  # None in debug and testing, where errors are raised.
        app.register_error_handler(InternalServerError, _refused_after_the_view(previous))
