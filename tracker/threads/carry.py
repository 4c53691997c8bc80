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
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, literal, select, union_all
from sqlalchemy.orm import Session, aliased, joinedload

from tracker import slots
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
    # When the patient's session before this one started (None: there was none).
    previous_start: datetime | None = None

    @property
    def items(self) -> list[CarriedItem]:
        return [*self.strategies, *self.beliefs, *self.themes]

    @property
    def undecided(self) -> int:
        return sum(1 for item in self.items if not item.decided)


def carry_for(db: Session, session: TherapySession, *,
              theme_window: int = DEFAULT_THEME_WINDOW) -> Carry:
    """Everything carried into `session`: the threads its kind carries (all of them for a
    session not created yet). Two statements whatever the history (three when later
    sessions exist): the ids of the sessions after this one and of the last few before it;
    then every thread's items, each with its last value and the sessions it came from and
    was last reviewed in (tracker/slots.py), reading only those rows."""
    later_ids, recent_ids, previous_start = _neighbours(db, session, theme_window)
    current = _current_decisions(session)
    threads = tuple(session.kind_spec.carries if session.kind else THREADS)
    parts, built = _carry_statement(threads)
    found = slots.read(db, parts, built, {
        "patient_id": session.patient_id, "session_id": session.id,
        "starts_at": session.starts_at, "recent_ids": recent_ids,
        **{f"current_{thread}": list(current[thread]) for thread in threads}})
    decided_later = _decided_in(db, later_ids)
    carry = Carry(previous_start=previous_start)
    for thread, rows in zip(threads, found, strict=True):
        rows = [row for row in rows if row[0].first_session_id not in later_ids]
        setattr(carry, thread, [
            CarriedItem(record=item, origin=origin, last=last, last_session=last_session,
                        current=current[thread].get(item.id),
                        decided_later=item.id in decided_later[thread])
            for item, last, origin, last_session in rows
            if item.first_session_id != session.id])
        setattr(carry, f"added_{thread}",
                [row[0] for row in rows if row[0].first_session_id == session.id])
    # A version made by "modify" here is shown with the review of the one it replaces.
    modified_into = {r.new_strategy_id for r in current["strategies"].values()}
    carry.added_strategies = [s for s in carry.added_strategies if s.id not in modified_into]
    return carry


def _neighbours(db: Session, session: TherapySession, window: int):
    """The ids of the patient's sessions after `session`, of the last `window` before it
    (newest first), and the start of the last one before it, in one statement."""
    mine = (TherapySession.patient_id == session.patient_id) & (TherapySession.id != session.id)
    before = _before(session.starts_at, session.id)
    after = (TherapySession.starts_at >= session.starts_at) & ~(  # ~before, as a range too.
        (TherapySession.starts_at == session.starts_at) & (TherapySession.id < session.id))
    recent = (select(TherapySession.id, literal(False).label("later"), TherapySession.starts_at)
              .where(mine, before)
              .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
              .limit(max(window, 1)).subquery())  # The last one's start even with no window.
    rows = db.execute(union_all(
        select(TherapySession.id, literal(True).label("later"), TherapySession.starts_at)
        .where(mine, after),
        select(recent.c.id, recent.c.later, recent.c.starts_at))).all()
    earlier = [(i, starts_at) for i, later, starts_at in rows if not later]
    return ([i for i, later, _ in rows if later], [i for i, _ in earlier][:window],
            max((starts_at for _, starts_at in earlier), default=None))


def _before(starts_at, session_id):
    """The patient's sessions before the one at `starts_at` with id `session_id` (values or
    bind parameters), said as a range of the (patient, start) index: an OR of two ranges
    (earlier, or as early with a smaller id) was none, and a walk back started at the
    patient's newest session, not at this one."""
    return (TherapySession.starts_at <= starts_at) & ~(
        (TherapySession.starts_at == starts_at) & (TherapySession.id >= session_id))


