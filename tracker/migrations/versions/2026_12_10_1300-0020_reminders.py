"""reminders: where a patient's reminders go, and which were sent

checkin_links.reminder_email (optional: the patient's contact data), and reminders_sent
(one row per due item reminded, unique per link and item: `send-reminders` sends each
once).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 13:00:00
"""

import sqlalchemy as sa
from alembic import op

from tracker.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkin_links",
                  sa.Column("reminder_email", sa.String(length=254), nullable=True))
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["checkin_links.id"],
                                name=op.f("fk_reminders_sent_link_id_checkin_links")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
    )
    op.create_index("uq_reminders_sent_link_id_kind", "reminders_sent", ["link_id", "kind"],
                    unique=True)


def downgrade() -> None:
    op.drop_table("reminders_sent")
    op.drop_column("checkin_links", "reminder_email")
