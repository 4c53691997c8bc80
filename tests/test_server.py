"""The production entry point: gunicorn 'tracker:create_app()' serves the app over HTTP."""

import subprocess
import urllib.request

from tests.support.server import (
    GUNICORN,
    clean_environment,
    free_port,
    server_environment,
    wait_for,
)


def test_gunicorn_serves_the_app(database_url, tmp_path):
    port = free_port()
    env = server_environment(tmp_path, database_url)
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
    env = {**clean_environment(), "TRACKER_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [str(GUNICORN), "--bind", f"127.0.0.1:{free_port()}", "tracker:create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing or too weak" in result.stderr
