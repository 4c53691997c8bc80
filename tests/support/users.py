"""Accounts: make_user, and the therapist and administrator most tests need."""

from __future__ import annotations

import pytest

from tracker.auth import services as accounts
from tracker.db import get_db
from tracker.models import User

TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(app):
    def make(
        email="therapist@example.org", name="Test Therapist", password=TEST_PASSWORD, **options
    ) -> User:
        with app.app_context():
            db = get_db()
            user = accounts.create_user(db, email=email, name=name, password=password, **options)
            db.commit()
            return user

    return make


@pytest.fixture
def therapist(make_user):
    return make_user()


@pytest.fixture
def admin(make_user):
    """The practice's administrator."""
    return make_user(email="admin@example.org", name="Ada Admin", is_admin=True)


def load_user(app, user_id) -> User:
    with app.app_context():
        return get_db().get(User, user_id)
