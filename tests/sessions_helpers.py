"""Shared builders for the session tests: a browser-like form reader, the page flow (course,
session, edit, save) and a fast way to build session history directly in the database."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tracker.courses.models import Course
from tracker.db import get_db
from tracker.sessions.models import PsychotherapyNote, TherapySession
from tracker.sessions.services import SESSION_PAGE_OPTIONS
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

# Browser form parsing -------------------------------------------------------------------

# Controls a browser never sends unless they are the button that was clicked.
_NOT_SENT = {"submit", "button", "image", "reset", "file"}


@dataclass
class _Form:
    attrs: dict
    fields: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects every <form> of a page with what a browser would submit for it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._option: list | None = None  # [value or None, selected, text parts]

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            self._form = _Form(attrs)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        disabled = "disabled" in attrs
        if tag == "input" and name and not disabled:
            kind = attrs.get("type", "text").lower()
            if kind in _NOT_SENT:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
                return
            self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name and not disabled:
            self._textarea = (name, [])
        elif tag == "select" and name and not disabled:
            self._select = (name, "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [attrs.get("value"), "selected" in attrs, []]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # HTML drops one newline right after <textarea>.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self._form.fields.append((name, text))
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, multiple, options = self._select
            chosen = [value for value, selected in options if selected]
            if not multiple and not chosen and options:
                chosen = [options[0][0]]  # A single select sends its first option.
            if not multiple:
                chosen = chosen[-1:]
            self._form.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        if self._option is not None and self._select is not None:
            value, selected, parts = self._option
            text = "".join(parts).strip()
            self._select[2].append((value if value is not None else text, selected))
        self._option = None


def page_forms(html: str) -> list[_Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_fields(html: str, *, form_id: str | None = None, action: str | None = None) -> dict:
    """The named form of a page as a browser would submit it: name -> value, or a list of
    values for names sent more than once (checked checkboxes of one group)."""
    for form in page_forms(html):
        if form_id is not None and form.attrs.get("id") != form_id:
            continue
        if action is not None and form.attrs.get("action") != action:
            continue
        return _as_dict(form)
    raise AssertionError(f"no form with id={form_id!r} action={action!r} on the page")


def _as_dict(form: _Form) -> dict:
    values: dict = {}
    for name, value in form.fields:
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered next to a field (ids like dosing-dose_mg,
    strategies-0-decision)."""
    match = re.search(rf'<ul class="field__errors" id="{re.escape(field_id)}-error">(.*?)</ul>',
                      html, re.S)
    if not match:
        return []
    return [_unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def fieldset(html: str, element_id: str) -> str:
    """The HTML of one <fieldset id=...> (a carried item)."""
    match = re.search(rf'<fieldset[^>]*id="{re.escape(element_id)}".*?</fieldset>', html, re.S)
    assert match, f"no fieldset {element_id} on the page"
    return match.group(0)


def text_of(html: str) -> str:
    """The page's text with tags removed and white space collapsed (for phrase checks)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", _unescape(without_tags)).strip()


def _unescape(value: str) -> str:
    import html as html_module

    return html_module.unescape(value)


# Page flow ------------------------------------------------------------------------------

SESSION_ID = re.compile(r"/sessions/(\d+)/edit$")


def make_course(client, patient_id: int, title: str = "Initial course", *,
                start: date = date(2026, 3, 1), planned: int = 6,
                medication: str = "racemic_ketamine", route: str = "im") -> int:
    """Create a course through its page; returns its id (read from the patient page)."""
    path = f"/patients/{patient_id}/courses/new"
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = only_post_form(page.get_data(as_text=True))
    data.update(title=title, start_date=start.isoformat(), planned_dosing_sessions=str(planned),
                default_medication=medication, default_route=route, status="active")
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    show = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    ids = re.findall(rf"/patients/{patient_id}/courses/(\d+)/edit", show)
    assert ids, "the new course is not listed on the patient page"
    return max(int(i) for i in ids)


def only_post_form(html: str) -> dict:
    """The page's main POST form (the one that is not the logout button)."""
    for form in page_forms(html):
        if (form.attrs.get("method", "get").lower() == "post"
                and form.attrs.get("action") != "/logout"):
            return _as_dict(form)
    raise AssertionError("no POST form on the page")


def start_session(client, patient_id: int, course_id: int, kind: str, day: date, *,
                  start_time: str = "10:00", duration: int = 50) -> int:
    """Start a session through the new-session page; returns the new session's id."""
    path = f"/patients/{patient_id}/sessions/new"
    data = only_post_form(client.get(path).get_data(as_text=True))
    data.update(course_id=str(course_id), kind=kind, session_date=day.isoformat(),
                start_time=start_time, duration_minutes=str(duration))
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = SESSION_ID.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def edit_page(client, session_id: int, query: str = "") -> tuple[str, dict]:
    """GET the edit page: (html, the session form as a browser would submit it)."""
    response = client.get(f"/sessions/{session_id}/edit{query}")
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    html = response.get_data(as_text=True)
    return html, form_fields(html, form_id="session-form")


def carried_ids(form: dict, prefix: str) -> dict[int, int]:
    """item id -> entry index for one list of carried items (strategies, beliefs, themes)."""
    found = {}
    for name, value in form.items():
        match = re.fullmatch(rf"{prefix}-(\d+)-item_id", name)
        if match:
            found[int(value)] = int(match.group(1))
    return found


def decide(form: dict, prefix: str, item_id: int, decision: str, **values) -> dict:
    """Set the decision (and other sub-fields) of one carried item in a parsed form."""
    index = carried_ids(form, prefix)[item_id]
    form[f"{prefix}-{index}-decision"] = decision
    for name, value in values.items():
        form[f"{prefix}-{index}-{name}"] = str(value)
    return form


def decide_all(form: dict, *, strategies="continue", beliefs="strengthening",
               themes="raised") -> dict:
    """Give every carried item without a decision the given one."""
    for prefix, decision in (("strategies", strategies), ("beliefs", beliefs),
                             ("themes", themes)):
        for index in carried_ids(form, prefix).values():
            form.setdefault(f"{prefix}-{index}-decision", decision)
    return form


def save(client, session_id: int, form: dict, button: str = "save"):
    """POST the edit form with one of its submit buttons, as a browser does."""
    data = {**form, button: "1"}
    return client.post(f"/sessions/{session_id}/edit", data=data)


def save_page(client, session_id: int, button: str = "save", **changes):
    """Open the edit page, decide every undecided carried item, apply changes, save."""
    _, form = edit_page(client, session_id)
    decide_all(form)
    form.update({name: str(value) for name, value in changes.items()})
    response = save(client, session_id, form, button)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:3000]
    return response


