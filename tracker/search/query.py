"""Answering a search: any text is a valid query. It is cut into words (at most MAX_TERMS);
every word must appear (stemmed: "walks" finds "walking"); results are the sessions of the
patients the account may see, newest first, with the matching words marked in a snippet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    bindparam,
    column,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.db import utcnow
from tracker.patients.models import Patient

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Marks around matched words in snippets: private-use characters, which the cleaned query
# and stored text can hold but the snippet functions return unchanged; replaced by <mark>
# after the snippet is escaped.
START, STOP = "\ue000", "\ue001"
_WORD = re.compile(r"\w+")
# What both databases' queries return, typed (a datetime from SQLite's text too).
RESULT_COLUMNS = (column("session_id", Integer), column("patient_id", Integer),
                  column("kind", String), column("starts_at", DateTime),
                  column("snippet", Text))


@dataclass(frozen=True)
class Hit:
    session_id: int
    patient_id: int
    patient_name: str
    kind: str
    starts_at: datetime
    snippet: Markup


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    terms: list[str]
    page: int
    has_next: bool


def terms_of(query: str) -> list[str]:
    """The words of a query as searched for (lower case, without operators or quotes)."""
    words = _WORD.findall(query[:MAX_QUERY_LENGTH].replace(START, " ").replace(STOP, " "))
    return list(dict.fromkeys(word.casefold() for word in words))[:MAX_TERMS]


def visible_patient_ids(db: Session, user: User, patient_id: int | None = None) -> list[int]:
    """The patients whose sessions the account may search: its own, those shared with it, and
    (administrators) those opened through emergency access that is still open."""
    member = exists().where(CareTeamMember.patient_id == Patient.id,
                            CareTeamMember.user_id == user.id,
                            CareTeamMember.revoked_at.is_(None))
    conditions = [Patient.therapist_id == user.id, member]
    if user.is_admin:
        conditions.append(exists().where(
            EmergencyAccess.patient_id == Patient.id, EmergencyAccess.user_id == user.id,
            EmergencyAccess.ended_at.is_(None), EmergencyAccess.expires_at > utcnow()))
    query = select(Patient.id).where(or_(*conditions))
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    return list(db.scalars(query))


def search(db: Session, user: User, query: str, *, patient_id: int | None = None,
           kind: str | None = None, page: int = 1, per_page: int = 20) -> Results:
    terms = terms_of(query)
    patient_ids = visible_patient_ids(db, user, patient_id) if terms else []
    if not terms or not patient_ids:
        return Results([], terms, 1, False)
    run = _sqlite if db.get_bind().dialect.name == "sqlite" else _postgresql
    rows = run(db, terms, patient_ids, kind, limit=per_page + 1,
               offset=(page - 1) * per_page)
    names = dict(db.execute(select(Patient.id, Patient.display_name)
                            .where(Patient.id.in_({row[1] for row in rows}))).all())
    hits = [Hit(sid, pid, names[pid], session_kind, starts_at, _marked(snippet))
            for sid, pid, session_kind, starts_at, snippet in rows[:per_page]]
    return Results(hits, terms, page, len(rows) > per_page)


def _marked(snippet: str) -> Markup:
    """The snippet escaped, then its match marks turned into <mark> elements."""
    safe = str(escape(snippet or ""))
    return Markup(safe.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 (escaped)


def _sqlite(db, terms, patient_ids, kind, *, limit, offset):
    # Each term a quoted string (quotes doubled), all required; the scope is matched in the
    # index itself, through the patient_id column, so that a common word stays cheap.
    words = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    scope = " OR ".join(f'"{pid}"' for pid in patient_ids)
    match = f"body : ({words}) AND patient_id : ({scope})"
    sql = text(
        "SELECT d.session_id, d.patient_id, d.kind, d.starts_at, "
        "snippet(search_fts, 0, :start, :stop, '…', 24) "
        "FROM search_fts JOIN search_documents d ON d.session_id = search_fts.rowid "
        "WHERE search_fts MATCH :match AND (:kind IS NULL OR d.kind = :kind) "
        "ORDER BY d.starts_at DESC, d.session_id DESC LIMIT :limit OFFSET :offset")
    params = {"start": START, "stop": STOP, "match": match, "kind": kind, "limit": limit,
              "offset": offset}
    return db.execute(sql.columns(*RESULT_COLUMNS), params).all()


def _postgresql(db, terms, patient_ids, kind, *, limit, offset):
    sql = text(
        "WITH hits AS (SELECT session_id, patient_id, kind, starts_at, body "
        "FROM search_documents, plainto_tsquery('english', :words) AS q "
        "WHERE tsv @@ q AND patient_id IN :patients AND (CAST(:kind AS text) IS NULL "
        "OR kind = :kind) ORDER BY starts_at DESC, session_id DESC LIMIT :limit OFFSET :offset) "
        "SELECT session_id, patient_id, kind, starts_at, ts_headline('english', body, "
        "plainto_tsquery('english', :words), :options) FROM hits "
        "ORDER BY starts_at DESC, session_id DESC"
    ).bindparams(bindparam("patients", expanding=True))
    params = {"words": " ".join(terms), "patients": patient_ids, "kind": kind, "limit": limit,
              "offset": offset, "options": f"StartSel={START}, StopSel={STOP}, "
              "MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""}
    return db.execute(sql.columns(*RESULT_COLUMNS), params).all()
