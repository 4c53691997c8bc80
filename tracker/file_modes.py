"""Files that hold records or keys are for the account that runs the app only: the instance
folder 0700, the SQLite database and its side files (-wal, -shm, -journal) 0600, like
config.py and backups. Set when they are created, and checked on every start: a mode looser
than that is tightened, or, when this account may not change it (it does not own the file),
logged as a warning so that the operator fixes it; the app still starts.

A side file left read-only is made writable again (restore_side_files): SQLite gives the
-wal and -shm the database file's mode, so a connection that opened a database made 0444
creates them 0444 and, being read-only, cannot remove them; once the database was writable
again every write still failed on them (issue 15, item 6)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def tighten(path: Path, allowed: int) -> None:
    """Take away every permission of `path` outside `allowed` (never adds any)."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~allowed == 0:
        return
    try:
        os.chmod(path, current & allowed)
    except OSError as error:
        log.warning("%s is readable by other accounts (mode %04o) and could not be changed "
                    "to %04o (%s): make the account that runs the app its owner, or run "
                    "`chmod %o %s`.", path, current, current & allowed, error.strerror,
                    current & allowed, path)


def can_write(path: Path) -> bool:
    """Whether this process may write `path` (its effective account, as SQLite opens it)."""
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


def restore_side_files(database: str | Path) -> None:
    """The database's -wal, -shm and -journal that this account owns but may not write, made
    0600 again when the database itself may be written (one made read-only on purpose keeps
    them as they are)."""
    path = Path(database)
    if not can_write(path):
        return
    for name in SQLITE_SIDE_FILES:
        side = Path(f"{path}{name}")
        try:
            info = side.stat()
        except FileNotFoundError:
            continue
        if info.st_uid != os.geteuid() or info.st_mode & stat.S_IWUSR:
            continue
        try:
            os.chmod(side, FILE_MODE)
        except OSError as error:
            log.warning("%s cannot be written, and its mode could not be changed (%s).",
                        side, error.strerror)
            continue
        log.warning("%s had been left read-only (mode %04o), so no write could succeed: "
                    "made %04o again.", side, stat.S_IMODE(info.st_mode), FILE_MODE)


def secure_folder(path: str | Path) -> None:
    """The instance folder, made if missing: 0700."""
    folder = Path(path)
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as error:
        log.warning("The folder %s could not be created (%s).", folder, error.strerror)
        return
    tighten(folder, FOLDER_MODE)


def secure_sqlite(database: str | Path) -> None:
    """The database file, created empty with mode 0600 when missing (SQLite gives its -wal,
    -shm and -journal files the database file's mode), and every one of them tightened."""
    path = Path(database)
    if not path.exists() and path.parent.is_dir():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:
            pass  # Another process made it meanwhile: tightened below.
        except OSError as error:
            log.warning("The database %s could not be created (%s).", path, error.strerror)
    for name in ("", *SQLITE_SIDE_FILES):
        tighten(Path(f"{path}{name}"), FILE_MODE)
    restore_side_files(path)


def sqlite_file(url) -> str | None:
    """The file of a SQLite URL (None for another database, or one in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def sync(path: str | Path) -> None:
    """fsync a file or a folder by name (a folder: so that a file created or renamed in it
    is there after a crash)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
