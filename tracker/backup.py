"""Online backup and restore of the app's database, as functions of a database URL and a path.

SQLite goes through its backup API (a consistent copy of a live database, read in steps that
never block the app's writers: the app runs in WAL mode); PostgreSQL through pg_dump's
custom format and pg_restore. Backup files are created private (mode 0600) and appear under
their name only once complete. Passwords never reach a command line or a message: libpq
reads them from PGPASSWORD.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from tracker import file_modes
from tracker.migrate import OUTSIDE_MODELS_TABLE_PREFIX

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
PAGES_PER_STEP = 256  # 1 MiB at SQLite's default page size.
MAX_RESTARTS = 5  # A write restarts a stepped copy; after this many, copy in one read.
# Connection parameters libpq accepts in a conninfo string (the URL's query may carry them).
_LIBPQ_QUERY_KEYS = frozenset({
    "host", "hostaddr", "port", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl",
    "sslpassword", "connect_timeout", "application_name", "options", "target_session_attrs",
    "gssencmode", "channel_binding", "service", "passfile",
})


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """The backup or restore could not be made; the message is safe to show."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    size: int
    seconds: float


def backup(url: str | URL, path: str | os.PathLike, *,
           pages_per_step: int = PAGES_PER_STEP) -> Outcome:
    """Write a consistent backup of the database at `url` to `path` (a new file, 0600)."""
    url = make_url(url)
    target = Path(path)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    started = time.monotonic()
    _remove(partial)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial, pages_per_step)
        elif url.get_backend_name() == "postgresql":
            _pg_dump(url, partial)
        else:
            raise BackupError(f"No backup method for {url.get_backend_name()} databases.")
        file_modes.sync(partial)
        os.replace(partial, target)
    finally:
        _remove(partial)
    return Outcome(target, target.stat().st_size, time.monotonic() - started)


def restore(url: str | URL, path: str | os.PathLike, *, force: bool = False) -> Outcome:
    """Bring the backup at `path` back into the database at `url`. A database that holds
    any row is refused unless `force` (its contents are then replaced)."""
    url = make_url(url)
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    kind = backup_kind(source)
    backend = url.get_backend_name()
    if kind is None or kind != backend:
        found = f"a {NAMES[kind]} backup" if kind else "not a backup this app wrote"
        raise BackupError(f"{source} is {found}; the configured database is "
                          f"{NAMES.get(backend, backend)}.")
    if not force and not is_empty(url):
        raise BackupError("The configured database is not empty; restoring would replace "
                          "its contents. Use --force to do so.")
    started = time.monotonic()
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _pg_restore(url, source)
    return Outcome(source, source.stat().st_size, time.monotonic() - started)


def backup_kind(path: Path) -> str | None:
    """"sqlite" or "postgresql" by the file's signature, or None."""
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def is_empty(url: str | URL) -> bool:
    """True when no table of the database holds a row (the migrations' own bookkeeping,
    alembic_version, does not count: `flask init` on a new database leaves only that; nor
    does the full-text index's, which follows the tables it indexes)."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as connection:
            return not any(
                connection.scalar(select(func.count()).select_from(table))
                for name, table in metadata.tables.items()
                if name != "alembic_version"
                and not name.startswith(OUTSIDE_MODELS_TABLE_PREFIX))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BackupError(f"Cannot read the configured database: {reason}") from error
    finally:
        engine.dispose()


def describe(url: str | URL) -> str:
    """The URL for messages, without its password."""
    return make_url(url).render_as_string(hide_password=True)


# SQLite ---------------------------------------------------------------------------------


class _Restarted(Exception):
    pass


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(url.database)


def _sqlite_backup(source: Path, destination: Path, pages_per_step: int) -> None:
    if not source.is_file():
        raise BackupError(f"No SQLite database at {source}.")
    _create_private(destination)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        try:
            # Between steps the source is unlocked; a write by another connection makes
            # the copy start again. Under a steady stream of writes, finish in one read
            # transaction instead: in WAL mode it blocks no writer either.
            src.backup(dst, pages=max(1, pages_per_step), progress=_restart_counter())
        except _Restarted:
            src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")  # One self-contained file.
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("The copy failed its integrity check; nothing was written.")
    finally:
        dst.close()
        src.close()


def _restart_counter():
    """A progress callback that gives up on stepping after MAX_RESTARTS steps that gained no
    ground (the copy restarted after a write, or the source was busy)."""
    state = {"remaining": None, "stalls": 0}

    def progress(_status, remaining, _total):
        if state["remaining"] is not None and remaining >= state["remaining"]:
            state["stalls"] += 1
            if state["stalls"] > MAX_RESTARTS:
                raise _Restarted()
        state["remaining"] = remaining

    return progress


def _sqlite_restore(source: Path, target: Path) -> None:
    if not target.exists():
        _create_private(target)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} fails SQLite's integrity check; nothing was restored.")
        src.backup(dst, pages=PAGES_PER_STEP)  # The target stays write-locked throughout.
    except sqlite3.DatabaseError as error:
        raise BackupError(f"SQLite could not restore {source}: {error}") from error
    finally:
        dst.close()
        src.close()


# PostgreSQL -----------------------------------------------------------------------------


def pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq conninfo string without the password, and the environment that carries it."""
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key, value in url.query.items():
        if key in _LIBPQ_QUERY_KEYS:
            params[key] = value if isinstance(value, str) else value[-1]
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items()
                        if value not in (None, ""))
    env = {**os.environ}
    env.pop("PGPASSWORD", None)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _conninfo_value(value) -> str:
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH (install the PostgreSQL client, "
                          "of the server's major version or newer).")
    return found


def _pg_dump(url: URL, destination: Path) -> None:
    conninfo, env = pg_connection(url)
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--dbname={conninfo}"],
             env, stdout=out)


def _pg_restore(url: URL, source: Path) -> None:
    conninfo, env = pg_connection(url)
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--no-password", f"--dbname={conninfo}", str(source)], env, stdout=subprocess.DEVNULL)


def _run(command: list[str], env: dict[str, str], *, stdout) -> None:
    result = subprocess.run(command, env=env, stdout=stdout, stderr=subprocess.PIPE,  # noqa: S603
                            check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {message}")


# Files ----------------------------------------------------------------------------------


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal"),
                     path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
