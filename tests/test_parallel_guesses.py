"""Guesses sent together are counted together (issue 14, item 1).

The attack: many wrong passwords, or wrong two-factor codes, sent at the same moment against
one account. Each limit used to be checked before the view and counted only after argon2 had
refused the guess, so requests in flight were all checked against the old count: 25
parallel wrong passwords against "5 per minute" all got 401. Now an attempt is counted
before it is checked (and refunded when its answer is not a refused credential): at most the
limit is answered 401, the rest 429.

Real gunicorn servers, with the production hashing cost: one worker with many threads and
the in-memory counters, and several workers sharing Redis (the Redis leg fails on CI when
Redis is not running, as tests/test_multi_server.py does).
"""

from __future__ import annotations

import json

import pyotp
import pytest

from tests.support.browser import Browser
from tests.support.keys import TEST_ENCRYPTION_KEY
from tests.support.server import server_environment, serving
from tests.support.services import REDIS, redis_prefix
from tests.support.sign_in import away_from_step_edge
from tests.support.users import TEST_PASSWORD

LIMIT = 5
GUESSES = 15


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes accepted now (nor in the next minute)."""
    import time

    valid = {pyotp.TOTP(secret).at(time.time() + 30 * step) for step in range(-1, 4)}
    return next(code for code in (f"{n:06d}" for n in range(100000, 200000)) if code not in valid)


@pytest.fixture(params=["threads", "workers-with-redis"])
def server(request, database_url, tmp_path):
    """The app served by gunicorn from the test database (sharing its encryption key), the
    limits at LIMIT a minute per account and out of reach per address."""
    settings = dict(
        LOGIN_LIMIT_PER_ACCOUNT=f'"{LIMIT} per minute"',
        TWO_FACTOR_LIMIT_PER_ACCOUNT=f'"{LIMIT} per minute"',
        LOGIN_LIMIT_PER_ADDRESS='"1000 per minute"',
        TWO_FACTOR_LIMIT_PER_ADDRESS='"1000 per minute"',
        ENCRYPTION_KEYS=json.dumps({"test": TEST_ENCRYPTION_KEY}),
        ENCRYPTION_KEY_ID='"test"',
        SESSION_COOKIE_SECURE="false",  # Plain http on the loopback.
    )
    if request.param == "threads":
        # One process, so that the in-memory counters are the only ones.
        options = ("--workers", "1", "--worker-class", "gthread", "--threads", "16")
        with serving(server_environment(tmp_path, database_url, **settings), *options) as url:
            yield url
    else:
        with redis_prefix() as prefix:
            env = server_environment(
                tmp_path, database_url, RATELIMIT_STORAGE_URI=f'"{REDIS}"',
                RATELIMIT_KEY_PREFIX=f'"{prefix}"', GUNICORN_WORKERS="4", **settings)
            with serving(env) as url:
                yield url


def test_parallel_wrong_passwords_get_at_most_the_limit(server, therapist):
    browser = Browser(server)
    token = browser.token("/login")
    statuses = browser.in_parallel("/login", [
        {"csrf_token": token, "email": therapist.email, "password": f"wrong guess {n}"}
        for n in range(GUESSES)])
    assert statuses.count(401) <= LIMIT, statuses
    assert statuses.count(401) + statuses.count(429) == GUESSES, statuses
    # The account is locked out now, right password or not.
    assert Browser(server).sign_in(therapist.email, TEST_PASSWORD) == 429


def test_parallel_wrong_codes_get_at_most_the_limit(server, therapist, enrol):
    secret, _codes = enrol(therapist)
    browser = Browser(server)
    assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
    token = browser.token("/login/code")  # The half-signed-in session, with its CSRF token.
    away_from_step_edge(10)
    guess = wrong_code(secret)
    statuses = browser.in_parallel("/login/code", [{"csrf_token": token, "code": guess}
                                                   for _ in range(GUESSES)])
    assert statuses.count(401) <= LIMIT, statuses
    assert statuses.count(401) + statuses.count(429) == GUESSES, statuses
    status, _location, _page = browser.request(
        "/login/code", {"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert status == 429


def test_parallel_wrong_current_passwords_get_at_most_the_limit(server, therapist):
    """Re-authentication (here the password change) counts its guesses the same way."""
    browser = Browser(server)
    assert browser.sign_in(therapist.email, TEST_PASSWORD) == 302
    token = browser.token("/account/password")
    statuses = browser.in_parallel("/account/password", [
        {"csrf_token": token, "current_password": f"wrong guess {n}",
         "new_password": "a brand new passphrase", "confirm": "a brand new passphrase"}
        for n in range(GUESSES)])
    assert statuses.count(401) <= LIMIT, statuses
    assert statuses.count(401) + statuses.count(429) == GUESSES, statuses
