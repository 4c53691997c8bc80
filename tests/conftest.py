"""The suite's fixtures come from tests/support/ (one module per entity, loaded here as
plugins, as Indico loads its fixtures): app, db, client, runner, count_queries, database_url,
scratch_url, make_user, therapist, admin, login_as, therapist_client, enrol, practice.

The schema is created once per run by the Alembic migrations. Each test then runs against
real transactions (views commit as in production) and every table is emptied afterwards.
The suite runs on SQLite by default and on PostgreSQL when TRACKER_TEST_DATABASE_URL is set.
"""

import pytest

# The helpers' own checks report like the tests' (before the plugins below are imported).
pytest.register_assert_rewrite("tests.support")

pytest_plugins = [
    "tests.support.database",
    "tests.support.app",
    "tests.support.users",
    "tests.support.sign_in",
    "tests.support.sessions",
]
