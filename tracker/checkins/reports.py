"""What the patient reported between sessions, gathered for the therapist's pages (the brief,
the progress page and its print, the carry-forward): practice per strategy over a range of
days, the mood series, the messages, and the questionnaires answered at home.

A range is the days after one day (the last session's) up to and including another (today,
or the next session's day): its length is the "days since the last session" the brief shows.
Only current check-ins count (a replaced one is kept, never counted). A day counts as
practised when the patient answered "yes" or "a little"; "a little" is kept apart so the
pages can show it. A day without a check-in is unknown, never "no".

One query for a range, whatever the number of check-ins (another one without the messages).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tracker.checkins.models import Checkin, CheckinPractice
from tracker.measures.services import ScoredResponse
from tracker.sessions.models import TherapySession

PRACTISED_DAYS = ("yes", "little")  # Answers that count a day as practised.
DEFAULT_DAYS = 28  # The range without an earlier session to start from.


@dataclass(frozen=True)
class Practice:
    """One strategy over a range: the patient's answer on each day they answered."""

    strategy_id: int
    days: int  # Days in the range.
    by_day: dict[date, str] = field(default_factory=dict)  # day -> "yes", "little" or "no"

    def _count(self, *answers: str) -> int:
        return sum(1 for answer in self.by_day.values() if answer in answers)

    @property
    def yes(self) -> int:
        return self._count("yes")

    @property
    def little(self) -> int:
        return self._count("little")

    @property
    def no(self) -> int:
        return self._count("no")

    @property
    def practised(self) -> int:
        """Days practised: "yes" or "a little"."""
        return self._count(*PRACTISED_DAYS)

    @property
    def answered(self) -> int:
        return len(self.by_day)


@dataclass(frozen=True)
class Message:
    day: date
    text: str  # Patient-reported text: shown escaped, never logged.


@dataclass
class Report:
    after: date  # The range starts the day after this one...
    through: date  # ...and ends on this one, included.
    moods: dict[date, int] = field(default_factory=dict)
    messages_by_day: dict[date, str] = field(default_factory=dict)
    answers: dict[int, dict[date, str]] = field(default_factory=dict)  # strategy -> day -> answer

    @property
    def first_day(self) -> date:
        return self.after + timedelta(days=1)

    @property
    def days(self) -> int:
        return max((self.through - self.after).days, 0)

    @property
    def checkin_days(self) -> int:
        """Days of the range with a check-in."""
        return len(self.moods)

    @property
    def mood(self) -> list[tuple[date, int]]:
        return sorted(self.moods.items())

    @property
    def messages(self) -> list[Message]:
        """Non-empty messages, newest first."""
        return [Message(day, text) for day, text in sorted(self.messages_by_day.items(),
                                                           reverse=True) if text.strip()]

    def practice_of(self, strategy_id: int) -> Practice:
        return Practice(strategy_id, self.days, dict(self.answers.get(strategy_id, {})))

    @property
    def strategy_ids(self) -> set[int]:
        return set(self.answers)

    def period(self, after: date, through: date) -> Report:
        """The part of this report in a narrower range (no query)."""
        def inside(day: date) -> bool:
            return after < day <= through

        return Report(after, through,
                      moods={d: m for d, m in self.moods.items() if inside(d)},
                      messages_by_day={d: t for d, t in self.messages_by_day.items()
                                       if inside(d)},
                      answers={sid: {d: a for d, a in days.items() if inside(d)}
                               for sid, days in self.answers.items()})


def _current(patient_id: int, after: date, through: date) -> tuple:
    """The patient's current check-ins of the days after `after` up to `through`."""
    return (Checkin.patient_id == patient_id, Checkin.superseded_at.is_(None),
            Checkin.day > after, Checkin.day <= through)


def between(db: Session, patient_id: int, after: date, through: date) -> Report:
    """The patient's current check-ins of the days after `after` up to `through`, with their
    answers on the strategies (one row per answer, or one for a check-in without any)."""
    report = Report(after, through)
    answers: dict[int, dict[date, str]] = defaultdict(dict)
    seen = set()
    for checkin, strategy_id, practised in db.execute(
            select(Checkin, CheckinPractice.strategy_id, CheckinPractice.practised)
            .outerjoin(CheckinPractice, CheckinPractice.checkin_id == Checkin.id)
            .where(*_current(patient_id, after, through))):
        if checkin.id not in seen:
            seen.add(checkin.id)
            report.moods[checkin.day] = checkin.mood
            report.messages_by_day[checkin.day] = checkin.message or ""
        if strategy_id is not None:
            answers[strategy_id][checkin.day] = practised
    report.answers = dict(answers)
    return report


def _mood_and_practice():
    checkins, practices = Checkin.__table__, CheckinPractice.__table__
    return (select(checkins.c.day, checkins.c.mood, practices.c.strategy_id,
                   practices.c.practised)
            .select_from(checkins.outerjoin(practices,
                                            practices.c.checkin_id == checkins.c.id))
            .where(checkins.c.patient_id == bindparam("patient_id"),
                   checkins.c.superseded_at.is_(None), checkins.c.day > bindparam("after"),
                   checkins.c.day <= bindparam("through")))


_MOOD_AND_PRACTICE = _mood_and_practice()  # Built once: pages read it on every request.


def mood_and_practice(db: Session, patient_id: int, after: date, through: date) -> Report:
    """`between` without the messages (for pages that show none: nothing is decrypted), in
    one query: each check-in of the range with its practice answers."""
    report = Report(after, through)
    answers: dict[int, dict[date, str]] = defaultdict(dict)
    for day, mood, strategy_id, practised in db.connection().execute(
            _MOOD_AND_PRACTICE, {"patient_id": patient_id, "after": after, "through": through}):
        report.moods[day] = mood
        if strategy_id is not None:
            answers[strategy_id][day] = practised
    report.answers = dict(answers)
    return report


def since_last_session(db: Session, patient_id: int, last: TherapySession | None,
                       today: date) -> Report:
    """From the last session's day (or DEFAULT_DAYS back, without one) up to today."""
    after = last.starts_at.date() if last is not None else today - timedelta(days=DEFAULT_DAYS)
    return between(db, patient_id, min(after, today), today)


def before_session(db: Session, session: TherapySession, previous: datetime | None) -> Report:
    """What the patient reported from the previous session's day (`previous`: its start, as
    the carry-forward found it) up to this session's day: the carry-forward's "times
    practised since the last session", as the patient saw it."""
    day = session.starts_at.date()
    after = previous.date() if previous is not None else day - timedelta(days=DEFAULT_DAYS)
    return between(db, session.patient_id, after, day)


def home_scores(scored: list[ScoredResponse]) -> list[ScoredResponse]:
    """The questionnaires among `scored` that the patient answered at home."""
    return [item for item in scored if item.response.source == "home"]
