"""Carry-forward: the open items a new session must review, each with where it came from
and its last values. Nothing here copies text into a note; it only finds the items.

The set for a session S is: every active or paused strategy (a paused one can be resumed
with "Continue"), every belief not yet integrated, every
open theme that came up in the patient's last few sessions before S, plus any item S has
already decided (so that a decision which, say, paused a strategy keeps it on S's page).
Items created in S itself are listed apart as "added in this session".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from tracker.sessions.kinds import THREADS
from tracker.sessions.models import TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

DEFAULT_THEME_WINDOW = 3  # Sessions back in which an open theme must have come up.


@dataclass
class CarriedItem:
    record: Any  # Strategy, Belief or Theme
    origin: TherapySession | None = None  # The session it first appeared in.
    last: Any = None  # The latest review/rating/mention before this session (not "skip").
    last_session: TherapySession | None = None
    current: Any = None  # This session's decision, once made.
    # A later session already decided on this item: its status is that session's to set.
    decided_later: bool = False

    @property
    def decided(self) -> bool:
        return self.current is not None


@dataclass
class Carry:
    strategies: list[CarriedItem] = field(default_factory=list)
    beliefs: list[CarriedItem] = field(default_factory=list)
    themes: list[CarriedItem] = field(default_factory=list)
    added_strategies: list[Strategy] = field(default_factory=list)
    added_beliefs: list[Belief] = field(default_factory=list)
    added_themes: list[Theme] = field(default_factory=list)

    @property
    def items(self) -> list[CarriedItem]:
        return [*self.strategies, *self.beliefs, *self.themes]

    @property
    def undecided(self) -> int:
        return sum(1 for item in self.items if not item.decided)


def carry_for(db: Session, session: TherapySession, *,
              theme_window: int = DEFAULT_THEME_WINDOW) -> Carry:
    """Everything carried into `session`: the threads its kind carries (all of them for a
    session not created yet). A fixed number of queries, whatever the history, each reading
    only what the items need: the sessions after this one and the last few before it (not
    the whole history), then the sessions the items came from or were last reviewed in."""
    later_ids, recent_ids = _neighbours(db, session, theme_window)
    scope = _Scope(session, _current_decisions(session), later_ids=later_ids,
                   recent_ids=recent_ids)
    carry = Carry()
    for thread in session.kind_spec.carries if session.kind else THREADS:
        _CARRIERS[thread](db, carry, scope)
    wanted = {i for item in carry.items for i in (item.record.first_session_id,
                                                  item.last.session_id if item.last else None)}
    wanted.discard(None)
    sessions = {s.id: s for s in db.scalars(
        select(TherapySession).where(TherapySession.id.in_(sorted(wanted))))} if wanted else {}
    for item in carry.items:
        item.origin = sessions.get(item.record.first_session_id)
        item.last_session = sessions.get(item.last.session_id) if item.last else None
    return carry


def _neighbours(db: Session, session: TherapySession, window: int) -> tuple[list[int], list[int]]:
    """The ids of the patient's sessions after `session`, and of the last `window` before it
    (newest first), in one statement."""
    mine = (TherapySession.patient_id == session.patient_id) & (TherapySession.id != session.id)
    before = (TherapySession.starts_at < session.starts_at) | (
        (TherapySession.starts_at == session.starts_at) & (TherapySession.id < session.id))
    recent = (select(TherapySession.id, literal(False).label("later")).where(mine, before)
              .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
              .limit(window).subquery())
    rows = db.execute(union_all(
        select(TherapySession.id, literal(True).label("later")).where(mine, ~before),
        select(recent.c.id, recent.c.later))).all()
    return [i for i, later in rows if later], [i for i, later in rows if not later]


@dataclass
class _Scope:
    """What every thread's carry-forward needs to know about the session and its history."""

    session: TherapySession
    current: dict[str, dict[int, Any]]  # This session's own decisions.
    later_ids: list[int]
    recent_ids: list[int]  # The last few sessions before it (the theme window).

    def split(self, db: Session, records, row_model, item_column, thread: str):
        return _split(db, records, row_model, item_column, self.session,
                      self.current[thread], self.later_ids)


def _carry_strategies(db: Session, carry: Carry, scope: _Scope) -> None:
    current = scope.current["strategy"]
    strategies = db.scalars(
        select(Strategy).options(joinedload(Strategy.replaces))
        .where(Strategy.patient_id == scope.session.patient_id,
               or_(Strategy.status.in_(("active", "paused")),
                   Strategy.first_session_id == scope.session.id,
                   Strategy.id.in_(list(current))))
        .order_by(Strategy.id)
    ).all()
    modified_into = {r.new_strategy_id for r in current.values()}
    carry.strategies, added = scope.split(db, strategies, StrategyReview,
                                          StrategyReview.strategy_id, "strategy")
    # A version made by "modify" here is shown with the review of the one it replaces.
    carry.added_strategies = [s for s in added if s.id not in modified_into]


