"""Several app servers, one PostgreSQL and one Redis: nothing lives in a process.

Two gunicorn servers (tracker/gunicorn_conf.py, two workers each) on two ports share a
scratch PostgreSQL database and a Redis key prefix. A login made on one is valid on the
other, a logout on one ends it on both, and the sign-in rate limit counts across both.
Needs PostgreSQL and Redis on 127.0.0.1 (tests/conftest.py, ../shared SERVICES): skipped with
the reason when they are not running, except on CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests.support.browser import Browser
from tests.support.database import postgres_database
from tests.support.server import (
    CONFIG,
    GUNICORN,
    app_of_served_database,
    free_port,
    server_environment,
    wait_for,
)
from tests.support.sign_in import away_from_step_edge, code
from tests.support.users import TEST_PASSWORD
from tracker import migrate
from tracker.auth import services as accounts
from tracker.auth import two_factor
from tracker.db import get_db, make_engine

PG_SERVER = os.environ.get("TRACKER_TEST_DATABASE_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = "redis://127.0.0.1:6379/0"
SECRETS: dict[str, str] = {}  # The authenticator secret of the account with two-factor login.



def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the two-server test)")
    pytest.skip(reason)


@pytest.fixture
def shared_services():
    """A scratch PostgreSQL database with one account, and a Redis key prefix of its own."""
    import redis

    try:
        url, drop = postgres_database(PG_SERVER)
    except Exception as error:  # noqa: BLE001 (any connection failure means "not here")
        unavailable(f"PostgreSQL is not reachable at {PG_SERVER}: {type(error).__name__}")
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.RedisError as error:
        drop()
        unavailable(f"Redis is not reachable at {REDIS}: {type(error).__name__}")
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = app_of_served_database(url)
    away_from_step_edge()
    with app.app_context():
        db = get_db()
        accounts.create_user(db, email="rivera@example.org", name="Dr Rivera",
                             password=TEST_PASSWORD)
        # An account with two-factor login, for the parallel code guesses.
        okafor = accounts.create_user(db, email="okafor@example.org", name="Dr Okafor",
                                      password=TEST_PASSWORD)
        secret = two_factor.begin_enrolment(db, okafor)
        two_factor.confirm_enrolment(db, okafor, code(secret, -1))
        db.commit()
    app.extensions["tracker.engine"].dispose()
    SECRETS["okafor"] = secret
    yield url, prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    drop()


@pytest.fixture
def two_servers(shared_services, tmp_path):
    url, prefix = shared_services
    env = server_environment(
        tmp_path, url,
        RATELIMIT_STORAGE_URI=f'"{REDIS}"', RATELIMIT_KEY_PREFIX=f'"{prefix}"',
        LOGIN_LIMIT_PER_ACCOUNT='"5 per minute"',
        SESSION_COOKIE_SECURE="false",  # Plain http on the loopback.
        GUNICORN_WORKERS="2",
    )
    servers, processes = [], []
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [str(GUNICORN), "-c", CONFIG],
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            processes.append(process)
            wait_for(f"http://127.0.0.1:{port}/healthz", process)
            servers.append(f"http://127.0.0.1:{port}")
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def sign_in(browser: Browser, server: str, password: str = TEST_PASSWORD) -> int:
    return browser.sign_in("rivera@example.org", password, server)


def test_a_login_on_one_server_holds_on_the_other_and_a_logout_ends_it_on_both(two_servers):
    one, two = two_servers
    browser = Browser()
    assert sign_in(browser, one) == 302
    status, location, page = browser.request(f"{two}/patients/")
    assert status == 200 and "Your patients" in page, (status, location)
    token = browser.token(f"{two}/patients/")
    status, location, _ = browser.request(f"{two}/logout", {"csrf_token": token})
    assert status == 302 and location.startswith("/login")
    for server in (one, two):
        status, location, _ = browser.request(f"{server}/patients/")
        assert status == 302 and location.startswith("/login"), server


def test_the_sign_in_limit_counts_across_servers(two_servers):
    one, two = two_servers
    browser = Browser()
    # Five refusals split over both servers use up "5 per minute" for the account...
    answers = [sign_in(browser, server, "wrong password") for server in (one, two, one, two, one)]
    assert answers == [401] * 5
    # ...so the next attempt is refused on either, even with the right password. With a
    # counter per process this would be the second or third attempt on each server.
    assert sign_in(browser, two) == 429
    assert sign_in(browser, one) == 429


def test_parallel_wrong_passwords_across_servers_get_at_most_the_limit(two_servers):
    """Issue 14, item 1: 15 wrong passwords sent together, split over both servers (four
    workers), used to get 8 answers of 401 against "5 per minute"."""
    browser = Browser()
    token = browser.token(f"{two_servers[0]}/login")
    statuses = browser.in_parallel(
        [f"{two_servers[n % 2]}/login" for n in range(15)],
        [{"csrf_token": token, "email": "rivera@example.org", "password": f"guess {n}"}
         for n in range(15)])
    assert statuses.count(401) <= 5 and statuses.count(429) >= 10, statuses
    assert sign_in(browser, two_servers[1]) == 429


def test_parallel_wrong_codes_across_servers_get_at_most_the_limit(two_servers):
    import pyotp

    one, two = two_servers
    browser = Browser()
    assert browser.sign_in("okafor@example.org", TEST_PASSWORD, one) == 302
    token = browser.token(f"{one}/login/code")
    away_from_step_edge(10)
    valid = {code(SECRETS["okafor"], step) for step in range(-1, 4)}
    guess = next(c for c in ("123456", "654321", "111111") if c not in valid)
    statuses = browser.in_parallel([f"{(one, two)[n % 2]}/login/code" for n in range(15)],
                                   [{"csrf_token": token, "code": guess}] * 15)
    assert statuses.count(401) <= 5 and statuses.count(429) >= 10, statuses
    status, _, _ = browser.request(f"{two}/login/code", {
        "csrf_token": token, "code": pyotp.TOTP(SECRETS["okafor"]).now()})
    assert status == 429
