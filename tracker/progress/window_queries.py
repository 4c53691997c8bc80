"""The statements of the progress page's window (tracker/progress/recent.py), built once:
plain Core selects of the columns the page shows, with bound parameters, so that a request
neither builds nor compiles them again. Every part reads an index range the size of what the
page shows, never the patient's whole history (the indexes of migration 0021).

Parameters: patient_id, course_id, now (a wall-clock datetime), since (a date: the window's
first day, date.min for the whole course) and ids (the window's session ids)."""

from __future__ import annotations

import functools

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from tracker.courses.models import Course
from tracker.measures import instruments
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.sessions.kinds import DOSING_CODES
from tracker.sessions.models import Addendum, TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

WINDOW = 12  # The sessions the progress page shows unless asked for all of them.

_course = Course.__table__
COURSES = (select(_course.c.id, _course.c.title, _course.c.start_date,
                  _course.c.planned_dosing_sessions)
           .where(_course.c.patient_id == bindparam("patient_id"))
           .order_by(_course.c.start_date.desc(), _course.c.id.desc()))


def _sessions():
    """The course's last WINDOW sessions, newest first, each with its dose number (a dosing
    session's own, an integration's: its dose's) and its addenda; on every row the course's
    number of sessions, the doses done by `now` and the last of them (last_*)."""
    table = TherapySession.__table__
    s, f, last, dosing = (table.alias(name) for name in ("s", "f", "last", "dosing"))
    course_id = bindparam("course_id")
    is_dose = (dosing.c.course_id == course_id, dosing.c.kind.in_(DOSING_CODES))

    def number(session):  # Doses up to this dosing session, from the index alone.
        return (select(func.count()).select_from(dosing)
                .where(*is_dose, dosing.c.starts_at <= session.c.starts_at,
                       ~and_(dosing.c.starts_at == session.c.starts_at,
                             dosing.c.id > session.c.id))
                .scalar_subquery())

    done = (*is_dose, dosing.c.starts_at <= bindparam("now"))
    last_id = (select(dosing.c.id).where(*done)
               .order_by(dosing.c.starts_at.desc(), dosing.c.id.desc()).limit(1)
               .scalar_subquery())
    addenda = Addendum.__table__
    return (
        select(s.c.id, s.c.kind, s.c.starts_at, s.c.status,
               case((s.c.kind.in_(DOSING_CODES), number(s)),
                    (f.c.id.is_not(None), number(f))).label("dose"),
               select(func.count()).select_from(addenda)
               .where(addenda.c.session_id == s.c.id).scalar_subquery().label("addenda"),
               select(func.count()).select_from(table).where(table.c.course_id == course_id)
               .scalar_subquery().label("total"),
               select(func.count()).select_from(dosing).where(*done)
               .scalar_subquery().label("doses_done"),
               last.c.id.label("last_id"), last.c.kind.label("last_kind"),
               last.c.starts_at.label("last_at"), last.c.status.label("last_status"))
        .outerjoin(f, and_(f.c.id == s.c.follows_dosing_id, f.c.course_id == s.c.course_id,
                           f.c.kind.in_(DOSING_CODES)))
        .outerjoin(last, last.c.id == last_id)
        .where(s.c.patient_id == bindparam("patient_id"), s.c.course_id == course_id)
        .order_by(s.c.starts_at.desc(), s.c.id.desc()).limit(WINDOW))


SESSIONS = _sessions()


@functools.cache
def _questionnaires(codes: tuple[str, ...]):
    """Rows tagged by `part`: "course", the course's questionnaires from `since` on; "seed",
    before `since`, each instrument's baseline and last score (so that changes are the
    course's); "flag", the patient's flagged answers (of any course) without a follow-up."""
    m = MeasureResponse.__table__
    columns = (m.c.id, m.c.course_id, m.c.instrument, m.c.taken_on, m.c.answers, m.c.total,
               m.c.safety_flag, m.c.source)
    # instrument IN (every code) is always true: it lets SQLite read the course's index by
    # instrument and day.
    of_course = (m.c.course_id == bindparam("course_id"), m.c.instrument.in_(codes))
    since = bindparam("since")
    seed = m.alias("seed")
    scored = (seed.c.course_id == bindparam("course_id"), seed.c.total.is_not(None))
    seeds = [select(seed.c.id).where(*scored, seed.c.instrument == code, *before)
             .order_by(*order).limit(1).scalar_subquery()
             for code in codes
             for before, order in (((), (seed.c.taken_on, seed.c.id)),
                                   ((seed.c.taken_on < since,),
                                    (seed.c.taken_on.desc(), seed.c.id.desc())))]
    follow_ups = SafetyFollowUp.__table__
    return union_all(
        select(literal("course").label("part"), *columns)
        .where(*of_course, m.c.taken_on >= since),
        select(literal("seed"), *columns).where(m.c.id.in_(seeds), m.c.taken_on < since),
        select(literal("flag"), *columns)
        .where(m.c.patient_id == bindparam("patient_id"), m.c.safety_flag == true(),
               ~select(follow_ups.c.id).where(follow_ups.c.response_id == m.c.id).exists()))


def questionnaires():
    """The query, built once for each set of registered instruments (a registry entry added
    later gets its own)."""
    return _questionnaires(tuple(instruments.codes()))

# Each thread: its item and cell models, the cell's item column, and the item's texts and
# numbers and the cell's values the page shows (beyond id, status, first session, decision).
THREADS = {
    "beliefs": (Belief, BeliefRating, "belief_id", ("old_belief", "new_belief"), (),
                ("old_conviction", "new_conviction")),
    "strategies": (Strategy, StrategyReview, "strategy_id", ("description", "category"),
                   ("target_per_week", "replaces_id"), ("times_practised", "helpfulness")),
    "themes": (Theme, ThemeMention, "theme_id", ("label", "category"), (), ()),
}


def _two(columns: list, kind) -> list:
    """Two columns of the union: these, then NULLs of the type `kind`."""
    return [*columns, *([cast(null(), kind)] * (2 - len(columns)))]


def _threads():
    """Rows: thread, item id, status, first session, 2 texts, 2 numbers, then the cell's
    session, decision and 2 values: the cells of the window's sessions, and (without a cell)
    the items first recorded in them."""
    ids = bindparam("ids", expanding=True)
    parts = []
    for name, (item_model, cell_model, item_key, texts, numbers, values) in THREADS.items():
        item, cell = item_model.__table__, cell_model.__table__
        head = [literal(name).label("thread"), item.c.id, item.c.status,
                item.c.first_session_id, *_two([item.c[t] for t in texts], String),
                *_two([item.c[n] for n in numbers], Integer)]
        mine = item.c.patient_id == bindparam("patient_id")
        parts.append(select(*head, cell.c.session_id, cell.c.decision,
                            *_two([cell.c[v] for v in values], Integer))
                     .join_from(cell, item, item.c.id == cell.c[item_key])
                     .where(cell.c.session_id.in_(ids), mine))
        parts.append(select(*head, cast(null(), Integer), cast(null(), String),
                            *_two([], Integer))
                     .where(mine, item.c.first_session_id.in_(ids)))
    return union_all(*parts)


THREAD_ROWS = _threads()
