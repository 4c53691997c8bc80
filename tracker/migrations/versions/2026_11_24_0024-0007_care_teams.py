"""care teams, emergency access, one private note per author

Joins the three heads of 0003 (encryption, two-factor, audit) into one. Adds the care team
(patients shared by the primary therapist) and the administrators' break-glass access, and
gives psychotherapy_notes its own id so that each clinician of a shared patient keeps their
own private note on a session (it was one note per session); autosaved drafts are keyed per
account too. The notes are copied as stored:
their encryption is bound to the column, not to the row, so nothing is decrypted here.

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-24 00:24:09
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0007"
down_revision = ("0004", "0005", "0006")
branch_labels = None
depends_on = None

NOTE_COLUMNS = ("session_id", "author_id", "body", "updated_at")


def upgrade() -> None:
    op.create_table(
        "care_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "relationship IN ('co-therapist', 'prescriber', 'supervisor', 'other')",
            name=op.f("ck_care_team_members_relationship"),
        ),
        sa.CheckConstraint("role IN ('read', 'write')", name=op.f("ck_care_team_members_role")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"],
                                name=op.f("fk_care_team_members_added_by_id_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_care_team_members_patient_id_patients")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"],
                                name=op.f("fk_care_team_members_revoked_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_care_team_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_team_members")),
    )
    with op.batch_alter_table("care_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_team_members_patient_id"), ["patient_id"],
                              unique=False)
        batch_op.create_index("ix_care_team_members_user_id_revoked_at",
                              ["user_id", "revoked_at"], unique=False)
        batch_op.create_index("uq_care_team_members_current", ["patient_id", "user_id"],
                              unique=True, sqlite_where=sa.text("revoked_at IS NULL"),
                              postgresql_where=sa.text("revoked_at IS NULL"))

    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", tracker.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_emergency_access_patient_id_patients")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_emergency_access_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_access_patient_id"), ["patient_id"],
                              unique=False)
        batch_op.create_index("ix_emergency_access_user_id_expires_at",
                              ["user_id", "expires_at"], unique=False)

    notes = _take_notes()
    _create_notes_table(with_id=True)
    _put_notes(notes)
    _draft_key(["session_id", "user_id", "editor_id", "kind"])


def downgrade() -> None:
    notes = _take_notes()
    sessions = [note["session_id"] for note in notes]
    if len(set(sessions)) != len(sessions):
        raise RuntimeError("Some sessions have private notes by more than one author; the "
                           "earlier schema holds one per session. Not downgrading.")
    _create_notes_table(with_id=False)
    _put_notes(notes)
    _draft_key(["session_id", "editor_id", "kind"])
    op.drop_table("emergency_access")
    op.drop_table("care_team_members")


def _take_notes() -> list[dict]:
    """Every private note as stored (ciphertext), then the table is dropped."""
    table = sa.table("psychotherapy_notes", *(sa.column(name) for name in NOTE_COLUMNS))
    rows = op.get_bind().execute(sa.select(table).order_by(table.c.session_id)).mappings().all()
    op.drop_table("psychotherapy_notes")
    return [dict(row) for row in rows]


def _create_notes_table(*, with_id: bool) -> None:
    key = [sa.Column("id", sa.Integer(), nullable=False)] if with_id else []
    constraints = (
        [sa.PrimaryKeyConstraint("id", name=op.f("pk_psychotherapy_notes")),
         sa.UniqueConstraint("session_id", "author_id",
                             name=op.f("uq_psychotherapy_notes_session_id"))]
        if with_id else [sa.PrimaryKeyConstraint("session_id", name=op.f("pk_psychotherapy_notes"))]
    )
    op.create_table(
        "psychotherapy_notes",
        *key,
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_psychotherapy_notes_author_id_users")),
        sa.ForeignKeyConstraint(["session_id"], ["therapy_sessions.id"],
                                name=op.f("fk_psychotherapy_notes_session_id_therapy_sessions")),
        *constraints,
    )


def _put_notes(notes: list[dict]) -> None:
    if notes:
        table = sa.table("psychotherapy_notes", *(sa.column(name) for name in NOTE_COLUMNS))
        op.get_bind().execute(sa.insert(table), notes)


def _draft_key(columns: list[str]) -> None:
    """Editor ids are chosen by the browser: they name a draft within one account."""
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_session_drafts_session_id", type_="unique")
        batch_op.create_unique_constraint("uq_session_drafts_session_id", columns)
