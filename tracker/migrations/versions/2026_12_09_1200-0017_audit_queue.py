"""audit queue ids

A view event that could not be written at once (the SQLite write lock held past the busy
timeout) waits in a file of the instance folder and is written later with its queue id:
unique, so that a crash between writing it and removing its file never writes it twice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("queue_id", sa.String(length=32), nullable=True))
    op.create_index("ix_audit_events_queue_id", "audit_events", ["queue_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_audit_events_queue_id", table_name="audit_events")
    op.drop_column("audit_events", "queue_id")
