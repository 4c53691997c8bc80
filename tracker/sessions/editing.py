"""Between the session form and the services: initial values, entry alignment with the
carried items, and the validated input."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.checkins.reports import Report
from tracker.converters import MAX_ID
from tracker.dosing.services import dosing_form_data
from tracker.sessions.forms import SessionForm
from tracker.sessions.kinds import DOSING_CODES
from tracker.sessions.models import TherapySession
from tracker.sessions.services import SessionInput
from tracker.threads.carry import CarriedItem, Carry
from tracker.threads.forms import DETAIL_FIELDS, NewBeliefForm, NewStrategyForm, NewThemeForm

# One open copy of the page (a browser tab) names its autosaves with this.
EDITOR_ID = re.compile(r"^[0-9a-f]{16,32}$")


def bounded_int(raw: str | None) -> int | None:
    """A version number as posted, or None when it is not one a database can hold."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def new_editor_id() -> str:
    """Identifies one open copy of the page (one tab) for its autosaves."""
    return secrets.token_hex(12)


def initial_data(session: TherapySession, carry: Carry, private_notes: str) -> dict:
    """What the page shows for a saved session: its values and this session's decisions.
    Nothing from earlier notes is copied: carried items start without a decision."""
    course = session.course
    data = {
        "editor_id": new_editor_id(),
        "version": session.version,
        "session_date": session.starts_at.date(),
        "start_time": session.starts_at.time(),
        "duration_minutes": session.duration_minutes,
        "follows_dosing_id": session.follows_dosing_id or 0,
        "intention": session.intention,
        "summary": session.summary,
        "private_notes": private_notes,
        "strategies": [_strategy_values(item) for item in carry.strategies],
        "beliefs": [_belief_values(item) for item in carry.beliefs],
        "themes": [_theme_values(item) for item in carry.themes],
        **added_values(session, carry),
    }
    if session.kind_spec.has_dosing:
        data["dosing"] = dosing_form_data(session.dosing,
                                          default_medication=course.default_medication,
                                          default_route=course.default_route)
    return data


def _strategy_values(item: CarriedItem) -> dict:
    values = {"item_id": item.record.id, "new_category": item.record.category}
    review = item.current
    if review is not None:
        values.update(decision=review.decision, times_practised=review.times_practised,
                      helpfulness=review.helpfulness, barriers=review.barriers)
        if review.new_strategy is not None:
            values.update(new_category=review.new_strategy.category,
                          new_description=review.new_strategy.description,
                          new_target=review.new_strategy.target_per_week)
    return values


def _belief_values(item: CarriedItem) -> dict:
    values = {"item_id": item.record.id}
    if item.current is not None:
        rating = item.current
        values.update(decision=rating.decision, old_conviction=rating.old_conviction,
                      new_conviction=rating.new_conviction, note=rating.note)
    return values


def _theme_values(item: CarriedItem) -> dict:
    values = {"item_id": item.record.id}
    if item.current is not None:
        values.update(decision=item.current.decision, notes=item.current.notes)
    return values


def configure(db: Session, form: SessionForm, session: TherapySession, carry: Carry) -> bool:
    """Fit the form to this session. Returns False when the carried items in the form are
    not the ones carried now (the open items changed while the page was open)."""
    if session.kind_spec.has_dosing:
        form.dosing.form.patient_weight = session.patient.weight_kg
    if session.kind_spec.follows_dosing:
        dosing_sessions = db.scalars(
            select(TherapySession).where(TherapySession.course_id == session.course_id,
                                         TherapySession.kind.in_(DOSING_CODES))
            .order_by(TherapySession.starts_at)).all()
        form.follows_dosing_id.choices = [SelectChoice(0, "— none —")] + [
            SelectChoice(s.id, f"Dose {n} · {dates.show(s.starts_at, 'iso')}")
            for n, s in enumerate(dosing_sessions, 1)
        ]
    else:
        del form.follows_dosing_id
    if not form.editor_id.data:
        form.editor_id.data = new_editor_id()
    matches = [_align(form[name], [{"item_id": item.record.id} for item in items])
               for name, items in (("strategies", carry.strategies),
                                   ("beliefs", carry.beliefs), ("themes", carry.themes))]
    matches += [_align(form[name], items) for name, items in added_values(session,
                                                                          carry).items()]
    return all(matches)


