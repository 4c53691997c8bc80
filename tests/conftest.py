"""Fixtures: app, db, client, runner, login_as, make_user, count_queries.

The schema is created once per run by the Alembic migrations. Each test then runs against
real transactions (views commit as in production) and every table is emptied afterwards.
The suite runs on SQLite by default and on PostgreSQL when TRACKER_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from tracker import create_app, migrate
from tracker.auth import services as accounts
from tracker.db import Base, get_db, make_engine
from tracker.models import User
from tracker.patients import services as patient_services


class BytecodeCacheInMemory(BytecodeCache):
    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


# Templates compiled once per run, not once per app (most of a page test's time otherwise).
_TEMPLATE_CODE = BytecodeCacheInMemory()
TEST_PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _postgres_database(url: str):
    """Create a uniquely named database on the server of `url`; fail (never skip) if the
    server cannot be reached."""
    server = make_url(url)
    name = f"tracker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        pytest.exit(
            f"TRACKER_TEST_DATABASE_URL is set but unusable: {type(error).__name__}: {error}",
            returncode=3,
        )

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


# Tables that record what happened (audit events, login sessions): a refused request may
# still add to them by design, so "nothing changed" snapshots leave them out.
RECORD_KEEPING_TABLES = frozenset({"audit_events", "audit_head", "login_sessions"})


def drop_append_only_triggers(engine) -> None:
    """The shared test database is emptied between tests, which the audit trail's
    append-only triggers refuse; they are tested on a database of their own (test_audit)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        else:
            connection.exec_driver_sql(
                "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if server_url:
        url, drop = _postgres_database(server_url)
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
def app_config(database_url, tmp_path):
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
        # Private notes are encrypted at rest (tracker/crypto.py); a fixed test-only key.
        "ENCRYPTION_KEYS": {"test": "EulqDXXqXqvkJEWoeoMCBZiww8NDEO8GpGdwjrf8Kfw="},
        "ENCRYPTION_KEY_ID": "test",
    }


@pytest.fixture
def app(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config)
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    yield application
    engine = application.extensions["tracker.engine"]
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
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


def csrf_token(client, path: str) -> str:
    """Read the CSRF token from a rendered form, as a browser would submit it."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token in {path} ({response.status_code})"
    return match.group(1)


def post_form(
    client, path: str, data: dict | None = None, *, form_path: str | None = None, **kwargs
):
    """POST like a browser: with the CSRF token from the page that holds the form."""
    payload = {"csrf_token": csrf_token(client, form_path or path), **(data or {})}
    return client.post(path, data=payload, **kwargs)


def add_patient(app, owner, display_name="Maya Okafor", *, archived=False, **fields) -> int:
    """Create a patient directly through the service; returns its id."""
    data = {
        **dict.fromkeys(patient_services.PATIENT_FIELDS),
        "treatment_intentions": "",
        **fields,
        "display_name": display_name,
    }
    with app.app_context():
        db = get_db()
        patient = patient_services.create_patient(db, db.get(User, owner.id), data)
        if archived:
            patient_services.set_archived(db, patient, True)
        db.commit()
        return patient.id


@pytest.fixture
def make_user(app):
    def make(
        email="therapist@example.org", name="Test Therapist", password=TEST_PASSWORD, **options
    ) -> User:
        with app.app_context():
            db = get_db()
            user = accounts.create_user(db, email=email, name=name, password=password, **options)
            db.commit()
            return user

    return make


@pytest.fixture
def login_as(app):
    """Sign a test client in through the real login form (and its code step, computed from
    the stored secret, when the account has two-factor login). Returns the client."""

    def unused_code(user_id: int) -> str:
        """A current TOTP code of a step the account has not used yet."""
        import time

        import pyotp

        with app.app_context():
            account = get_db().get(User, user_id)
            secret, last_step = account.totp_secret, account.totp_last_step
        while True:
            now = int(time.time()) // 30
            for step in (now, now + 1):  # The next step's code is accepted too (drift).
                if last_step is None or step > last_step:
                    return pyotp.TOTP(secret).at(step * 30)
            time.sleep(30 - time.time() % 30 + 0.05)

    def login(user: User, password: str = TEST_PASSWORD, client=None):
        client = client or app.test_client()
        response = post_form(client, "/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        if response.headers["Location"].startswith("/login/code"):
            response = post_form(client, response.headers["Location"],
                                 {"code": unused_code(user.id)})
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


@pytest.fixture
def therapist(make_user):
    return make_user()


@pytest.fixture
def therapist_client(login_as, therapist, client):
    return login_as(therapist, client=client)


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


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own (on the PostgreSQL server too when the suite runs there)."""
    server = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if server:
        url, drop = _postgres_database(server)
    else:
        url, drop = f"sqlite:///{tmp_path / 'scratch.sqlite3'}", None
    yield url
    if drop:
        drop()