def _carry_beliefs(db: Session, carry: Carry, scope: _Scope) -> None:
    beliefs = db.scalars(
        select(Belief).where(Belief.patient_id == scope.session.patient_id,
                             or_(Belief.status != "integrated",
                                 Belief.first_session_id == scope.session.id,
                                 Belief.id.in_(list(scope.current["belief"]))))
        .order_by(Belief.id)
    ).all()
    carry.beliefs, carry.added_beliefs = scope.split(db, beliefs, BeliefRating,
                                                     BeliefRating.belief_id, "belief")


def _carry_themes(db: Session, carry: Carry, scope: _Scope) -> None:
    raised_recently = select(ThemeMention.theme_id).where(
        ThemeMention.session_id.in_(scope.recent_ids), ThemeMention.decision != "skip")
    themes = db.scalars(
        select(Theme).where(
            Theme.patient_id == scope.session.patient_id,
            or_(Theme.first_session_id == scope.session.id,
                Theme.id.in_(list(scope.current["theme"])),
                (Theme.status == "open") & (Theme.id.in_(raised_recently)
                                            | Theme.first_session_id.in_(scope.recent_ids))))
        .order_by(Theme.id)
    ).all()
    carry.themes, carry.added_themes = scope.split(db, themes, ThemeMention,
                                                   ThemeMention.theme_id, "theme")


_CARRIERS = {"strategies": _carry_strategies, "beliefs": _carry_beliefs,
             "themes": _carry_themes}


def _split(db: Session, records, row_model, item_column, session: TherapySession,
           decided_here: dict[int, Any], later_ids: list[int]) -> tuple[list[CarriedItem], list]:
    """One thread's records as (carried items, records added in this session), leaving out
    what first appeared in a later session. Two queries."""
    records = [r for r in records if r.first_session_id not in later_ids]
    last = _latest_before(db, row_model, item_column, [r.id for r in records], session)
    decided_later = _decided_in(db, row_model, item_column, later_ids)
    carried = [_item(r, last, decided_here, decided_later) for r in records
               if r.first_session_id != session.id]
    added = [r for r in records if r.first_session_id == session.id]
    return carried, added


def _current_decisions(session: TherapySession) -> dict[str, dict[int, Any]]:
    """This session's own decisions, keyed by the item's id (from loaded collections)."""
    return {
        "strategy": {r.strategy_id: r for r in session.strategy_reviews},
        "belief": {r.belief_id: r for r in session.belief_ratings},
        "theme": {m.theme_id: m for m in session.theme_mentions},
    }


def _latest_before(db: Session, model, item_column, item_ids: list[int],
                   session: TherapySession) -> dict[int, Any]:
    """For each item, its latest non-skipped row from a session before `session`: for each,
    the patient's sessions are walked back from `session` by their (patient, start) index
    until one has such a row, which is usually the last one (a ranking of every row of the
    item, as before, grew with its history)."""
    if not item_ids:
        return {}
    rows = db.scalars(_latest_statement(model, item_column), {
        "patient_id": session.patient_id, "session_id": session.id,
        "starts_at": session.starts_at, "item_ids": item_ids}).all()
    return {getattr(row, item_column.key): row for row in rows}


@functools.cache
def _latest_statement(model, item_column):
    """_latest_before's statement for one thread, built once (making it costs more than
    running it)."""
    items = next(iter(item_column.foreign_keys)).column.table  # strategies, beliefs, themes
    starts_at, session_id = bindparam("starts_at"), bindparam("session_id")
    latest = (
        select(model.id).select_from(TherapySession)
        .join(model, (model.session_id == TherapySession.id) & (item_column == items.c.id))
        .where(TherapySession.patient_id == bindparam("patient_id"),
               model.decision != "skip", TherapySession.id != session_id,
               (TherapySession.starts_at < starts_at)
               | ((TherapySession.starts_at == starts_at) & (TherapySession.id < session_id)))
        .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
        .limit(1).correlate(items).scalar_subquery()
    )
    return select(model).where(model.id.in_(
        select(latest).select_from(items)
        .where(items.c.id.in_(bindparam("item_ids", expanding=True)))))


def _decided_in(db: Session, model, item_column, session_ids: list[int]) -> set[int]:
    """Items with a decision (not "skip") in any of these sessions."""
    if not session_ids:
        return set()
    return set(db.scalars(select(item_column).where(model.session_id.in_(session_ids),
                                                    model.decision != "skip")))


def _item(record, last: dict[int, Any], current: dict[int, Any],
          decided_later: set[int]) -> CarriedItem:
    """The item without its sessions (origin, last_session): carry_for loads them at once."""
    return CarriedItem(
        record=record,
        last=last.get(record.id),
        current=current.get(record.id),
        decided_later=record.id in decided_later,
    )
