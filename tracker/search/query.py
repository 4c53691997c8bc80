"""Answering a search: any text is a valid query. It is cut into words (at most MAX_TERMS);
every word must appear (stemmed: "walks" finds "walking"); results are the sessions of the
patients the account may see, newest first, with the matching words marked in a snippet."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import DateTime, Integer, String, Text, bindparam, column, select, text
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.care_team import visible as care_team_visible
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


def visible_patients(db: Session, user: User) -> list[tuple[int, str, bool]]:
    """The patients whose sessions the account may search, by name: its own, those shared
    with it, and (administrators) those opened through emergency access that is still open.
    (id, display name, seen only through emergency access). One query."""
    return [tuple(row) for row in db.connection().execute(
        _visible_statement(user.is_admin), {"user_id": user.id, "now": utcnow()})]


@functools.cache
def _visible_statement(admin: bool):
    """Built once (making it costs more than running it); parameters user_id and now."""
    visible = care_team_visible.visible(
        bindparam("user_id"), emergency_at=bindparam("now") if admin else None)
    return (select(Patient.id, Patient.display_name,
                   visible.c.access == care_team_visible.EMERGENCY)
            .join(visible, visible.c.patient_id == Patient.id)
            .order_by(Patient.display_name, Patient.id))


def search(db: Session, patients: dict[int, str], query: str, *, kind: str | None = None,
           page: int = 1, per_page: int = 20) -> Results:
    """The sessions of these patients (id: display name, all visible to the account) that
    hold every word of the query, newest first; one query."""
    terms = terms_of(query)
    if not terms or not patients:
        return Results([], terms, 1, False)
    connection = db.connection()  # Plain rows.
    run = _sqlite if connection.dialect.name == "sqlite" else _postgresql
    rows = run(connection, terms, list(patients), kind, limit=per_page + 1,
               offset=(page - 1) * per_page)
    hits = [Hit(sid, pid, patients[pid], session_kind, starts_at, _marked(snippet))
            for sid, pid, session_kind, starts_at, snippet in rows[:per_page]]
    return Results(hits, terms, page, len(rows) > per_page)


def _marked(snippet: str) -> Markup:
    """The snippet escaped, then its match marks turned into <mark> elements."""
    safe = str(escape(snippet or ""))
    return Markup(safe.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 (escaped)


# The page of hits first; then the snippets of those alone, each document found again by its
# rowid (a snippet is made from the stored text, which costs far more than finding the
# match; CROSS JOIN keeps SQLite from matching everything a second time).
SQLITE_SEARCH = text(
    "WITH hits AS (SELECT d.session_id, d.patient_id, d.kind, d.starts_at "
    "FROM search_fts JOIN search_documents d ON d.session_id = search_fts.rowid "
    "WHERE search_fts MATCH :match AND (:kind IS NULL OR d.kind = :kind) "
    "ORDER BY d.starts_at DESC, d.session_id DESC LIMIT :limit OFFSET :offset) "
    "SELECT h.session_id, h.patient_id, h.kind, h.starts_at, "
    "snippet(search_fts, 0, :start, :stop, '…', 24) "
    "FROM hits h CROSS JOIN search_fts ON search_fts.rowid = h.session_id "
    "WHERE search_fts MATCH :words ORDER BY h.starts_at DESC, h.session_id DESC"
).columns(*RESULT_COLUMNS)
POSTGRESQL_SEARCH = text(
    "WITH hits AS (SELECT session_id, patient_id, kind, starts_at, body "
    "FROM search_documents, plainto_tsquery('english', :words) AS q "
    "WHERE tsv @@ q AND patient_id IN :patients AND (CAST(:kind AS text) IS NULL "
    "OR kind = :kind) ORDER BY starts_at DESC, session_id DESC LIMIT :limit OFFSET :offset) "
    "SELECT session_id, patient_id, kind, starts_at, ts_headline('english', body, "
    "plainto_tsquery('english', :words), :options) FROM hits "
    "ORDER BY starts_at DESC, session_id DESC"
).bindparams(bindparam("patients", expanding=True)).columns(*RESULT_COLUMNS)


def _sqlite(connection, terms, patient_ids, kind, *, limit, offset):
    # Each term a quoted string (quotes doubled), all required; the scope is matched in the
    # index itself, through the patient_id column, so that a common word stays cheap.
    words = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    scope = " OR ".join(f'"{pid}"' for pid in patient_ids)
    params = {"start": START, "stop": STOP, "words": f"body : ({words})",
              "match": f"body : ({words}) AND patient_id : ({scope})", "kind": kind,
              "limit": limit, "offset": offset}
    return connection.execute(SQLITE_SEARCH, params).all()


def _postgresql(connection, terms, patient_ids, kind, *, limit, offset):
    params = {"words": " ".join(terms), "patients": patient_ids, "kind": kind, "limit": limit,
              "offset": offset, "options": f"StartSel={START}, StopSel={STOP}, "
              "MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""}
    return connection.execute(POSTGRESQL_SEARCH, params).all()
