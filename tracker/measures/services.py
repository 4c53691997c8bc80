"""Recording questionnaires and safety follow-ups; scores in the context of a course."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.measures import scoring
from tracker.measures.instruments import get_instrument
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.measures.questionnaire import Finding, Instrument
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession


class MeasureRuleError(ValueError):
    """A rule about questionnaires was broken; the message is safe to show."""


def record_response(db: Session, user: User, patient: Patient, *, instrument: str,
                    course: Course, session: TherapySession | None, taken_on: date,
                    answers: list[int | None], difficulty: int | None = None
                    ) -> MeasureResponse:
    """Score and store a complete questionnaire (IncompleteAnswers when it is not)."""
    if course.patient_id != patient.id or (session is not None and
                                            session.patient_id != patient.id):
        raise MeasureRuleError("That course or session belongs to another patient.")
    if session is not None and session.course_id != course.id:
        raise MeasureRuleError("That session belongs to another course: choose its course, "
                               "or “between sessions”.")
    result = scoring.score(instrument, answers)
    response = MeasureResponse(
        patient_id=patient.id, course_id=course.id,
        session_id=session.id if session is not None else None, instrument=instrument,
        taken_on=taken_on, answers=list(result.answers), total=result.total,
        difficulty=difficulty,
        safety_flag=scoring.safety_flag(instrument, result.answers), recorded_by_id=user.id,
    )
    db.add(response)
    db.flush()
    return response


def record_follow_up(db: Session, user: User, response: MeasureResponse, *,
                     followed_up_on: date, action: str) -> SafetyFollowUp:
    if not response.safety_flag:
        raise MeasureRuleError("This questionnaire raised no safety flag.")
    follow_up = SafetyFollowUp(response=response, followed_up_on=followed_up_on,
                               action=action, recorded_by_id=user.id)
    db.add(follow_up)
    db.flush()
    return follow_up


def responses_of(db: Session, patient: Patient) -> list[MeasureResponse]:
    """Every questionnaire of the patient, oldest first, with its follow-ups (two queries)."""
    return list(db.scalars(
        select(MeasureResponse).where(MeasureResponse.patient_id == patient.id)
        .options(selectinload(MeasureResponse.follow_ups))
        .order_by(MeasureResponse.taken_on, MeasureResponse.id)))


def get_response_or_404(db: Session, patient: Patient, response_id: int) -> MeasureResponse:
    response = db.scalar(select(MeasureResponse).where(
        MeasureResponse.id == response_id, MeasureResponse.patient_id == patient.id)
        .options(selectinload(MeasureResponse.follow_ups)))
    if response is None:
        abort(404)
    return response


@dataclass(frozen=True)
class ScoredResponse:
    """A questionnaire with what its score means within its course."""

    response: MeasureResponse
    instrument: Instrument
    score: scoring.Score
    change: scoring.Change
    baseline: MeasureResponse

    @property
    def is_baseline(self) -> bool:
        return self.baseline.id == self.response.id

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What the instrument's own rules add (the PCL-5's DSM-5 cluster rule, ...)."""
        return self.score.findings


def interpret(responses: list[MeasureResponse]) -> list[ScoredResponse]:
    """Scores with change from the course's baseline (its first score of the instrument)
    and from the previous score. `responses` oldest first."""
    first: dict[tuple[int, str], MeasureResponse] = {}
    previous: dict[tuple[int, str], MeasureResponse] = {}
    scored = []
    for response in responses:
        key = (response.course_id, response.instrument)
        baseline = first.setdefault(key, response)
        before = previous.get(key)
        score = scoring.score(response.instrument, response.answers)
        change = scoring.compare(response.instrument, baseline.total,
                                 before.total if before is not None else None, score.total)
        scored.append(ScoredResponse(response, get_instrument(response.instrument), score,
                                     change, baseline))
        previous[key] = response
    return scored


def open_safety_flags(responses: list[MeasureResponse]) -> list[MeasureResponse]:
    """Flagged answers without a follow-up yet: shown until one is recorded."""
    return [r for r in responses if r.needs_follow_up]


def taken_at(db: Session, patient: Patient, session_ids) -> dict[int, list[ScoredResponse]]:
    """Session id -> the questionnaires taken at that session, scored within their course
    (two queries: the patient's questionnaires are needed for the baselines)."""
    wanted = set(session_ids)
    found: dict[int, list[ScoredResponse]] = {}
    for item in interpret(responses_of(db, patient)):
        if item.response.session_id in wanted:
            found.setdefault(item.response.session_id, []).append(item)
    return found

