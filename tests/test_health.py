"""/healthz reports the rate limiter's storage (issue 15, item 3): with Redis unreachable every
sign-in failed while /healthz said "ok". Now it names the storage's kind (never its URI,
which may hold a password) and whether it answers, and answers 503 when it does not, since
nobody can sign in then. A Redis that does not answer at all cannot hold a poll for long.
Real Redis: the one on 127.0.0.1:6379 (tests/support/services.py), a redis-server of the
test's own that is stopped and started again, a closed port, and a port that never answers.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

from tests.support.app import dispose
from tests.support.forms import csrf_token, post_form
from tests.support.server import free_port
from tests.support.services import REDIS, redis_prefix, unavailable
from tests.support.users import TEST_PASSWORD
from tracker import create_app

PASSWORD = "redis-password-never-shown"


@pytest.fixture
def app_on(app_config, app, tmp_path, monkeypatch):
    """Apps of the test database whose rate limits count in the storage named (the `app`
    fixture empties the tables afterwards)."""
    made = []

    def make(storage_uri: str, **settings):
        monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
        made.append(create_app(dict(app_config, RATELIMIT_STORAGE_URI=storage_uri,
                                    **settings)))
        return made[-1]

    yield make
    dispose(*made)


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def closed_port() -> int:
    return free_port()  # Nothing listens there once the probe is closed.


def test_healthz_names_the_in_memory_limiter_storage(client):
    status, answer = health(client)
    assert status == 200
    assert answer["status"] == "ok"
    assert (answer["rate_limit_storage"], answer["rate_limit_storage_kind"]) == ("ok", "memory")


def test_healthz_reports_a_reachable_redis(app_on):
    with redis_prefix() as prefix:
        application = app_on(REDIS, RATELIMIT_KEY_PREFIX=prefix)
        status, answer = health(application.test_client())
    assert status == 200
    assert (answer["status"], answer["rate_limit_storage"]) == ("ok", "ok")
    assert answer["rate_limit_storage_kind"] == "redis"


def test_an_unreachable_redis_is_reported_and_sign_in_refused_without_the_uri(
        app_on, therapist, caplog):
    port = closed_port()
    application = app_on(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    client = application.test_client()
    with caplog.at_level(logging.INFO):
        response = client.get("/healthz")
        refused = post_form(client, "/login", {"email": therapist.email,
                                               "password": TEST_PASSWORD})
    answer = response.get_json()
    assert response.status_code == 503
    assert answer["status"] == "error" and answer["database"] == "ok"
    assert (answer["rate_limit_storage"], answer["rate_limit_storage_kind"]) == (
        "unavailable", "redis")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert "Attempts cannot be counted" in page and "Nothing was checked or saved" in page
    for text in (response.get_data(as_text=True), page, caplog.text):
        assert PASSWORD not in text and str(port) not in text
    assert "rate-limit storage (redis) failed: ConnectionError" in caplog.text


def test_a_redis_that_never_answers_cannot_hold_a_health_check_or_a_sign_in(app_on):
    """Its host gone from the network: the connection is made (here: a socket that listens
    and never reads) and no answer comes. redis-py waits 5 s by default (older releases,
    forever); a load balancer gives up sooner."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        application = app_on(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        client = application.test_client()
        started = time.monotonic()
        status, answer = health(client)
        polled = time.monotonic() - started
        form = {"csrf_token": csrf_token(client, "/login"), "email": "a@example.org",
                "password": TEST_PASSWORD}
        started = time.monotonic()
        refused = client.post("/login", data=form)
        signing_in = time.monotonic() - started
    assert (status, answer["rate_limit_storage"]) == (503, "unavailable")
    assert refused.status_code == 503
    assert polled < 2.5 and signing_in < 2.5, (polled, signing_in)


@contextmanager
def redis_server(port: int):
    """A redis-server of this test's own on `port`, stopped on leaving."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed", "the Redis recovery test")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_when_redis_goes_away_signed_in_work_goes_on_and_it_recovers_by_itself(
        app_on, make_user, login_as):
    port = free_port()
    application = app_on(f"redis://127.0.0.1:{port}/0")
    therapist, colleague = make_user(), make_user(email="colleague@example.org")
    with redis_server(port):
        signed_in = login_as(therapist, client=application.test_client())
        assert health(signed_in)[0] == 200
    # Redis is gone: nobody new can sign in, and /healthz says why.
    status, answer = health(signed_in)
    assert (status, answer["rate_limit_storage"]) == (503, "unavailable")
    other = application.test_client()
    assert post_form(other, "/login", {"email": colleague.email,
                                       "password": TEST_PASSWORD}).status_code == 503
    # Whoever is signed in works on.
    assert signed_in.get("/patients/").status_code == 200
    created = post_form(signed_in, "/patients/new", {"display_name": "J. Doe"},
                        form_path="/patients/new")
    assert created.status_code == 302, created.get_data(as_text=True)[:300]
    # Redis is back, on the same address: no restart of the app.
    with redis_server(port):
        status, answer = health(other)
        assert (status, answer["rate_limit_storage"]) == (200, "ok")
        assert login_as(colleague, client=other) is other
