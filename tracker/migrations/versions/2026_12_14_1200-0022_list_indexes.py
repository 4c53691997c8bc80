"""list indexes: what the patient list asks of each patient, found without reading its
history (issue 17)

- measure_responses (patient_id, source, safety_flag): whether a questionnaire answered at
  home raised the safety flag ("needs attention"), one seek, however many questionnaires the
  patient answered;
- courses (patient_id, status, start_date): the active course started last (the next
  session), without sorting the patient's courses.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-14 12:00:00
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_measure_responses_patient_id_source_safety_flag", "measure_responses",
     ["patient_id", "source", "safety_flag"]),
    ("ix_courses_patient_id_status_start_date", "courses",
     ["patient_id", "status", "start_date"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
