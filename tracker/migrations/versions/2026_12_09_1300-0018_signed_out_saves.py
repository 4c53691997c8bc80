"""saves kept after a sign-out

A Save of the session page posted after its login ended for inactivity is kept as a
conflict copy marked with that login (session_drafts.ended_login_id) until the account
signs in again and is shown it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("session_drafts", sa.Column("ended_login_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("session_drafts", "ended_login_id")
