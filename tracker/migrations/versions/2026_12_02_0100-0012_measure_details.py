"""measure details

measure_responses.total becomes nullable: an incomplete PHQ-9 whose item 9 is above 0 is
kept, unscored, for its safety answer (a check constraint allows NULL only with the safety
flag). measure_responses.index_event holds the PCL-5's index event (clinical text).
The GAD-7's difficulty answer uses the existing difficulty column.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("index_event", sa.Text(), nullable=True))
        batch_op.alter_column("total", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_measure_responses_partial_flagged"),
                                         "total IS NOT NULL OR safety_flag")


def downgrade() -> None:
    # Partial answers have no total to keep: they cannot survive the NOT NULL column.
    # Their flag would vanish with them, so the downgrade refuses while any remain.
    bind = op.get_bind()
    partial = bind.execute(sa.text(
        "SELECT COUNT(*) FROM measure_responses WHERE total IS NULL")).scalar()
    if partial:
        raise RuntimeError(
            f"{partial} incomplete questionnaire(s) hold a safety answer; complete them "
            "before downgrading below revision 0012.")
    with op.batch_alter_table("measure_responses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_measure_responses_partial_flagged"), type_="check")
        batch_op.alter_column("total", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("index_event")
