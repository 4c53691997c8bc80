"""The cells of the progress page's tables by session (strategies, themes, belief ratings),
worked out once in Python: they are most of the page's repeated markup, and a template tests
each cell's record several times over."""

from __future__ import annotations

from typing import NamedTuple

from tracker.progress.data import Progress
from tracker.threads.models import STRATEGY_DECISIONS

_DECISIONS = {code: label.lower() for code, label in STRATEGY_DECISIONS.items()}


class Cell(NamedTuple):
    """A strategy in a session: "2/5 · 6" then the decision; "new" where it was first
    agreed; skipped: not discussed; else blank."""

    text: str = ""
    decision: str = ""  # The decision's words, or "new"
    skipped: bool = False


class Rating(NamedTuple):
    day: str  # The session's, short
    old: str  # Conviction 0-100, or "—"
    new: str


class Grids(NamedTuple):
    columns: list  # The sessions with any thread recorded
    strategies: list[list[Cell]]  # A row per progress.strategies
    themes: list[list[str]]  # A row per progress.themes: "raised", "resolved" or ""
    beliefs: list[list[Rating]]  # Per progress.beliefs, its ratings (not the skipped ones)


def grids(progress: Progress) -> Grids:
    columns = progress.reviewed_sessions
    ids = [s.id for s in columns]
    strategies = []
    for row in progress.strategies:
        strategy = row.record
        cells = []
        for session_id in ids:
            review = row.cells.get(session_id)
            if review is None:
                cells.append(Cell(decision="new") if session_id == strategy.first_session_id
                             else Cell())
            elif review.decision == "skip":
                cells.append(Cell(skipped=True))
            else:
                practised = (f"{review.times_practised}/{strategy.target_per_week}"
                             if review.times_practised is not None else "")
                helpful = f" · {review.helpfulness}" if review.helpfulness is not None else ""
                cells.append(Cell(practised + helpful, _DECISIONS[review.decision]))
        strategies.append(cells)
    themes = [[getattr(row.cells.get(session_id), "decision", "") for session_id in ids]
              for row in progress.themes]
    labels = progress.labels
    beliefs = [[Rating(labels[s.id].short, _conviction(r.old_conviction),
                       _conviction(r.new_conviction))
                for s in progress.sessions
                if (r := row.cells.get(s.id)) is not None and r.decision != "skip"]
               for row in progress.beliefs]
    return Grids(columns, strategies, themes, beliefs)


def _conviction(value: int | None) -> str:
    return "—" if value is None else str(value)
