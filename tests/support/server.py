"""The app served by gunicorn, for the tests and the benchmark that talk to a real server:
the environment it is started with (one set of test-only secrets), a free port, waiting for
it to answer. Imports nothing of pytest: bench/ uses it too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.support.keys import TEST_ENCRYPTION_KEY

GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = "python:tracker.gunicorn_conf"
SERVER_KEY_ID = "served"
SECRETS = {
    "TRACKER_SECRET_KEY": "served-test-secret-0123456789abcdef0123",
    "TRACKER_ENCRYPTION_KEYS": json.dumps({SERVER_KEY_ID: TEST_ENCRYPTION_KEY}),
    "TRACKER_ENCRYPTION_KEY_ID": json.dumps(SERVER_KEY_ID),
    "TRACKER_AUDIT_KEY": '"served-test-audit-key-0123456789abcdef"',
}


def clean_environment() -> dict[str, str]:
    """This process's environment without any TRACKER_ or FLASK_ setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}


def server_environment(instance: Path | str, database_url: str, **settings: str) -> dict:
    """The environment of a served app: the test secrets, its instance folder and database,
    and `settings` as the environment gives them (NAME=value becomes TRACKER_NAME, except
    GUNICORN_* settings of tracker/gunicorn_conf.py, which keep their name)."""
    return {
        **clean_environment(), **SECRETS,
        "TRACKER_INSTANCE_PATH": str(instance), "TRACKER_DATABASE_URL": database_url,
        **{(name if name.startswith("GUNICORN_") else f"TRACKER_{name}"): value
           for name, value in settings.items()},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process, seconds: float = 30):
    """The first answer of `url`; fails when the server exits or does not answer in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"server exited: {errors}")
        try:
            return urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback only)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@contextmanager
def serving(env: dict, *options: str):
    """A gunicorn server of the app (tracker/gunicorn_conf.py, with `options` on the command
    line) on a free port of the loopback; yields its base URL and stops it afterwards. Its
    error log is printed when the test fails (pytest shows what was captured)."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", CONFIG, *options],
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL, stderr=errors, text=True)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)
            errors.seek(0)
            print(errors.read())
