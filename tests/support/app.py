"""The app under test: app_config, app, db, client, runner, count_queries (flaskr's fixture
set, with Indico's query counter).

Each test runs against real transactions (views commit as in production) and every table is
emptied afterwards."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event

from tests.support.database import empty_tables
from tests.support.keys import TEST_ENCRYPTION_KEY
from tracker import create_app
from tracker.db import get_db


class BytecodeCacheInMemory(BytecodeCache):
    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


# Templates compiled once per run, not once per app (most of a page test's time otherwise).
TEMPLATE_CODE = BytecodeCacheInMemory()


@pytest.fixture
def app_config(database_url):
    """The test configuration; a test may change it before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "AUDIT_KEY": "test-audit-key-0123456789abcdef0123456789abcdef",
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": False,
        "RAISE_ON_LAZY_LOAD": True,
        # Cheap hashing in tests only.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "ENCRYPTION_KEYS": {"test": TEST_ENCRYPTION_KEY},
        "ENCRYPTION_KEY_ID": "test",
    }


@pytest.fixture
def app(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config)
    application.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield application
    engine = application.extensions["tracker.engine"]
    empty_tables(engine)
    engine.dispose()


@pytest.fixture
def db(app):
    with app.app_context():
        yield get_db()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def count_queries(app):
    """Counts SQL statements run inside the block: `with count_queries() as counter:`."""

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        engine = app.extensions["tracker.engine"]
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def dispose(*apps) -> None:
    """Close the connections of apps a test made itself (other configurations)."""
    for application in apps:
        application.extensions["tracker.engine"].dispose()
