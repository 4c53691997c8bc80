"""time zones

An account may choose its own time zone (users.timezone, an IANA name); the practice's is a
practice setting (practice_settings row "timezone", no schema change). Times stay stored in
UTC.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 23:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("timezone")
