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


def test_the_development_server_log_carries_no_search_words(database_url, tmp_path):
    """`make run` serves with Flask's development server: its request log showed
    `GET /search?q=...` with the words and names searched for."""
    import sys
    from pathlib import Path

    port = free_port()
    env = server_environment(tmp_path, database_url, SESSION_COOKIE_SECURE="false")
    flask = Path(sys.executable).parent / "flask"
    process = subprocess.Popen(
        [str(flask), "--app", "tracker", "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        for path in ("/search?q=Maya+Okafor+grief", "/login?next=%2Fsearch%3Fq%3DOkafor",
                     "/patients/?q=Okafor%20Maya"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)  # noqa: S310
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert "GET /search?… HTTP/1.1" in log  # The requests were logged...
    assert "Okafor" not in log and "grief" not in log  # ...without what was searched.
