"""Alembic, driven from the app: the only way the schema is created or changed.

Alembic (and Mako and Pygments with it, about 10 MiB) is imported by the functions that use
it, never with this module: the commands import this module, and every app server worker
would otherwise carry it (tests/test_imports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Made by the migrations for one database only, and not in the models: the full-text index
# (an FTS5 table and its shadow tables on SQLite, a tsvector column on PostgreSQL).
OUTSIDE_MODELS_TABLE_PREFIX = "search_fts"
OUTSIDE_MODELS = {("column", "tsv"), ("index", "ix_search_documents_tsv")}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For comparing the database with the models (autogenerate, and the test of it)."""
    if type_ == "table" and name and name.startswith(OUTSIDE_MODELS_TABLE_PREFIX):
        return False
    return (type_, name) not in OUTSIDE_MODELS


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """To the latest revision ("heads": features developed side by side may each add a
    revision on the same parent; a merge revision joins them later)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    """The latest revision(s), comma-separated when there are several heads."""
    from alembic.script import ScriptDirectory

    return ",".join(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())) or None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None
