"""The themes, beliefs and strategies first recorded in a session (their `first_session_id`),
as that session's record shows them and its signature covers them.

Only what the session itself set is written: a theme's label and category, a belief's two
wordings, a strategy's category, description, weekly target and the version it replaced.
Their status is left out: later sessions change it (a theme resolved, a strategy paused)
without changing what was signed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.threads.models import Belief, Strategy, Theme


@dataclass
class Created:
    """What one session created, each list by id."""

    themes: list[Theme] = field(default_factory=list)
    beliefs: list[Belief] = field(default_factory=list)
    strategies: list[Strategy] = field(default_factory=list)


def group_created(themes: Iterable[Theme], beliefs: Iterable[Belief],
                  strategies: Iterable[Strategy]) -> dict[int, Created]:
    """Session id -> what it created, from rows already loaded (no query)."""
    found: dict[int, Created] = defaultdict(Created)
    for name, rows in (("themes", themes), ("beliefs", beliefs), ("strategies", strategies)):
        for row in sorted(rows, key=lambda row: row.id):
            getattr(found[row.first_session_id], name).append(row)
    return dict(found)


def created_in(db: Session, session_ids: Iterable[int]) -> dict[int, Created]:
    """Session id -> what it created, read in three queries whatever the number of
    sessions. Pending rows are flushed first (autoflush), so a strategy added in the same
    transaction as the signing is covered."""
    ids = [session_id for session_id in session_ids if session_id is not None]
    if not ids:
        return {}
    loaded = [db.scalars(select(model).where(model.first_session_id.in_(ids))
                         .order_by(model.id)).all()
              for model in (Theme, Belief, Strategy)]
    return group_created(*loaded)


def created_record(created: Created) -> dict[str, Any]:
    return {
        "themes": [{"id": t.id, "label": t.label, "category": t.category}
                   for t in created.themes],
        "beliefs": [{"id": b.id, "old_belief": b.old_belief, "new_belief": b.new_belief}
                    for b in created.beliefs],
        "strategies": [{"id": s.id, "category": s.category, "description": s.description,
                        "target_per_week": s.target_per_week, "replaces_id": s.replaces_id}
                       for s in created.strategies],
    }
