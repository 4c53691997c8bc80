"""progress window: indexes for the progress page's recent sessions

therapy_sessions (course_id, kind, starts_at): a course's doses counted up to a session
from the index alone (dose numbers, "dose 3 of 6"). measure_responses (course_id,
instrument, taken_on): an instrument's scores of a course from a day on, its baseline, the
score before a day; (patient_id, safety_flag): a patient's flagged answers. Each read costs
what the page shows, not the length of the history (issue 17).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-11 12:00:00
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_therapy_sessions_course_id_kind_starts_at", "therapy_sessions",
                    ["course_id", "kind", "starts_at"])
    op.create_index("ix_measure_responses_course_id_instrument_taken_on", "measure_responses",
                    ["course_id", "instrument", "taken_on"])
    op.create_index("ix_measure_responses_patient_id_safety_flag", "measure_responses",
                    ["patient_id", "safety_flag"])


def downgrade() -> None:
    op.drop_index("ix_measure_responses_patient_id_safety_flag", table_name="measure_responses")
    op.drop_index("ix_measure_responses_course_id_instrument_taken_on",
                  table_name="measure_responses")
    op.drop_index("ix_therapy_sessions_course_id_kind_starts_at", table_name="therapy_sessions")
