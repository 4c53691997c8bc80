"""A SQLite database that cannot be written (issue 15, item 6): made read-only (0444) and
writable again (0600), it stayed broken. Connections opened meanwhile open the file read-only
and stay so in the pool, and they create the -wal and -shm files with the database file's
mode (0444) and cannot remove them, so that after `chmod 600` every write still failed with
"attempt to write a readonly database" (answered 500), also in a new process, until someone
removed the -shm by hand. /healthz said "ok" throughout.

A real gunicorn server on a file database, the test changing the file's mode from outside as
an operator would. File modes bind an ordinary service account; the tests may run as root,
whom they do not bind (root writes a 0444 file), so there the server is started through
`setpriv` without the capabilities that let root ignore file modes and ownership
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER): it then meets the modes of the files it
owns exactly as the service account meets them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browser import Browser
from tests.support.server import app_of_served_database, server_environment, serving
from tests.support.services import unavailable
from tests.support.users import TEST_PASSWORD
from tracker import migrate
from tracker.auth import services as accounts
from tracker.db import get_db, make_engine

EMAIL = "rivera@example.org"
SIDE_FILES = ("-wal", "-shm")


def bound_by_file_modes() -> tuple[str, ...]:
    """The command prefix under which file modes bind a server as they bind its own account
    (none needed unless this is root)."""
    if os.geteuid() != 0:
        return ()
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner")
    if shutil.which("setpriv") is None or subprocess.run([*prefix, "true"]).returncode:
        unavailable("running as root, and setpriv cannot drop the capability to ignore "
                    "file modes", "the read-only database test")
    return prefix


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def side_file_modes(database: Path) -> dict[str, int]:
    return {name: mode(Path(f"{database}{name}")) for name in SIDE_FILES
            if Path(f"{database}{name}").exists()}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder with a migrated SQLite database holding one account."""
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(folder))
    url = f"sqlite:///{folder / 'tracker.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = app_of_served_database(url)
    with app.app_context():
        accounts.create_user(get_db(), email=EMAIL, name="Dr Rivera", password=TEST_PASSWORD)
        get_db().commit()
    app.extensions["tracker.engine"].dispose()
    return folder


def served(folder: Path):
    env = server_environment(folder, f"sqlite:///{folder / 'tracker.sqlite3'}",
                             SESSION_COOKIE_SECURE="false", GUNICORN_WORKERS="1")
    return serving(env, prefix=bound_by_file_modes(), unhealthy=True)


def health(browser: Browser) -> tuple[int, dict]:
    status, _location, body = browser.request("/healthz")
    return status, json.loads(body)


def sign_in_form(browser: Browser) -> dict:
    return {"csrf_token": browser.token("/login"), "email": EMAIL, "password": TEST_PASSWORD}


def test_a_database_made_read_only_and_writable_again_recovers_by_itself(instance):
    database = instance / "tracker.sqlite3"
    # Read-only when the server starts (or a worker is recycled): its connections open the
    # file read-only.
    database.chmod(0o444)
    with served(instance) as server:
        browser = Browser(server)
        status, answer = health(browser)
        assert (status, answer["status"], answer["database"]) == (503, "error", "read-only")
        assert browser.request("/login")[0] == 200  # Reading goes on.
        # Those connections made the side files with the database file's mode (0400: the
        # start took away what others could read).
        assert side_file_modes(database) == {"-wal": 0o400, "-shm": 0o400}

        database.chmod(0o600)  # The operator puts it back; nobody removes any file.
        status, answer = health(browser)
        assert (status, answer["status"], answer["database"]) == (200, "ok", "ok")
        # The first write succeeds: the read-only connections were replaced.
        assert browser.sign_in(EMAIL, TEST_PASSWORD) == 302
        assert browser.request("/patients/")[0] == 200
        assert side_file_modes(database) == {"-wal": 0o600, "-shm": 0o600}


def test_a_write_refused_as_read_only_is_a_clear_503_and_the_log_says_what_to_do(
        instance, capsys):
    """A sign-in, and a record view, answered 500 before. A view is still shown: its audit
    event waits in the queue (tracker/audit/queue.py) until the database takes it."""
    database = instance / "tracker.sqlite3"
    signed_in = Browser()
    with served(instance) as server:
        assert signed_in.sign_in(EMAIL, TEST_PASSWORD, server) == 302
    database.chmod(0o444)
    with served(instance) as server:
        assert signed_in.request(f"{server}/patients/")[0] == 200
        assert len(list((instance / "audit-queue").glob("*.json"))) == 1
        browser = Browser(server)
        status, _location, page = browser.request("/login", sign_in_form(browser))
        assert status == 503
        assert "The database cannot be written" in page and "Nothing was saved" in page
        database.chmod(0o600)
        assert signed_in.request(f"{server}/patients/")[0] == 200
        assert list((instance / "audit-queue").glob("*.json")) == []  # Written now.
        assert browser.sign_in(EMAIL, TEST_PASSWORD) == 302
    log = capsys.readouterr().out  # The servers' error logs, printed when they stopped.
    assert f"has mode 0400, which does not let the app write it: run `chmod 600 {database}`" \
        in log
    assert TEST_PASSWORD not in log and "unhandled" not in log


def test_side_files_left_read_only_by_another_program_are_put_right_at_start(instance):
    """Another program (the sqlite3 shell, a backup script) read the database while it was
    read-only and left its -wal and -shm 0444 behind; a server started afterwards writes."""
    database = instance / "tracker.sqlite3"
    database.chmod(0o444)
    subprocess.run([*bound_by_file_modes(), sys.executable, "-c",
                    "import sqlite3, sys; sqlite3.connect(sys.argv[1])"
                    ".execute('SELECT count(*) FROM users').fetchall()", str(database)],
                   check=True)
    database.chmod(0o600)
    assert side_file_modes(database) == {"-wal": 0o444, "-shm": 0o444}
    with served(instance) as server:
        browser = Browser(server)
        assert health(browser)[0] == 200
        assert browser.sign_in(EMAIL, TEST_PASSWORD) == 302
    assert set(side_file_modes(database).values()) <= {0o600}


def test_a_side_file_of_another_account_is_named_with_the_command_that_mends_it(instance, capsys):
    """A -shm that root's sqlite3 shell left behind cannot be changed by the app: /healthz
    says read-only and the log gives the command; after it, the app writes without a
    restart."""
    if os.geteuid() != 0:
        pytest.skip("giving a file to another account needs root")
    database = instance / "tracker.sqlite3"
    with served(instance) as server:
        browser = Browser(server)
        assert browser.sign_in(EMAIL, TEST_PASSWORD) == 302  # The -wal and -shm exist now.
        shm = Path(f"{database}-shm")
        os.chown(shm, 65534, 65534)
        shm.chmod(0o644)
        status, answer = health(browser)
        assert (status, answer["database"]) == (503, "read-only")
        os.chown(shm, 0, 0)  # What the log says to do.
        assert health(browser)[0] == 200
        assert Browser(server).sign_in(EMAIL, TEST_PASSWORD) == 302
    assert f"run `chown root {shm}` as root" in capsys.readouterr().out
