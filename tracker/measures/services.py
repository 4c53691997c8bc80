"""Recording questionnaires and safety follow-ups; scores in the context of a course."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import bindparam, select, union
from sqlalchemy.orm import Session, aliased, selectinload

from tracker import dates
from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.measures import scoring
from tracker.measures.instruments import get_instrument
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.measures.questionnaire import Finding, Instrument
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession


class MeasureRuleError(ValueError):
    """A rule about questionnaires was broken; the message is safe to show, next to `field`
    (a form field name) where one is named."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def resolve_taken_on(session: TherapySession | None, taken_on: date | None, *,
                     default: date | None = None) -> date:
    """The date a questionnaire was answered. Taken at a session, it is that session's date:
    a date left empty or at the form's `default` becomes it; any other date contradicts the
    session and is refused. Between sessions, a date is needed."""
    if session is None:
        if taken_on is None:
            raise MeasureRuleError("Give the date it was answered, or choose the session it "
                                   "was taken at.", field="taken_on")
        return taken_on
    day = session.starts_at.date()
    if day > dates.today():
        raise MeasureRuleError(f"That session is on {dates.show(day)}, still to come: choose "
                               "a past session, or “between sessions”.", field="session_id")
    if taken_on is None or taken_on == default:
        return day
    if taken_on != day:
        raise MeasureRuleError(f"The chosen session was on {dates.show(day)}: a questionnaire "
                               "taken at it has that date. Give that date, or choose “between "
                               "sessions”.", field="taken_on")
    return taken_on


def record_response(db: Session, user: User, patient: Patient, *, instrument: str,
                    course: Course, session: TherapySession | None, taken_on: date | None,
                    answers: list[int | None], difficulty: int | None = None,
                    index_event: str | None = None, default_date: date | None = None,
                    partial: MeasureResponse | None = None, source: str = "session",
                    link_id: int | None = None) -> MeasureResponse:
    """Score and store a questionnaire. An incomplete one is stored, unscored, only when it
    raises the safety flag (a partial answer); otherwise IncompleteAnswers. `partial` is a
    partial answer that this one completes or corrects, in place. `source` "home": answered
    by the patient through the check-in link `link_id` (patient-reported)."""
    if course.patient_id != patient.id or (session is not None and
                                            session.patient_id != patient.id):
        raise MeasureRuleError("That course or session belongs to another patient.")
    if session is not None and session.course_id != course.id:
        raise MeasureRuleError("That session belongs to another course: choose its course, "
                               "or “between sessions”.", field="session_id")
    day = resolve_taken_on(session, taken_on, default=default_date)
    flagged = scoring.safety_flag(instrument, answers)
    try:
        result = scoring.score(instrument, answers)
    except scoring.IncompleteAnswers:
        if not flagged:
            raise
        values, total = list(answers), None
    else:
        values, total = list(result.answers), result.total
    if partial is not None and (partial.patient_id != patient.id or not partial.is_partial
                                or partial.instrument != instrument):
        raise MeasureRuleError("That incomplete questionnaire was completed already: open it "
                               "from the patient's page.")
    response = partial or MeasureResponse(patient_id=patient.id, instrument=instrument,
                                          recorded_by_id=user.id, source=source,
                                          link_id=link_id)
    response.course_id = course.id
    response.session_id = session.id if session is not None else None
    response.taken_on = day
    response.answers = values
    response.total = total
    response.difficulty = difficulty
    response.index_event = index_event or None
    # A safety answer once given stays on the record (a follow-up can say it was an error).
    response.safety_flag = flagged or bool(partial is not None and partial.safety_flag)
    db.add(response)
    db.flush()
    return response


