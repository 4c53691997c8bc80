"""The test database: created by the migrations once per run (on SQLite, or on the PostgreSQL
server named by TRACKER_TEST_DATABASE_URL), emptied after every test; scratch databases of
their own for the tests that need one; reading it back (rows, counts, snapshots)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tracker import migrate
from tracker.db import Base, get_db, make_engine

# Tables that record what happened (audit events, login sessions): a refused request may
# still add to them by design, so "nothing changed" snapshots leave them out.
RECORD_KEEPING_TABLES = frozenset({"audit_events", "audit_subjects", "audit_head",
                                   "login_sessions"})


def postgres_database(url: str):
    """Create a uniquely named database on the PostgreSQL server of `url`; returns (its URL,
    a function that drops it). Raises when the server cannot be reached."""
    server = make_url(url)
    name = f"tracker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        raise

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def _postgres_or_exit(url: str):
    """The suite's own databases: fail the whole run (never skip) when the server named by
    TRACKER_TEST_DATABASE_URL cannot be used."""
    try:
        return postgres_database(url)
    except Exception as error:  # noqa: BLE001
        pytest.exit(
            f"TRACKER_TEST_DATABASE_URL is set but unusable: {type(error).__name__}: {error}",
            returncode=3,
        )


def drop_append_only_triggers(engine) -> None:
    """The shared test database is emptied between tests, which the audit trail's
    append-only triggers refuse; they are tested on a database of their own (test_audit)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_subjects_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_subjects_no_delete")
        else:
            connection.exec_driver_sql(
                "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
            connection.exec_driver_sql(
                "DROP TRIGGER IF EXISTS audit_subjects_append_only ON audit_subjects")


def empty_tables(engine) -> None:
    """Delete every row (children first), leaving the schema."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if server_url:
        url, drop = _postgres_or_exit(server_url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        drop = None
    engine = make_engine(url)
    migrate.upgrade(engine)
    drop_append_only_triggers(engine)
    engine.dispose()
    yield url
    if drop:
        drop()


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own (on the PostgreSQL server too when the suite runs there)."""
    server = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if server:
        url, drop = _postgres_or_exit(server)
    else:
        url, drop = f"sqlite:///{tmp_path / 'scratch.sqlite3'}", None
    yield url
    if drop:
        drop()


@contextmanager
def database(app):
    """A database session in its own app context, for tests that also make requests.

    (The `db` fixture keeps an app context pushed for the whole test: requests made
    meanwhile would share its `g`, hence its database session and CSRF token.)"""
    with app.app_context():
        yield get_db()


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(app) -> dict[str, list[str]]:
    """Every row of every table but the record-keeping ones, to prove that a refused request
    changed nothing."""
    with database(app) as db:
        return {
            table.name: sorted(repr(tuple(row)) for row in db.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name not in RECORD_KEEPING_TABLES
        }