# thread: its items, the rows that review them in sessions, the item's column in those rows
_THREADS = {"strategies": (Strategy, StrategyReview, StrategyReview.strategy_id),
            "beliefs": (Belief, BeliefRating, BeliefRating.belief_id),
            "themes": (Theme, ThemeMention, ThemeMention.theme_id)}
PATIENT_ID, SESSION_ID, STARTS_AT = (bindparam("patient_id"), bindparam("session_id"),
                                     bindparam("starts_at"))


def _open(thread: str):
    """Which of the patient's items a session reviews: open ones (for themes, raised in the
    last few sessions), those it added and those it already decided on."""
    item = _THREADS[thread][0]
    if thread == "strategies":
        still_open = item.status.in_(("active", "paused"))
    elif thread == "beliefs":
        still_open = item.status != "integrated"
    else:
        recent = bindparam("recent_ids", expanding=True)
        raised_recently = select(ThemeMention.theme_id).where(
            ThemeMention.session_id.in_(recent), ThemeMention.decision != "skip")
        still_open = (item.status == "open") & (item.id.in_(raised_recently)
                                                | item.first_session_id.in_(recent))
    return (item.patient_id == PATIENT_ID) & (
        (item.first_session_id == SESSION_ID) | still_open
        | item.id.in_(bindparam(f"current_{thread}", expanding=True)))


def _latest(thread: str):
    """The id of the item's latest non-skipped row from a session before this one: the
    patient's sessions are walked back from it by their (patient, start) index until one
    has such a row, usually the last one (a ranking of every row of the item grew with its
    history)."""
    item, model, item_column = _THREADS[thread]
    row = aliased(model)
    return (
        select(row.id).select_from(TherapySession)
        .join(row, (row.session_id == TherapySession.id)
              & (getattr(row, item_column.key) == item.id))
        .where(TherapySession.patient_id == PATIENT_ID, row.decision != "skip",
               _before(STARTS_AT, SESSION_ID))
        .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
        .limit(1).correlate(item).scalar_subquery())


def _part(thread: str) -> slots.Part:
    item, model, _ = _THREADS[thread]
    origin = aliased(TherapySession, name=f"{thread}_origin")
    last_session = aliased(TherapySession, name=f"{thread}_last")
    return slots.Part(
        # CASE: the walk back runs for the part's own items only, not for the NULL item of
        # every other part's rows (which found no row and walked the whole history).
        ((item, lambda: _open(thread)),
         (model, lambda: model.id == case((item.id.is_not(None), _latest(thread)))),
         (origin, lambda: origin.id == item.first_session_id),
         (last_session, lambda: last_session.id == model.session_id)),
        options=(joinedload(Strategy.replaces),) if thread == "strategies" else (),
        order_by=(item.id,))


@functools.cache
def _carry_statement(threads: tuple[str, ...]):
    """The parts and the statement for these threads, built once (making it costs more than
    running it)."""
    parts = [_part(thread) for thread in threads]
    return parts, slots.statement(parts)


def _current_decisions(session: TherapySession) -> dict[str, dict[int, Any]]:
    """This session's own decisions, keyed by the item's id (from loaded collections)."""
    return {
        "strategies": {r.strategy_id: r for r in session.strategy_reviews},
        "beliefs": {r.belief_id: r for r in session.belief_ratings},
        "themes": {m.theme_id: m for m in session.theme_mentions},
    }


def _decided_in(db: Session, session_ids: list[int]) -> dict[str, set[int]]:
    """Each thread's items with a decision (not "skip") in any of these sessions, in one
    statement."""
    decided: dict[str, set[int]] = {thread: set() for thread in _THREADS}
    if session_ids:
        for thread, item_id in db.execute(union_all(*(
                select(literal(thread), column).where(model.session_id.in_(session_ids),
                                                      model.decision != "skip")
                for thread, (_, model, column) in _THREADS.items()))):
            decided[thread].add(item_id)
    return decided
