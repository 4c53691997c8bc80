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


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run_migrations_online()
