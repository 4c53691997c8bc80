"""The app served by gunicorn, for the tests and the benchmark that talk to a real server:
the environment it is started with (one set of test-only secrets), a free port, waiting for
it to answer. Imports nothing of pytest: bench/ uses it too."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.support.keys import TEST_ENCRYPTION_KEY
from tracker import create_app

GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = "python:tracker.gunicorn_conf"
SERVER_KEY_ID = "served"
SECRETS = {
    "TRACKER_SECRET_KEY": "served-test-secret-0123456789abcdef0123",
    "TRACKER_ENCRYPTION_KEYS": json.dumps({SERVER_KEY_ID: TEST_ENCRYPTION_KEY}),
    "TRACKER_ENCRYPTION_KEY_ID": json.dumps(SERVER_KEY_ID),
    "TRACKER_AUDIT_KEY": '"served-test-audit-key-0123456789abcdef"',
}


def app_of_served_database(url: str):
    """An app in testing mode (cheap hashing) on the database a server is given, with the
    served encryption key: to make the records it will serve."""
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                       "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192,
                       "ENCRYPTION_KEYS": {SERVER_KEY_ID: TEST_ENCRYPTION_KEY},
                       "ENCRYPTION_KEY_ID": SERVER_KEY_ID})


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


def wait_for(url: str, process, seconds: float = 30, *, any_status: bool = False):
    """The first successful answer of `url` (with any_status, the first answer: a 503 of a
    server that is up but not healthy); fails when the server exits or does not answer in
    time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"server exited: {errors}")
        try:
            return urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback only)
        except urllib.error.HTTPError as answer:
            if any_status:
                return answer
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@contextmanager
def serving(env: dict, *options: str, prefix: tuple[str, ...] = (), unhealthy: bool = False):
    """A gunicorn server of the app (tracker/gunicorn_conf.py, with `options` on the command
    line, started through the command `prefix` if any) on a free port of the loopback;
    yields its base URL once /healthz answers (200, or with `unhealthy` any status) and
    stops it afterwards. Its error log is printed when the test fails (pytest shows what
    was captured)."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [*prefix, str(GUNICORN), "-c", CONFIG, *options],
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL, stderr=errors, text=True)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", process, any_status=unhealthy)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)
            errors.seek(0)
            print(errors.read())


@contextmanager
def killable(env: dict, workers: int = 2):
    """gunicorn in a process group of its own, so that kill -9 (`kill_all`) reaches its
    workers too; yields (base URL, process)."""
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "-c", CONFIG], env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}",
                                            "GUNICORN_WORKERS": str(workers)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def kill_all(process) -> None:
    """kill -9 of a `killable` server, master and workers."""
    os.killpg(os.getpgid(process.pid), signal.SIGKILL)
    process.wait(timeout=30)
