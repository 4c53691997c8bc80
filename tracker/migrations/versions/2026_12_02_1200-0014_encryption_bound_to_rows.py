"""encryption bound to rows

Every encrypted value was authenticated with its column's name only, so a note's ciphertext
copied into another row (another patient's, another author's) opened there. Here each one is
re-encrypted bound to its table and column, its row's id and its owner (the format "v2",
tracker/crypto.py); downgrading re-encrypts them back to the column-only format ("v1"). No
schema change. Like 0004, the migration needs the app's keys when there are values: run it
with `flask --app tracker db upgrade` (or `init`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, column, the label authenticated with each value, the columns it is bound to),
# as the models declare them (tracker/sealing.py), fixed here as of this revision.
COLUMNS = [
    ("psychotherapy_notes", "body", "psychotherapy_notes.body", ("id", "session_id", "author_id")),
    ("session_drafts", "data", "session_drafts.data", ("id", "session_id", "user_id")),
    ("users", "totp_secret", "users.totp_secret", ("id",)),
    ("emergency_access", "reason", "emergency_access.reason", ("id", "user_id", "patient_id")),
]


def upgrade() -> None:
    _convert(binding=True)


def downgrade() -> None:
    _convert(binding=False)


def _convert(*, binding: bool) -> None:
    """Bind each value to its row (upgrade) or to its column only (downgrade); values
    already in the target format are left alone, so an interrupted run can be repeated."""
    bind = op.get_bind()
    pending = []
    for table_name, column_name, label, binds in COLUMNS:
        table = sa.table(table_name, sa.column(column_name, sa.Text),
                         *(sa.column(name) for name in binds))
        value = table.c[column_name]
        rows = bind.execute(sa.select(value, *(table.c[name] for name in binds))
                            .where(value.is_not(None))).all()
        if rows:
            pending.append((table, value, label, binds, rows))
    if not pending:
        return
    ring, crypto = _keyring(sum(len(rows) for *_, rows in pending))
    target = crypto.BOUND if binding else crypto.VERSION
    for table, value, label, binds, rows in pending:
        for stored, *row in rows:
            if stored.startswith(f"{target}:"):
                continue
            place = crypto.binding(label, dict(zip(binds, row, strict=True)))
            if binding:
                new = ring.seal(ring.decrypt(stored, label), place)
            else:
                new = ring.encrypt(ring.open(stored, place), label)
            bind.execute(sa.update(table).where(table.c.id == row[0], value == stored)
                         .values({value.name: new}))


def _keyring(count: int):
    from flask import has_app_context

    from tracker import crypto

    if not has_app_context():
        raise RuntimeError(
            f"{count} private values need the encryption keys to be migrated: run "
            "`flask --app tracker db upgrade` (or `init`), which reads them from the app's "
            "configuration.")
    return crypto.keyring(), crypto
