"""Keeping search_documents in step with the record: one document per session, made of its
intention and summary, the themes that came up (label and notes), the beliefs rated (old,
new, note), the strategies reviewed (description, barriers) and those first set in it.
Items marked "Not discussed" are left out; psychotherapy notes are never read.

Documents are rebuilt in the transaction of the write that changed them: an after_flush
hook notes which sessions a flush touched, a before_commit hook rewrites their documents.
The index over search_documents follows by itself (FTS5 triggers, a generated tsvector).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, delete, event, insert, select
from sqlalchemy.orm import Session

from tracker.search.models import SearchDocument
from tracker.sessions.models import TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

BATCH = 500
_NO_MARKS = str.maketrans("", "", "\ue000\ue001")
_PENDING = "search_pending"


def _parts_by_session(connection: Connection, ids: list[int]) -> dict[int, list[str]]:
    parts: dict[int, list[str]] = defaultdict(list)
    queries = (
        select(ThemeMention.session_id, Theme.label, ThemeMention.notes)
        .join(Theme, Theme.id == ThemeMention.theme_id)
        .where(ThemeMention.session_id.in_(ids), ThemeMention.decision != "skip")
        .order_by(ThemeMention.id),
        select(BeliefRating.session_id, Belief.old_belief, Belief.new_belief, BeliefRating.note)
        .join(Belief, Belief.id == BeliefRating.belief_id)
        .where(BeliefRating.session_id.in_(ids), BeliefRating.decision != "skip")
        .order_by(BeliefRating.id),
        select(StrategyReview.session_id, Strategy.description, StrategyReview.barriers)
        .join(Strategy, Strategy.id == StrategyReview.strategy_id)
        .where(StrategyReview.session_id.in_(ids), StrategyReview.decision != "skip")
        .order_by(StrategyReview.id),
        # What was first set in the session (a new theme, belief or strategy).
        select(Theme.first_session_id, Theme.label).where(Theme.first_session_id.in_(ids)),
        select(Belief.first_session_id, Belief.old_belief, Belief.new_belief)
        .where(Belief.first_session_id.in_(ids)),
        select(Strategy.first_session_id, Strategy.description)
        .where(Strategy.first_session_id.in_(ids)),
    )
    for query in queries:
        for session_id, *texts in connection.execute(query):
            parts[session_id].extend(text for text in texts if text)
    return parts


def reindex(connection: Connection, session_ids: Iterable[int]) -> None:
    """Rewrite the documents of these sessions (removing those of deleted sessions)."""
    ids = sorted(set(session_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        sessions = connection.execute(
            select(TherapySession.id, TherapySession.patient_id, TherapySession.kind,
                   TherapySession.starts_at, TherapySession.intention, TherapySession.summary)
            .where(TherapySession.id.in_(batch))).all()
        parts = _parts_by_session(connection, batch)
        connection.execute(delete(SearchDocument).where(SearchDocument.session_id.in_(batch)))
        rows = []
        for sid, patient_id, kind, starts_at, intention, summary in sessions:
            texts = [t for t in (intention, summary) if t]
            # A text can be both first set and reviewed in one session: keep it once.
            texts += list(dict.fromkeys(parts.get(sid, [])))
            # Without the two characters that mark matches in snippets (search/query.py).
            body = "\n".join(texts).translate(_NO_MARKS)
            rows.append({"session_id": sid, "patient_id": patient_id, "kind": kind,
                         "starts_at": starts_at, "body": body})
        if rows:
            connection.execute(insert(SearchDocument), rows)


def rebuild(connection: Connection) -> int:
    """Every session's document again (after a restore, or to repair); returns the count."""
    ids = list(connection.scalars(select(TherapySession.id)))
    reindex(connection, ids)
    return len(ids)


# Sessions touched by a flush -------------------------------------------------------------

def _touched(db: Session, obj) -> Iterable[int]:
    if isinstance(obj, TherapySession):
        yield obj.id
    elif isinstance(obj, ThemeMention | BeliefRating | StrategyReview):
        yield obj.session_id
    elif isinstance(obj, Theme | Belief | Strategy):
        yield obj.first_session_id
        if obj in db.dirty:  # Its text may be in every session that reviewed it.
            yield from _reviewing_sessions(db, obj)


def _reviewing_sessions(db: Session, obj) -> list[int]:
    model, column = {Theme: (ThemeMention, "theme_id"), Belief: (BeliefRating, "belief_id"),
                     Strategy: (StrategyReview, "strategy_id")}[type(obj)]
    return list(db.scalars(select(model.session_id).where(getattr(model, column) == obj.id)))


def _after_flush(db: Session, _context) -> None:
    pending = db.info.setdefault(_PENDING, set())
    for obj in (*db.new, *db.dirty, *db.deleted):
        pending.update(sid for sid in _touched(db, obj) if sid is not None)


def _before_commit(db: Session) -> None:
    db.flush()  # What is still pending is noted by _after_flush first.
    pending = db.info.pop(_PENDING, None)
    if pending:
        reindex(db.connection(), pending)


def _after_soft_rollback(db: Session, _previous) -> None:
    db.info.pop(_PENDING, None)


def init_sync() -> None:
    """Listen on every ORM Session (the app's, the CLI's, the demo's and the benchmark's
    alike), once per process."""
    for name, listener in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


@click.command("search-reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search documents of every session (after copying rows by other means)."""
    from tracker.audit.hooks import record_command
    from tracker.db import get_db, get_engine

    with get_engine().begin() as connection:
        count = rebuild(connection)
    record_command(get_db(), "search-reindex")
    click.echo(f"Search index rebuilt: {count} sessions.")
