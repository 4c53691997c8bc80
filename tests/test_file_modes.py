"""The live database is readable by its owner only (issue 14, item 7): the SQLite file and
its side files (-wal, -shm, -journal) 0600, the instance folder (keys, database) 0700; on
creation, and on every start, tightened when someone loosened them."""

from __future__ import annotations

import logging
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from tests.support.app import dispose
from tracker import create_app
from tracker.cli import init_command
from tracker.db import get_db

SIDE_FILES = ("-wal", "-shm", "-journal")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def permissive_umask():
    """A umask that leaves files world-readable, as on many servers (0022) and looser: a
    0600 file then proves the app asked for it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def write_something(application) -> None:
    with application.app_context():
        db = get_db()
        db.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        db.execute(text("INSERT INTO probe VALUES (1)"))
        db.commit()


def test_init_creates_the_instance_folder_and_database_for_their_owner_only(
        tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    with permissive_umask():
        result = CliRunner().invoke(init_command, [])
        assert result.exit_code == 0, result.output
        application = create_app()
        try:
            write_something(application)
            database = instance / "tracker.sqlite3"
            with application.app_context():  # A reader keeps the -wal and -shm in place.
                get_db().execute(text("SELECT count(*) FROM probe")).scalar()
                files = [database] + [Path(f"{database}{s}") for s in SIDE_FILES
                                      if Path(f"{database}{s}").exists()]
                assert Path(f"{database}-wal") in files
                assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            dispose(application)
    assert mode(instance) == 0o700
    assert mode(instance / "config.py") == 0o600


def test_every_start_tightens_a_database_and_folder_someone_loosened(
        tmp_path, app_config, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    database = instance / "tracker.sqlite3"
    config = {**app_config, "DATABASE_URL": f"sqlite:///{database}"}
    with permissive_umask():
        write_something(first := create_app(config))
        dispose(first)
        for path in [database, *(Path(f"{database}{s}") for s in SIDE_FILES)]:
            path.touch()
            path.chmod(0o644)
        instance.chmod(0o755)

        second = create_app(config)
        dispose(second)
    assert mode(instance) == 0o700
    assert {s: mode(Path(f"{database}{s}")) for s in ("", *SIDE_FILES)} == {
        s: 0o600 for s in ("", *SIDE_FILES)}


def test_a_folder_the_app_cannot_tighten_is_a_warning_not_a_failure(
        tmp_path, app_config, monkeypatch, caplog):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    database = instance / "tracker.sqlite3"

    def not_the_owner(path, *_args, **_kwargs):
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "chmod", not_the_owner)
    with caplog.at_level(logging.WARNING):
        application = create_app({**app_config, "DATABASE_URL": f"sqlite:///{database}"})
        write_something(application)  # Starts and works.
        dispose(application)
    assert "readable by other accounts" in caplog.text and str(instance) in caplog.text
    assert mode(instance) == 0o755
