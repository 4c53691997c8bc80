"""Database plumbing: the declarative Base, one engine per app, one Session per request."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, raiseload, sessionmaker
from sqlalchemy.types import TypeDecorator

from tracker import file_modes

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values) -> str:
    """The SQL of a check constraint that holds `column` to `values` (the models' registries;
    the migrations build the same text with it, so the two can be compared)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def utcnow() -> datetime:
    """Timestamp default: aware UTC, called per row (never evaluated at import)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back an aware UTC datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(app.instance_path) / 'tracker.sqlite3'}"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets the pragmas and locking the app relies on.

    hide_parameters keeps bound values (clinical text) out of exception messages and logs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": busy_timeout_ms / 1000}
        )
        database = file_modes.sqlite_file(engine.url)
        if database:
            # Created 0600 before SQLite opens it (its -wal, -shm and -journal files take the
            # database file's mode), and tightened on every start.
            file_modes.secure_sqlite(database)
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the driver so that we can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A transaction that may write takes the write lock up front: a deferred transaction
        # that reads and then writes can fail at once with SQLITE_BUSY when another process
        # wrote in between (the busy timeout cannot help there); taking the lock first means
        # a second writer simply waits instead of deadlocking. Read-only work (the requests
        # of safe methods, see get_db) begins DEFERRED and blocks nobody.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    engine = make_engine(
        database_url(app),
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        echo=app.config["SQL_ECHO"],
    )
    app.extensions["tracker.engine"] = engine
    app.extensions["tracker.read_engine"] = engine.execution_options(sqlite_begin="DEFERRED")
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    if app.config["RAISE_ON_LAZY_LOAD"]:
        event.listen(factory, "do_orm_execute", _forbid_lazy_loads)
    app.extensions["tracker.sessionmaker"] = factory
    app.teardown_appcontext(_close_db)


def _forbid_lazy_loads(state) -> None:
    """Tests: a relationship not loaded explicitly (selectinload/joinedload) raises instead of
    quietly costing one query per row."""
    if state.is_select and not (state.is_column_load or state.is_relationship_load):
        state.statement = state.statement.options(raiseload("*"))


def get_engine() -> Engine:
    return current_app.extensions["tracker.engine"]


def get_read_engine() -> Engine:
    """The engine for read-only work: on SQLite its transactions take no write lock."""
    return current_app.extensions["tracker.read_engine"]


def reads_only() -> bool:
    """Whether this is a request of a safe method (GET, HEAD, OPTIONS): it only reads."""
    return has_request_context() and request.method in SAFE_METHODS


def get_db() -> Session:
    """The SQLAlchemy Session of the current request or CLI command (created on first use).

    Requests of safe methods read only: on SQLite their transaction begins DEFERRED, so that
    reading pages never waits for, or blocks, a writer."""
    if "db" not in g:
        factory = current_app.extensions["tracker.sessionmaker"]
        g.db = factory(bind=get_read_engine()) if reads_only() else factory()
    return g.db


def release(db: Session, *, close: bool = True) -> None:
    """Roll back (and close: the connection goes back to the pool), even when the connection
    has died under the request (a restarted PostgreSQL, a killed backend): then it is
    discarded, the pool opens a fresh one for the next request (pool_pre_ping), and the log
    names the error by its type, never its SQL."""
    try:
        # close() rolls back too, and leaves loaded objects as they are (detached).
        db.close() if close else db.rollback()
    except DBAPIError as error:
        logging.getLogger(__name__).warning(
            "database connection lost (%s); discarded", type(error.orig).__name__)
        with contextlib.suppress(DBAPIError):  # Nothing left to close.
            db.invalidate()


def _close_db(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        release(db)