def get_partial(db: Session, patient: Patient, response_id: int | None
                ) -> MeasureResponse | None:
    """The patient's questionnaire `response_id` that a form completes (404 if not theirs)."""
    return None if response_id is None else get_response_or_404(db, patient, response_id)


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
    """A questionnaire with what its score means within its course. A partial answer
    (incomplete, kept for its safety answer) has no score, change nor baseline."""

    response: MeasureResponse
    instrument: Instrument
    score: scoring.Score | None
    change: scoring.Change | None
    baseline: MeasureResponse | None

    @property
    def is_partial(self) -> bool:
        return self.score is None

    @property
    def is_baseline(self) -> bool:
        return self.baseline is not None and self.baseline.id == self.response.id

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What the instrument's own rules add (the PCL-5's DSM-5 cluster rule, ...)."""
        return self.score.findings if self.score is not None else ()

    def outcome(self, rule: str) -> str | None:
        """Response or remission (`rule`) in words: "yes", "no", "n/a" on the baseline
        itself, "n/a (baseline below 10)" where the baseline does not qualify, "—" where
        it is undefined for this score; None where the instrument has no such rule."""
        instrument = self.instrument
        if rule == "remission":
            defined = instrument.remission_below is not None
        else:
            defined = (instrument.response_percent is not None
                       or instrument.response_points is not None)
        if not defined or self.change is None:
            return None
        if self.is_baseline:
            return "n/a"
        if not self.change.baseline_qualifies:
            return f"n/a (baseline below {self.change.min_baseline})"
        value = getattr(self.change, rule)
        return "—" if value is None else ("yes" if value else "no")


def interpret(responses: list[MeasureResponse]) -> list[ScoredResponse]:
    """Scores with change from the course's baseline (its first score of the instrument)
    and from the previous score. `responses` oldest first. Partial answers are listed, but
    are never a baseline nor a previous score."""
    first: dict[tuple[int, str], MeasureResponse] = {}
    previous: dict[tuple[int, str], MeasureResponse] = {}
    scored = []
    for response in responses:
        instrument = get_instrument(response.instrument)
        if response.is_partial:
            scored.append(ScoredResponse(response, instrument, None, None, None))
            continue
        key = (response.course_id, response.instrument)
        baseline = first.setdefault(key, response)
        before = previous.get(key)
        score = scoring.score(response.instrument, response.answers)
        change = scoring.compare(response.instrument, baseline.total,
                                 before.total if before is not None else None, score.total)
        scored.append(ScoredResponse(response, instrument, score, change, baseline))
        previous[key] = response
    return scored


def open_safety_flags(responses: list[MeasureResponse]) -> list[MeasureResponse]:
    """Flagged answers without a follow-up yet: shown until one is recorded."""
    return [r for r in responses if r.needs_follow_up]


def taken_at(db: Session, patient: Patient, session_ids) -> dict[int, list[ScoredResponse]]:
    """Session id -> the questionnaires taken at that session, scored within their course:
    read with the baseline and the previous score of each (found by the course's
    (course, instrument, day) index), not with every questionnaire of the patient."""
    ids = list(session_ids)
    if not ids:
        return {}
    found: dict[int, list[ScoredResponse]] = {}
    rows = db.scalars(_taken_at_statement(), {"patient_id": patient.id, "session_ids": ids})
    for item in interpret(list(rows)):
        if item.response.session_id in ids:
            found.setdefault(item.response.session_id, []).append(item)
    return found


@functools.cache
def _taken_at_statement():
    """Built once (making it costs more than running it): the questionnaires of the
    sessions, each with its course baseline and previous score, oldest first."""
    taken = (select(MeasureResponse.course_id, MeasureResponse.instrument,
                    MeasureResponse.taken_on, MeasureResponse.id)
             .where(MeasureResponse.patient_id == bindparam("patient_id"),
                    MeasureResponse.session_id.in_(bindparam("session_ids", expanding=True)))
             .subquery())
    other = aliased(MeasureResponse)
    same = ((other.course_id == taken.c.course_id) & (other.instrument == taken.c.instrument)
            & other.total.is_not(None))
    earlier = (other.taken_on < taken.c.taken_on) | (
        (other.taken_on == taken.c.taken_on) & (other.id < taken.c.id))
    baseline = (select(other.id).where(same).order_by(other.taken_on, other.id).limit(1)
                .correlate(taken).scalar_subquery())
    previous = (select(other.id).where(same, earlier)
                .order_by(other.taken_on.desc(), other.id.desc()).limit(1)
                .correlate(taken).scalar_subquery())
    return (select(MeasureResponse).options(selectinload(MeasureResponse.follow_ups))
            .where(MeasureResponse.id.in_(
                union(select(taken.c.id), select(baseline), select(previous))))
            .order_by(MeasureResponse.taken_on, MeasureResponse.id))
