"""The production entry point: gunicorn 'tracker:create_app()' serves the app over HTTP."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.stderr.read()}")
        try:
            return urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback only)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer in {seconds} s")


def test_gunicorn_serves_the_app(database_url, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update(
        TRACKER_INSTANCE_PATH=str(tmp_path),
        TRACKER_DATABASE_URL=database_url,
        TRACKER_SECRET_KEY="gunicorn-test-secret-0123456789abcdef0123",
        TRACKER_ENCRYPTION_KEYS='{"t": "EulqDXXqXqvkJEWoeoMCBZiww8NDEO8GpGdwjrf8Kfw="}',
        TRACKER_ENCRYPTION_KEY_ID='"t"',
        TRACKER_AUDIT_KEY='"gunicorn-audit-key-0123456789abcdef"',
    )
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "tracker:create_app()"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status == 200 and b'"database":"ok"' in health.read()
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)  # noqa: S310
        assert login.status == 200 and b"Sign in" in login.read()
        assert "Secure" in login.headers["Set-Cookie"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env["TRACKER_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run(
        [str(GUNICORN), "--bind", f"127.0.0.1:{free_port()}", "tracker:create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing or too weak" in result.stderr
