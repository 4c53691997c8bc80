"""One session's record read in one statement: its decisions on the threads, its addenda,
the dosing record's boosters and vital signs, the strategies first agreed in it, and the
reader's private note and unsaved copies (issue 17: one query each made the session page
eleven statements).

The parts are read together as tracker/slots.py describes, in the sum of their rows, not
their product. The rows then fill the session's collections as if
they had been loaded by their relationships (set_committed_value: nothing lazy-loads them
again, and nothing is marked changed)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker import slots
from tracker.dosing.models import BoosterDose, VitalSigns
from tracker.sessions.models import Addendum, PsychotherapyNote, SessionDraft, TherapySession
from tracker.slots import rows_of
from tracker.threads.models import BeliefRating, Strategy, StrategyReview, ThemeMention

SESSION_ID, PATIENT_ID, READER_ID = (bindparam("session_id"), bindparam("patient_id"),
                                     bindparam("reader_id"))
PARTS = {
    "theme_mentions": rows_of(ThemeMention, lambda: ThemeMention.session_id == SESSION_ID,
                              (joinedload(ThemeMention.theme),), (ThemeMention.id,)),
    "belief_ratings": rows_of(BeliefRating, lambda: BeliefRating.session_id == SESSION_ID,
                              (joinedload(BeliefRating.belief),), (BeliefRating.id,)),
    "strategy_reviews": rows_of(StrategyReview, lambda: StrategyReview.session_id == SESSION_ID,
                                (joinedload(StrategyReview.strategy),
                                 joinedload(StrategyReview.new_strategy)), (StrategyReview.id,)),
    "addenda": rows_of(Addendum, lambda: Addendum.session_id == SESSION_ID,
                       (joinedload(Addendum.author),), (Addendum.created_at,)),
    "boosters": rows_of(BoosterDose, lambda: BoosterDose.dosing_id == SESSION_ID,
                        order_by=(BoosterDose.position,)),
    "vitals": rows_of(VitalSigns, lambda: VitalSigns.dosing_id == SESSION_ID,
                      order_by=(VitalSigns.position,)),
    "first_strategies": rows_of(Strategy, lambda: and_(Strategy.patient_id == PATIENT_ID,
                                                       Strategy.first_session_id == SESSION_ID),
                                order_by=(Strategy.id,)),
    "note": rows_of(PsychotherapyNote, lambda: and_(PsychotherapyNote.session_id == SESSION_ID,
                                                    PsychotherapyNote.author_id == READER_ID)),
    "drafts": rows_of(SessionDraft, lambda: and_(SessionDraft.session_id == SESSION_ID,
                                                 SessionDraft.user_id == READER_ID),
                      order_by=(SessionDraft.saved_at.desc(),)),
}
SESSION_COLLECTIONS = ("theme_mentions", "belief_ratings", "strategy_reviews", "addenda")
DOSING_COLLECTIONS = ("boosters", "vitals")


@dataclass(frozen=True, repr=False)  # Holds clinical text: no repr.
class Record:
    """What the session page shows beside the session's own collections."""

    added_strategies: list[Strategy]  # First agreed here (a "modify" version is not one).
    note: PsychotherapyNote | None  # The reader's own private note.
    drafts: list[SessionDraft]  # The reader's unsaved copies, newest first (drafts.py).


def load_record(db: Session, session: TherapySession, reader_id: int) -> Record:
    """Fill the session's decisions and addenda (and its dosing record's boosters and vital
    signs, when it has one, joined where the session was loaded) from one statement."""
    rows = slots.read(db, list(PARTS.values()), _statement(), {
        "session_id": session.id, "patient_id": session.patient_id, "reader_id": reader_id})
    found = {name: [records[0] for records in part] for name, part in zip(PARTS, rows, strict=True)}
    for name in SESSION_COLLECTIONS:
        set_committed_value(session, name, found[name])
    if session.dosing is not None:
        for name in DOSING_COLLECTIONS:
            set_committed_value(session.dosing, name, found[name])
    modified_into = {review.new_strategy_id for review in found["strategy_reviews"]}
    return Record(added_strategies=[s for s in found["first_strategies"]
                                    if s.id not in modified_into],
                  note=found["note"][0] if found["note"] else None, drafts=found["drafts"])


@functools.cache
def _statement():
    """Built once (building it costs more than running it)."""
    return slots.statement(list(PARTS.values()))
