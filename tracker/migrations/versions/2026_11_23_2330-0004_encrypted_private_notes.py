"""encrypted private notes

psychotherapy_notes.body and session_drafts.data are encrypted at rest (tracker/crypto.py);
both stay text columns in the database (session_drafts.data was JSON). Values written before
this revision are encrypted here with the app's current key, so the migration must run with
the app's configuration when there are any (`flask --app tracker db upgrade` or `init`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (table, primary key, column, the label authenticated with each value)
COLUMNS = [
    ("psychotherapy_notes", "session_id", "body", "psychotherapy_notes.body"),
    ("session_drafts", "id", "data", "session_drafts.data"),
]


def upgrade() -> None:
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), type_=sa.Text(),
                              existing_nullable=False, postgresql_using="data::text")
    _convert(encrypting=True)


def downgrade() -> None:
    _convert(encrypting=False)
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.Text(), type_=sa.JSON(),
                              existing_nullable=False, postgresql_using="data::json")


def _convert(*, encrypting: bool) -> None:
    """Encrypt the plaintext values (upgrade) or decrypt them back (downgrade)."""
    bind = op.get_bind()
    pending = []
    for table_name, key_name, column_name, label in COLUMNS:
        table = sa.table(table_name, sa.column(key_name), sa.column(column_name, sa.Text))
        key, value = table.c[key_name], table.c[column_name]
        rows = bind.execute(sa.select(key, value).where(value.is_not(None))).all()
        if rows:
            pending.append((table, key, value, label, rows))
    if not pending:
        return
    ring = _keyring(sum(len(rows) for *_, rows in pending))
    for table, key, value, label, rows in pending:
        for row_key, stored in rows:
            if encrypting:
                if _is_encrypted(ring, stored):
                    continue  # Written by the new code before this migration ran.
                new = ring.encrypt(stored, label)
            else:
                new = ring.decrypt(stored, label)
            bind.execute(sa.update(table).where(key == row_key).values({value.name: new}))


def _is_encrypted(ring, stored: str) -> bool:
    return any(stored.startswith(f"v1:{key_id}:") for key_id in ring.ciphers)


def _keyring(count: int):
    from flask import has_app_context

    from tracker import crypto

    if not has_app_context():
        raise RuntimeError(
            f"{count} private values need the encryption keys to be migrated: run "
            "`flask --app tracker db upgrade` (or `init`), which reads them from the app's "
            "configuration.")
    return crypto.keyring()
