"""full-text search

search_documents holds the searchable text of each session (tracker/search/index.py). The
index over it is made here, per database, and kept in step by the database itself:
- SQLite: an FTS5 table with search_documents as its external content, and triggers;
- PostgreSQL: a generated tsvector column with a GIN index.
Neither is in the models (tracker.migrate.OUTSIDE_MODELS). Existing sessions are indexed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SQLITE = [
    # porter stemming over unicode61 words, accents folded: "walks" finds "walking".
    """CREATE VIRTUAL TABLE search_fts USING fts5(body, patient_id, content='search_documents',
       content_rowid='session_id', tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
       INSERT INTO search_fts(rowid, body, patient_id)
       VALUES (new.session_id, new.body, new.patient_id); END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
       INSERT INTO search_fts(search_fts, rowid, body, patient_id)
       VALUES ('delete', old.session_id, old.body, old.patient_id); END""",
    """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
       INSERT INTO search_fts(search_fts, rowid, body, patient_id)
       VALUES ('delete', old.session_id, old.body, old.patient_id);
       INSERT INTO search_fts(rowid, body, patient_id)
       VALUES (new.session_id, new.body, new.patient_id); END""",
]
POSTGRESQL = [
    """ALTER TABLE search_documents ADD COLUMN tsv tsvector
       GENERATED ALWAYS AS (to_tsvector('english', body)) STORED""",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("session_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_search_documents_patient_id_patients")),
        sa.ForeignKeyConstraint(["session_id"], ["therapy_sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_search_documents_session_id_therapy_sessions")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_search_documents")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_patient_id_starts_at",
                              ["patient_id", "starts_at"], unique=False)
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)

    from tracker.search.index import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_documents")
