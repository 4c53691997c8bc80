"""Database behaviour: SQLite settings, locking between processes, migrations."""

import multiprocessing
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from tracker import migrate
from tracker.db import Base, make_engine


@pytest.fixture
def sqlite_url(tmp_path):
    """SQLite behaviour is tested on its own file, also in the PostgreSQL leg."""
    url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def test_sqlite_pragmas(sqlite_url):
    database_url = sqlite_url
    engine = make_engine(database_url, busy_timeout_ms=4321)
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("foreign_keys") == 1
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") == 4321
    engine.dispose()


def test_foreign_keys_are_enforced(db):
    from sqlalchemy.exc import IntegrityError

    from tracker.models import Patient

    db.add(Patient(therapist_id=987654, display_name="Nobody", name_key="nobody"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def _read_then_write(url: str, worker: int, rounds: int, queue) -> None:
    """Each round reads, then writes in the same transaction: the pattern that deadlocks
    SQLite when two processes both hold a read lock and both want to write."""
    engine = make_engine(url, busy_timeout_ms=10_000)
    errors = 0
    for number in range(rounds):
        try:
            with engine.begin() as connection:
                connection.execute(text("SELECT count(*) FROM lock_probe")).scalar()
                time.sleep(0.002)  # Widen the window in which the other process writes.
                connection.execute(
                    text("INSERT INTO lock_probe (worker, n) VALUES (:w, :n)"),
                    {"w": worker, "n": number},
                )
        except Exception:  # noqa: BLE001
            errors += 1
    engine.dispose()
    queue.put(errors)


def test_two_processes_writing_never_deadlock(sqlite_url):
    database_url = sqlite_url
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE lock_probe (worker INTEGER, n INTEGER)"))
    try:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        rounds = 100
        workers = [
            context.Process(target=_read_then_write, args=(database_url, w, rounds, queue))
            for w in range(2)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join(timeout=120)
        assert [queue.get(timeout=5) for _ in workers] == [0, 0]
        with engine.connect() as connection:
            total = connection.execute(text("SELECT count(*) FROM lock_probe")).scalar()
        assert total == 2 * rounds
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": migrate.include_object})
        assert compare_metadata(context, Base.metadata) == []
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_migrations_downgrade_and_upgrade_again(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate.downgrade(engine, "base")
    with engine.connect() as connection:
        tables = connection.execute(
            select(func.count())
            .select_from(text("sqlite_master"))
            .where(text("type = 'table' AND name NOT LIKE 'alembic%'"))
        ).scalar()
    assert tables == 0
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_lazy_loading_raises_in_tests(db, make_user):
    from sqlalchemy.exc import InvalidRequestError

    from tracker.models import User

    user_id = make_user().id
    user = db.get(User, user_id)
    with pytest.raises(InvalidRequestError):
        _ = user.patients
