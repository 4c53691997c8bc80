"""Counting the SQL statements of pages (Indico's count_queries, applied page by page).

Issue 17's budgets count data statements: neither transaction control (BEGIN, COMMIT,
SAVEPOINT...) nor the audit trail's own statements, which are counted apart."""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
AUDIT = re.compile(r"\baudit_(events|subjects|head)\b", re.IGNORECASE)


def audit_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if not CONTROL.match(s) and AUDIT.search(s)]


def data_statements(statements: list[str]) -> list[str]:
    """The statements that are neither transaction control nor the audit trail's."""
    return [s for s in statements if not CONTROL.match(s) and not AUDIT.search(s)]


# The login record's periodic touch (tracker/auth/login_sessions.py, every TOUCH_INTERVAL):
# a slow test meets it on whichever page it is at.
TOUCH = re.compile(r"\s*UPDATE login_sessions SET last_seen_at", re.IGNORECASE)


def queries_per_page(client, count_queries, pages: dict[str, str], check=None) -> dict[str, int]:
    """The statements each page runs, after one warm-up request (caches), without the login
    record's periodic touch; every page must answer 200. `check(page, response)` may look at
    each counted answer."""
    counts = {}
    for page, url in pages.items():
        client.get(url)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, (page, url)
        counts[page] = len([s for s in statements if not TOUCH.match(s)])
        if check is not None:
            check(page, response)
    return counts


@contextmanager
def loaded(model):
    """The ids of the `model` records loaded from the database inside the block (an ORM
    "load" event each): `with loaded(TherapySession) as ids:`."""
    ids: list[int] = []

    def record(target, context):
        ids.append(target.id)

    event.listen(model, "load", record)
    try:
        yield ids
    finally:
        event.remove(model, "load", record)
