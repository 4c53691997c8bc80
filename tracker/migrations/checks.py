"""For the migrations: the check constraints that hold a column to the codes of a registry
(session kinds, instruments) are replaced, never edited by hand.

A migration that adds an entry to a registry spells out the new list of codes, and its
downgrade the old one. Frozen: the migration must mean the same when the registry grows
again later, so it never reads the registry.

    from tracker.migrations.checks import replace_one_of

    def upgrade() -> None:
        replace_one_of(op, "measure_responses", "instrument", ("phq9", "gad7", "pcl5", "who5"))

    def downgrade() -> None:
        replace_one_of(op, "measure_responses", "instrument", ("phq9", "gad7", "pcl5"))

(A downgrade that narrows the list fails while rows still hold a removed code.) The text is
the models' (tracker.db.one_of), and tests/test_instrument_registry.py checks that the
migrated database admits exactly the registry's codes.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.db import one_of


def replace_one_of(op, table: str, column: str, values: Sequence[str], *,
                   name: str | None = None) -> None:
    """Replace the check constraint ck_<table>_<name> (`name` is the column's unless given)
    by `column IN (values)`. `op` is the migration's alembic.op. Batch mode, so SQLite
    rebuilds the table (with its data, indexes and other constraints)."""
    constraint = op.f(f"ck_{table}_{name or column}")
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(constraint, type_="check")
        batch.create_check_constraint(constraint, one_of(column, values))
