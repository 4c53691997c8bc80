"""Full-text search over the progress record of sessions (summaries, intentions, themes,
beliefs, strategies; never psychotherapy notes), limited to the patients an account may see.

One document per session in search_documents, rebuilt whenever a write touches what it is
made of (index.py). SQLite searches it through an FTS5 index, PostgreSQL through a tsvector
column with a GIN index; both are created by migration 0008 and kept in sync by the
database itself (triggers, a generated column)."""
