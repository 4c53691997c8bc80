"""One session's record read in one statement: its decisions on the threads, its addenda,
the dosing record's boosters and vital signs, the strategies first agreed in it and the
reader's private note (issue 17: one query each made the session page eleven statements).

Each part has a slot (1, 2, ...): a small table of the slot numbers is LEFT JOINed to every
part's table on "slot = its number and the row belongs to the session", so a row of the
result holds the row of one part (and the others' NULLs) and the statement returns the sum
of the parts' rows, not their product. The rows then fill the session's collections as if
they had been loaded by their relationships (set_committed_value: nothing lazy-loads them
again, and nothing is marked changed)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, literal_column, select, union_all
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.dosing.models import BoosterDose, VitalSigns
from tracker.sessions.models import Addendum, PsychotherapyNote, TherapySession
from tracker.threads.models import BeliefRating, Strategy, StrategyReview, ThemeMention

SESSION_ID, PATIENT_ID, READER_ID = (bindparam("session_id"), bindparam("patient_id"),
                                     bindparam("reader_id"))
# slot name: (entity, its rows of the session, loader options, order within the part)
PARTS = {
    "theme_mentions": (ThemeMention, lambda: ThemeMention.session_id == SESSION_ID,
                       (joinedload(ThemeMention.theme),), ThemeMention.id),
    "belief_ratings": (BeliefRating, lambda: BeliefRating.session_id == SESSION_ID,
                       (joinedload(BeliefRating.belief),), BeliefRating.id),
    "strategy_reviews": (StrategyReview, lambda: StrategyReview.session_id == SESSION_ID,
                         (joinedload(StrategyReview.strategy),
                          joinedload(StrategyReview.new_strategy)), StrategyReview.id),
    "addenda": (Addendum, lambda: Addendum.session_id == SESSION_ID,
                (joinedload(Addendum.author),), Addendum.created_at),
    "boosters": (BoosterDose, lambda: BoosterDose.dosing_id == SESSION_ID, (),
                 BoosterDose.position),
    "vitals": (VitalSigns, lambda: VitalSigns.dosing_id == SESSION_ID, (), VitalSigns.position),
    "first_strategies": (Strategy, lambda: and_(Strategy.patient_id == PATIENT_ID,
                                                Strategy.first_session_id == SESSION_ID),
                         (), Strategy.id),
    "note": (PsychotherapyNote, lambda: and_(PsychotherapyNote.session_id == SESSION_ID,
                                             PsychotherapyNote.author_id == READER_ID),
             (), PsychotherapyNote.id),
}
SESSION_COLLECTIONS = ("theme_mentions", "belief_ratings", "strategy_reviews", "addenda")
DOSING_COLLECTIONS = ("boosters", "vitals")


@dataclass(frozen=True, repr=False)  # Holds clinical text: no repr.
class Record:
    """What the session page shows beside the session's own collections."""

    added_strategies: list[Strategy]  # First agreed here (a "modify" version is not one).
    note: PsychotherapyNote | None  # The reader's own private note.


def load_record(db: Session, session: TherapySession, reader_id: int) -> Record:
    """Fill the session's decisions and addenda (and its dosing record's boosters and vital
    signs, when it has one, joined where the session was loaded) from one statement."""
    found: dict[str, list] = {name: [] for name in PARTS}
    names = list(PARTS)
    for row in db.execute(_statement(), {"session_id": session.id,
                                         "patient_id": session.patient_id,
                                         "reader_id": reader_id}):
        if row[row[0]] is not None:  # None: the part has no rows (its slot's one NULL row).
            found[names[row[0] - 1]].append(row[row[0]])
    for name in SESSION_COLLECTIONS:
        set_committed_value(session, name, found[name])
    if session.dosing is not None:
        for name in DOSING_COLLECTIONS:
            set_committed_value(session.dosing, name, found[name])
    modified_into = {review.new_strategy_id for review in found["strategy_reviews"]}
    return Record(added_strategies=[s for s in found["first_strategies"]
                                    if s.id not in modified_into],
                  note=found["note"][0] if found["note"] else None)


@functools.cache
def _statement():
    """Built once (building it costs more than running it)."""
    numbers = [select(literal_column(str(n)).label("slot")) for n in range(1, len(PARTS) + 1)]
    slots = union_all(*numbers).subquery("slots")
    entities, options, order = [], [], [slots.c.slot]
    joined = slots
    for n, (entity, belongs, loaders, within) in enumerate(PARTS.values(), start=1):
        joined = joined.outerjoin(entity, and_(slots.c.slot == n, belongs()))
        entities.append(entity)
        options.extend(loaders)
        order.append(within)
    return (select(slots.c.slot, *entities).select_from(joined).options(*options)
            .order_by(*order))