def added_values(session: TherapySession, carry: Carry) -> dict[str, list[dict]]:
    """The items added in this draft as their editable fields (a theme's notes and a belief's
    convictions are on this session's mention and rating)."""
    mentions = {m.theme_id: m for m in session.theme_mentions}
    ratings = {r.belief_id: r for r in session.belief_ratings}
    return {
        "added_themes": [
            {"item_id": t.id, "label": t.label, "category": t.category,
             "notes": mentions[t.id].notes if t.id in mentions else ""}
            for t in carry.added_themes],
        "added_beliefs": [
            {"item_id": b.id, "old_belief": b.old_belief, "new_belief": b.new_belief,
             "old_conviction": getattr(ratings.get(b.id), "old_conviction", None),
             "new_conviction": getattr(ratings.get(b.id), "new_conviction", None)}
            for b in carry.added_beliefs],
        "added_strategies": [
            {"item_id": s.id, "category": s.category, "description": s.description,
             "target_per_week": s.target_per_week}
            for s in carry.added_strategies],
    }


def _align(entries, items: list[dict]) -> bool:
    """Order the form's entries like `items` (each a dict of an item_id and the values an
    entry starts from), adding those missing. False when the form's items are not these."""
    by_id = {}
    for entry in entries.entries:
        by_id.setdefault(str(entry.form.item_id.data), entry)
    aligned = [by_id.get(str(item["item_id"])) or entries.append_entry(item) for item in items]
    matched = set(by_id) == {str(item["item_id"]) for item in items}
    entries.entries = aligned
    return matched


def session_input(form: SessionForm, session: TherapySession) -> SessionInput:
    """Copy the validated form into the service's input, field by field."""
    follows = getattr(form, "follows_dosing_id", None)
    dosing = getattr(form, "dosing", None)
    return SessionInput(
        version=form.version.data,
        starts_at=datetime.combine(form.session_date.data, form.start_time.data),
        duration_minutes=form.duration_minutes.data,
        follows_dosing_id=(follows.data or None) if follows is not None else None,
        intention=form.intention.data or "",
        summary=form.summary.data or "",
        private_notes=form.private_notes.data or "",
        dosing=dosing.form.dosing_data() if dosing is not None else None,
        strategies={int(e.form.item_id.data): e.form.data for e in form.strategies.entries},
        beliefs={int(e.form.item_id.data): e.form.data for e in form.beliefs.entries},
        themes={int(e.form.item_id.data): e.form.data for e in form.themes.entries},
        added={name: {int(e.form.item_id.data): e.form.data for e in form[name].entries}
               for name in ("added_themes", "added_beliefs", "added_strategies")},
        new_themes=[e.form.data for e in form.new_themes.entries if not e.form.is_blank()],
        new_beliefs=[e.form.data for e in form.new_beliefs.entries if not e.form.is_blank()],
        new_strategies=[e.form.data for e in form.new_strategies.entries
                        if not e.form.is_blank()],
    )


# Where "Add a theme" (belief, strategy) puts its blank block, by the button's value.
NEW_ITEM_LISTS = {"theme": "new_themes", "belief": "new_beliefs", "strategy": "new_strategies"}
BLANK_INDEX = "__index__"  # Replaced by the next index when a script adds a block.


def add_blank(form: SessionForm, kind: str) -> None:
    """One more blank block of new items of `kind`, up to the list's maximum."""
    entries = form[NEW_ITEM_LISTS[kind]]
    if len(entries.entries) < entries.max_entries:
        entries.append_entry()


def use_reported(form: SessionForm, strategy_id: str, report: Report) -> None:
    """Fill a carried strategy's "times practised" with the days the patient reported it
    practised (tracker/checkins/reports.py), as asked by the therapist's click; the field
    stays theirs to change."""
    for entry in form.strategies.entries:
        if str(entry.form.item_id.data) == strategy_id:
            field = entry.form.times_practised
            field.data = report.practice_of(int(strategy_id)).practised
            field.raw_data = [str(field.data)]
            field.errors = []


def blank_items() -> dict[str, object]:
    """A blank new-item form per kind, named with BLANK_INDEX: the page's <template> for
    adding a block without a round trip."""
    return {kind: form_class(prefix=f"{name}-{BLANK_INDEX}-")
            for (kind, name), form_class in zip(NEW_ITEM_LISTS.items(),
                                                (NewThemeForm, NewBeliefForm, NewStrategyForm),
                                                strict=True)}


def undecided_with_details(form: SessionForm) -> int:
    """How many carried items have something typed about them but no decision yet."""
    return sum(1 for name, fields in DETAIL_FIELDS.items() for entry in form[name].entries
               if not entry.form.decision.data
               and any(entry.form[field].data not in (None, "") for field in fields))


def posted_data(request_form) -> dict:
    """What the browser sent, kept as typed (for autosave and conflict copies)."""
    return {key: values for key, values in request_form.lists() if key != "csrf_token"}
