"""Which stored records no longer match the hash stored with them: signed sessions (their
content hash, in the form each was signed in) and questionnaires (their answers' hash).

Reads in batches, a fixed number of queries per batch. Reports ids only, never text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.export.created import Created, created_in
from tracker.export.session_record import session_record_options, verifies
from tracker.measures import integrity
from tracker.measures.models import MeasureResponse
from tracker.sessions.models import TherapySession

BATCH = 200


@dataclass(frozen=True)
class Mismatch:
    """One record whose stored hash does not match it (ids and a fixed reason only)."""

    kind: str  # "session" or "questionnaire"
    record_id: int
    patient_id: int
    reason: str

    def __str__(self) -> str:
        return (f"{self.kind.capitalize()} {self.record_id} (patient {self.patient_id}): "
                f"{self.reason}")


@dataclass
class Verdict:
    sessions: int = 0
    questionnaires: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


def check_records(db: Session) -> Verdict:
    verdict = Verdict()
    signed = db.scalars(select(TherapySession.id).where(TherapySession.status == "signed")
                        .order_by(TherapySession.id)).all()
    for ids in _batches(list(signed)):
        sessions = db.scalars(select(TherapySession).where(TherapySession.id.in_(ids))
                              .options(*session_record_options())
                              .order_by(TherapySession.id)).all()
        created = created_in(db, ids)
        for session in sessions:
            verdict.sessions += 1
            if not session.content_hash:
                reason = "signed, but no stored hash"
            elif verifies(session, created.get(session.id, Created())):
                continue
            else:
                reason = "stored content hash does not match its signed record"
            verdict.mismatches.append(Mismatch("session", session.id, session.patient_id,
                                               reason))
        db.expunge_all()
    responses = db.scalars(select(MeasureResponse.id).order_by(MeasureResponse.id)).all()
    for ids in _batches(list(responses)):
        for response in db.scalars(select(MeasureResponse).where(MeasureResponse.id.in_(ids))
                                   .order_by(MeasureResponse.id)):
            verdict.questionnaires += 1
            if not response.content_hash:
                reason = "no stored hash"
            elif integrity.verifies(response):
                continue
            else:
                reason = "stored hash does not match its answers and score"
            verdict.mismatches.append(Mismatch("questionnaire", response.id,
                                               response.patient_id, reason))
        db.expunge_all()
    return verdict
