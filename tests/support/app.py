"""The app under test: app_config, app, db, client, runner, count_queries (flaskr's fixture
set, with Indico's query counter).

Each test runs against real transactions (views commit as in production) and every table is
emptied afterwards."""

from __future__ import annotations

import copy
import os
import shutil
from contextlib import contextmanager

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event

from tests.support.database import empty_tables
from tests.support.keys import TEST_ENCRYPTION_KEY
from tracker import create_app
from tracker.audit import checkpoints, queue
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


def default_config(database_url: str) -> dict:
    """The test configuration (a fresh copy each call)."""
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
        # Page views' events reach the chain with the view itself (through the queue, as in
        # production, in batches of one): tests read the trail right after a page.
        # tests/test_audit_batches.py runs the production batch.
        "AUDIT_VIEW_BATCH": 1,
    }


@pytest.fixture
def app_config(database_url):
    """The test configuration; a test may change it before asking for `app`."""
    return default_config(database_url)


def _environment() -> dict[str, str]:
    """What create_app reads from the environment, but for the per-test instance folder."""
    return {name: value for name, value in os.environ.items()
            if name.startswith(("TRACKER_", "FLASK_")) and name != "TRACKER_INSTANCE_PATH"}


def _new_app(config: dict):
    application = create_app(config)
    application.jinja_env.bytecode_cache = TEMPLATE_CODE
    return application


class SharedApp:
    """One app (and engine) per test process for every test that keeps the default
    configuration and environment: building an app (its URL map) and warming an engine
    (its compiled statements) is most of a short test's time. Between tests it is put back
    as it was made: its configuration, extensions and client class restored, the rate
    limiter's counters reset, and (as for every app) the tables emptied."""

    def __init__(self, database_url: str, instance: str):
        self.config = default_config(database_url)
        self.environment = _environment()
        previous = os.environ.get("TRACKER_INSTANCE_PATH")
        os.environ["TRACKER_INSTANCE_PATH"] = instance
        try:
            self.app = _new_app(self.config)
        finally:
            if previous is None:
                del os.environ["TRACKER_INSTANCE_PATH"]
            else:
                os.environ["TRACKER_INSTANCE_PATH"] = previous
        # Set up for good: Flask refuses routes and hooks added after the first request, so
        # no test can leave one behind on the shared app.
        self.app.test_client().get("/healthz")
        self.saved_config = copy.deepcopy(dict(self.app.config))
        self.saved_extensions = dict(self.app.extensions)
        self.saved_attributes = {name: getattr(self.app, name)
                                 for name in ("test_client_class", "test_cli_runner_class")}

    def fits(self, config: dict) -> bool:
        return config == self.config and _environment() == self.environment

    def reset(self) -> None:
        app = self.app
        app.config.clear()
        app.config.update(copy.deepcopy(self.saved_config))
        app.extensions.clear()
        app.extensions.update(self.saved_extensions)
        for name, value in self.saved_attributes.items():
            setattr(app, name, value)
        app.extensions["tracker.limiter"].reset()
        # The tables were emptied: so is the chain whose end the checkpoints recorded.
        checkpoints.file_path(app).unlink(missing_ok=True)
        shutil.rmtree(queue.folder(app), ignore_errors=True)


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    shared = SharedApp(database_url, str(tmp_path_factory.mktemp("instance")))
    yield shared
    shared.app.extensions["tracker.engine"].dispose()


@pytest.fixture
def app(app_config, shared_app, tmp_path, monkeypatch):
    """The app with `app_config`: the shared one for the default configuration, else a new
    one (disposed after the test)."""
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    shared = shared_app.fits(app_config)
    application = shared_app.app if shared else _new_app(app_config)
    try:
        yield application
    finally:
        engine = application.extensions["tracker.engine"]
        empty_tables(engine)
        if shared:
            shared_app.reset()
        else:
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
