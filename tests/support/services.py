"""Outside services some tests need (Redis on 127.0.0.1): skipped with the reason when they
are not running, except on CI (CI=true), where that fails."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

REDIS = "redis://127.0.0.1:6379/0"


def unavailable(reason: str, what: str = "the test"):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run {what})")
    pytest.skip(reason)


@contextmanager
def redis_prefix(url: str = REDIS):
    """A Redis key prefix of this test's own, its keys deleted afterwards."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis is not reachable at {url}: {type(error).__name__}")
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
