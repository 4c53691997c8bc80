"""audit integrity: the patients an event shows, and no way around append-only

audit_subjects lists every patient whose data a response showed when there is more than one
(a patient list, search results), chained with its event (tracker/audit/chain.py). On SQLite,
REPLACE and INSERT OR REPLACE over an existing event (which delete the old row without firing
its DELETE trigger) are refused; on PostgreSQL, TRUNCATE is refused by a trigger and the
TRUNCATE and TRIGGER privileges are revoked from the role that runs the migrations (a
separate owner role, docs/security.md, keeps even trigger changes from the app).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "audit_events_no_replace": """CREATE TRIGGER audit_events_no_replace
        BEFORE INSERT ON audit_events
        WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id OR seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    "audit_subjects_no_update": """CREATE TRIGGER audit_subjects_no_update
        BEFORE UPDATE ON audit_subjects BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    "audit_subjects_no_delete": """CREATE TRIGGER audit_subjects_no_delete
        BEFORE DELETE ON audit_subjects BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    "audit_subjects_no_replace": """CREATE TRIGGER audit_subjects_no_replace
        BEFORE INSERT ON audit_subjects
        WHEN EXISTS (SELECT 1 FROM audit_subjects WHERE event_id = NEW.event_id
                     AND patient_id = NEW.patient_id)
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
}
# (name, table, when): audit_events_append_only() is migration 0006's function.
POSTGRES_TRIGGERS = (
    ("audit_events_no_truncate", "audit_events", "BEFORE TRUNCATE", "STATEMENT"),
    ("audit_subjects_append_only", "audit_subjects", "BEFORE UPDATE OR DELETE", "ROW"),
    ("audit_subjects_no_truncate", "audit_subjects", "BEFORE TRUNCATE", "STATEMENT"),
)
TABLES = "audit_events, audit_subjects"


def upgrade() -> None:
    op.create_table(
        "audit_subjects",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["audit_events.id"],
                                name=op.f("fk_audit_subjects_event_id_audit_events")),
        sa.PrimaryKeyConstraint("event_id", "patient_id", name=op.f("pk_audit_subjects")),
    )
    with op.batch_alter_table("audit_subjects", schema=None) as batch_op:
        batch_op.create_index("ix_audit_subjects_patient_id_event_id",
                              ["patient_id", "event_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        return
    for name, table, when, each in POSTGRES_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {each} "
                   "EXECUTE FUNCTION audit_events_append_only()")
    # The app's role, when it owns the tables, keeps the right to grant them back and to
    # switch triggers off: docs/security.md has the owner role that takes both away.
    op.execute(f"REVOKE TRUNCATE, TRIGGER ON {TABLES} FROM PUBLIC, CURRENT_USER")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute(f"GRANT TRUNCATE, TRIGGER ON {TABLES} TO CURRENT_USER")
        for name, table, _when, _each in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    with op.batch_alter_table("audit_subjects", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_subjects_patient_id_event_id")
    op.drop_table("audit_subjects")
