"""between sessions: check-in links, daily check-ins, questionnaires at home

checkin_links (a patient's link: the token's SHA-256 and the code's argon2 hash, one live
link per patient), checkins and checkin_practices (what the patient reported for a day;
a replaced check-in is kept, superseded), questionnaire_schedules, patient_openings (when a
clinician last opened a patient), courses.next_session_on, and the source of a
questionnaire (measure_responses.source: "session" or "home", with the link it came
through).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from tracker.db import UTCDateTime, one_of

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Frozen here (tracker/migrations/checks.py): the registries as they were.
INSTRUMENTS = ("phq9", "gad7", "pcl5")
RULES = ("once", "every", "after_dosing", "before_session")
PRACTISED = ("yes", "little", "no")


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.add_column("courses", sa.Column("next_session_on", sa.Date(), nullable=True))
    op.add_column("measure_responses", sa.Column("source", sa.String(length=8),
                                                 server_default="session", nullable=False))
    op.add_column("measure_responses", sa.Column("link_id", sa.Integer(), nullable=True))
    op.create_table(
        "checkin_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_codes", sa.Integer(), nullable=False),
        sa.Column("locked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_opened_at", UTCDateTime(timezone=True), nullable=True),
        _fk("checkin_links", "patient_id", "patients"),
        _fk("checkin_links", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_checkin_links_token_hash")),
    )
    op.create_index(op.f("ix_checkin_links_patient_id"), "checkin_links", ["patient_id"])
    op.create_index("uq_checkin_links_patient_id_live", "checkin_links", ["patient_id"],
                    unique=True, sqlite_where=sa.text("revoked_at IS NULL"),
                    postgresql_where=sa.text("revoked_at IS NULL"))
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("mood BETWEEN 0 AND 10", name=op.f("ck_checkins_mood")),
        _fk("checkins", "patient_id", "patients"),
        _fk("checkins", "link_id", "checkin_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(op.f("ix_checkins_patient_id"), "checkins", ["patient_id"])
    op.create_index("uq_checkins_patient_id_day_current", "checkins", ["patient_id", "day"],
                    unique=True, sqlite_where=sa.text("superseded_at IS NULL"),
                    postgresql_where=sa.text("superseded_at IS NULL"))
    op.create_table(
        "checkin_practices",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("practised", sa.String(length=8), nullable=False),
        sa.Column("helpfulness", sa.Integer(), nullable=True),
        sa.CheckConstraint(one_of("practised", PRACTISED),
                           name=op.f("ck_checkin_practices_practised")),
        sa.CheckConstraint("helpfulness IS NULL OR helpfulness BETWEEN 0 AND 10",
                           name=op.f("ck_checkin_practices_helpfulness")),
        _fk("checkin_practices", "checkin_id", "checkins"),
        _fk("checkin_practices", "strategy_id", "strategies"),
        sa.PrimaryKeyConstraint("checkin_id", "strategy_id", name=op.f("pk_checkin_practices")),
    )
    op.create_index(op.f("ix_checkin_practices_strategy_id"), "checkin_practices",
                    ["strategy_id"])
    op.create_table(
        "questionnaire_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(one_of("instrument", INSTRUMENTS),
                           name=op.f("ck_questionnaire_schedules_instrument")),
        sa.CheckConstraint(one_of("rule", RULES), name=op.f("ck_questionnaire_schedules_rule")),
        sa.CheckConstraint("days BETWEEN 0 AND 365", name=op.f("ck_questionnaire_schedules_days")),
        _fk("questionnaire_schedules", "patient_id", "patients"),
        _fk("questionnaire_schedules", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_schedules")),
    )
    op.create_index(op.f("ix_questionnaire_schedules_patient_id"), "questionnaire_schedules",
                    ["patient_id"])
    op.create_table(
        "patient_openings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        _fk("patient_openings", "user_id", "users"),
        _fk("patient_openings", "patient_id", "patients"),
        sa.PrimaryKeyConstraint("user_id", "patient_id", name=op.f("pk_patient_openings")),
    )


def downgrade() -> None:
    for table in ("patient_openings", "questionnaire_schedules", "checkin_practices",
                  "checkins", "checkin_links"):
        op.drop_table(table)
    op.drop_column("measure_responses", "link_id")
    op.drop_column("measure_responses", "source")
    op.drop_column("courses", "next_session_on")