def sign(client, session_id: int):
    """Sign through the session page's sign form."""
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    data = form_fields(html, action=f"/sessions/{session_id}/sign")
    return client.post(f"/sessions/{session_id}/sign", data=data)


def post_with_token(client, path: str, data: dict | None = None):
    """POST with the client's CSRF token (read from the patient list, like any page)."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/patients/"),
                                   **(data or {})})


# Database builders ----------------------------------------------------------------------


def db_course(db, patient_id: int, title: str = "Course", start: date = date(2026, 1, 1)) -> Course:
    course = Course(patient_id=patient_id, title=title, start_date=start,
                    planned_dosing_sessions=6, default_medication="racemic_ketamine",
                    default_route="im")
    db.add(course)
    db.flush()
    return course


def db_session(db, user_id: int, course: Course, kind: str, starts_at: datetime,
               **fields) -> TherapySession:
    session = TherapySession(patient_id=course.patient_id, course_id=course.id, kind=kind,
                             starts_at=starts_at,
                             duration_minutes=fields.pop("duration_minutes", 50),
                             created_by_id=user_id, **fields)
    db.add(session)
    db.flush()
    return session


def build_history(db, user_id: int, patient_id: int, n_sessions: int, *,
                  start: datetime = datetime(2025, 1, 6, 10, 0)) -> dict:
    """n signed-off looking sessions (alternating dosing and integration) in which a
    strategy, a belief and a theme are reviewed every time, with addenda and private notes;
    returns the ids. Built directly in the database: fast, whatever n."""
    course = db_course(db, patient_id, "History course", start.date())
    sessions = []
    for i in range(n_sessions):
        kind = "dosing" if i % 2 == 0 else "integration"
        follows = sessions[-1].id if kind == "integration" else None
        sessions.append(db_session(db, user_id, course, kind, start + timedelta(days=7 * i),
                                   follows_dosing_id=follows, summary=f"History {i}"))
    first = sessions[0]
    strategy = Strategy(patient_id=patient_id, category="nature", description="Walk by the river",
                        target_per_week=5, first_session_id=first.id)
    belief = Belief(patient_id=patient_id, old_belief="I have to earn love",
                    new_belief="I am worth care as I am", first_session_id=first.id)
    theme = Theme(patient_id=patient_id, label="the ocean", category="imagery",
                  first_session_id=first.id)
    db.add_all([strategy, belief, theme])
    db.flush()
    rows = []
    for i, session in enumerate(sessions):
        rows += [
            StrategyReview(session_id=session.id, strategy_id=strategy.id, decision="continue",
                           times_practised=i % 6, helpfulness=i % 10),
            BeliefRating(session_id=session.id, belief_id=belief.id, decision="emerging",
                         old_conviction=60, new_conviction=40),
            ThemeMention(session_id=session.id, theme_id=theme.id, decision="raised",
                         notes=f"Mention {i}"),
            PsychotherapyNote(session_id=session.id, author_id=user_id, body=f"Private {i}"),
        ]
    db.add_all(rows)
    db.flush()
    return {"course": course.id, "sessions": [s.id for s in sessions], "strategy": strategy.id,
            "belief": belief.id, "theme": theme.id}


def load_session(db, session_id: int) -> TherapySession:
    """A session as the pages load it (every collection the carry-forward reads)."""
    return db.scalars(select(TherapySession).where(TherapySession.id == session_id)
                      .options(*SESSION_PAGE_OPTIONS)).unique().one()


@contextmanager
def database(app):
    """A database session in its own app context, for tests that also make requests.

    (The `db` fixture keeps an app context pushed for the whole test: requests made
    meanwhile would share its `g`, hence its database session and CSRF token.)"""
    with app.app_context():
        yield get_db()


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


