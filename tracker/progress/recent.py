"""The progress page's usual view: the last sessions of a course (the window) and what was
recorded in them, read as plain rows in four statements whose cost does not grow with the
history (tracker/progress/window_queries.py): the courses; the window's sessions with their
dose numbers, addenda and the course's position; the questionnaires; the threads. (The
check-ins are one more, home_figures.) The whole record is data.gather: the full view and
the print. When the course has no more sessions than the window, the view is all of it."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from tracker.courses.services import CoursePosition
from tracker.measures import instruments
from tracker.measures.services import ScoredResponse, interpret
from tracker.patients.models import Patient
from tracker.progress import window_queries as q
from tracker.progress.data import Progress, Row, in_lineage_order
from tracker.sessions.kinds import SessionKind, get_kind


@dataclass(frozen=True)
class SessionLine:
    """A session as the progress page lists it (no summary, no notes)."""

    id: int
    kind: str
    starts_at: datetime
    status: str

    @property
    def kind_spec(self) -> SessionKind:
        return get_kind(self.kind)

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"


@dataclass(frozen=True)
class Answered:
    """A questionnaire as the progress page shows it (the answers, to score it)."""

    id: int
    course_id: int
    instrument: str
    taken_on: date
    answers: list
    total: int | None
    safety_flag: bool
    source: str

    @property
    def is_partial(self) -> bool:
        return self.total is None


def recent(db: Session, patient: Patient, *, course_id: int | None, now: datetime,
           window_days: int) -> Progress:
    """The course `course_id` (else the newest) through its last sessions (q.WINDOW)."""
    run = db.connection().execute
    courses = run(q.COURSES, {"patient_id": patient.id}).all()
    course = next((c for c in courses if c.id == course_id), courses[0] if courses else None)
    if course is None:
        return Progress(patient=patient, courses=[], course=None, sessions=[], position=None,
                        numbers={}, today=now.date(), window_days=window_days, measures={},
                        open_flags=[], beliefs=[], strategies=[], themes=[])
    params = {"patient_id": patient.id, "course_id": course.id}
    rows = run(q.SESSIONS, {**params, "now": now}).all()
    sessions = [SessionLine(r.id, r.kind, r.starts_at, r.status) for r in reversed(rows)]
    first = rows[0] if rows else None
    total = first.total if first else 0
    since = sessions[0].starts_at.date() if total > len(sessions) else None
    last = (SessionLine(first.last_id, first.last_kind, first.last_at, first.last_status)
            if first is not None and first.last_id is not None else None)
    measures, open_flags = scored_questionnaires(run(q.questionnaires(),
                                               {**params, "since": since or date.min}), since)
    threads = _threads(run(q.THREAD_ROWS, {**params, "ids": [s.id for s in sessions]})
                       if sessions else [])
    return Progress(
        patient=patient, courses=courses, course=course, sessions=sessions,
        position=CoursePosition(first.doses_done if first else 0,
                                course.planned_dosing_sessions, last),
        numbers={r.id: r.dose for r in rows if r.dose is not None}, today=now.date(),
        window_days=window_days, measures=measures, open_flags=open_flags,
        beliefs=threads["beliefs"], strategies=in_lineage_order(threads["strategies"]),
        themes=threads["themes"], addenda={r.id: r.addenda for r in rows if r.addenda},
        total_sessions=total, since=since)


def scored_questionnaires(rows, since: date | None
                    ) -> tuple[dict[str, list[ScoredResponse]], list[Answered]]:
    """The course's questionnaires by instrument, scored against its baseline: all of them,
    or those from `since` on and the baseline; and the open safety flags."""
    in_course: dict[int, Answered] = {}
    flags = []
    for row in rows:
        answered = Answered(*row[1:])
        if row.part == "flag":
            flags.append(answered)
        else:
            in_course[answered.id] = answered
    by_instrument: dict[str, list[ScoredResponse]] = defaultdict(list)
    for item in interpret(sorted(in_course.values(), key=lambda a: (a.taken_on, a.id))):
        if since is None or item.response.taken_on >= since or item.is_baseline:
            by_instrument[item.response.instrument].append(item)
    return ({code: by_instrument[code] for code in instruments.codes()
             if by_instrument.get(code)},
            sorted(flags, key=lambda a: (a.taken_on, a.id)))


_ITEMS = {name: namedtuple(f"{spec[0].__name__}Line",
                           ("id", "status", "first_session_id", *spec[3], *spec[4]))
          for name, spec in q.THREADS.items()}
_CELLS = {name: namedtuple(f"{spec[1].__name__}Line", ("session_id", "decision", *spec[5]))
          for name, spec in q.THREADS.items()}
# Where a thread's row (window_queries.THREAD_ROWS) holds its item's and its cell's fields.
_ITEM_FIELDS = {name: (*range(1, 4), *range(4, 4 + len(spec[3])), *range(6, 6 + len(spec[4])))
                for name, spec in q.THREADS.items()}
_CELL_FIELDS = {name: (8, 9, *range(10, 10 + len(spec[5]))) for name, spec in q.THREADS.items()}


def _threads(rows) -> dict[str, list[Row]]:
    """The beliefs, strategies and themes of the rows (window_queries.THREAD_ROWS), by id,
    each with what each session recorded."""
    records: dict[str, dict[int, tuple]] = {name: {} for name in q.THREADS}
    cells: dict[str, dict[int, dict[int, tuple]]] = {name: defaultdict(dict)
                                                     for name in q.THREADS}
    for row in rows:
        name, item_id, session_id = row[0], row[1], row[8]
        items = records[name]
        if item_id not in items:
            items[item_id] = _ITEMS[name]._make(row[i] for i in _ITEM_FIELDS[name])
        if session_id is not None:
            cells[name][item_id][session_id] = _CELLS[name]._make(row[i] for i in
                                                                  _CELL_FIELDS[name])
    return {name: [Row(record, cells[name].get(item_id, {}))
                   for item_id, record in sorted(items.items())]
            for name, items in records.items()}
