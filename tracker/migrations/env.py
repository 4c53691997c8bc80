"""Alembic environment. The engine comes from the app (tracker.migrate), or, when the
`alembic` command is used directly, from create_app() and its configuration."""

from alembic import context

from tracker.db import Base
from tracker.migrate import include_object
from tracker.models import __all__ as _models  # noqa: F401  (fills Base.metadata)

config = context.config


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from tracker import create_app

    app = create_app()
    return app.extensions["tracker.engine"]


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """Switched outside any transaction (inside one the pragma does nothing)."""
    if connection.in_transaction():
        connection.rollback()  # Only reads of Alembic's own are left open here.
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys = {int(on)}")


def _check_foreign_keys(ctx, **_step) -> None:
    """After each migration, before it commits: no row may have lost its parent row."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise RuntimeError(f"The migration left rows without their parent row in: {tables}.")


def run_migrations_online() -> None:
    """On SQLite, foreign keys are off while the migrations run, and checked after each
    one: batch mode changes a table by rebuilding it (tracker/migrations/checks.py), and
    dropping the old copy with foreign keys on fails for a table that other rows refer to,
    or deletes what refers to it ON DELETE CASCADE (SQLite's own procedure for altering a
    table, https://www.sqlite.org/lang_altertable.html, does the same)."""
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=include_object,
            on_version_apply=[_check_foreign_keys] if sqlite else [],
        )
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run_migrations_online()
