"""record hashes

Signed sessions record which form of their signed content the hash was taken of
(therapy_sessions.hash_version): sessions signed before this revision are version 1, which
did not cover the themes, beliefs and strategies created in the session; they keep verifying
under it. Questionnaires get a content hash of their answers (measure_responses.content_hash,
hash_version), filled in here for the rows that exist (tracker/measures/integrity.py, form 1).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The form the existing questionnaires are hashed in: frozen, whatever the current one is.
QUESTIONNAIRE_HASH_VERSION = 1


def upgrade() -> None:
    with op.batch_alter_table("therapy_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("measure_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash_version", sa.Integer(), nullable=True))

    sessions = sa.table("therapy_sessions", sa.column("content_hash", sa.String),
                        sa.column("hash_version", sa.Integer))
    op.execute(sa.update(sessions).where(sessions.c.content_hash.is_not(None))
               .values(hash_version=1))
    _hash_questionnaires()


def _hash_questionnaires() -> None:
    from tracker.measures.integrity import response_hash

    responses = sa.table(
        "measure_responses",
        sa.column("id", sa.Integer), sa.column("course_id", sa.Integer),
        sa.column("session_id", sa.Integer), sa.column("instrument", sa.String),
        sa.column("taken_on", sa.Date), sa.column("answers", sa.JSON),
        sa.column("total", sa.Integer), sa.column("difficulty", sa.Integer),
        sa.column("index_event", sa.Text),
        sa.column("safety_flag", sa.Boolean), sa.column("recorded_by_id", sa.Integer),
        sa.column("created_at", tracker.db.UTCDateTime()),
        sa.column("content_hash", sa.String), sa.column("hash_version", sa.Integer),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(responses).where(responses.c.content_hash.is_(None))).all()
    for row in rows:
        bind.execute(sa.update(responses).where(responses.c.id == row.id).values(
            content_hash=response_hash(row, QUESTIONNAIRE_HASH_VERSION),
            hash_version=QUESTIONNAIRE_HASH_VERSION))


def downgrade() -> None:
    with op.batch_alter_table("measure_responses", schema=None) as batch_op:
        batch_op.drop_column("hash_version")
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("therapy_sessions", schema=None) as batch_op:
        batch_op.drop_column("hash_version")
