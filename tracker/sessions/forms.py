"""The session forms: starting one, documenting it (details, dosing, carried items, new
items, the notes), signing it and adding an addendum."""

from __future__ import annotations

from datetime import time

from wtforms import (
    DateField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from tracker import dates
from tracker.converters import MAX_ID
from tracker.courses.forms import plausible_session_date
from tracker.dosing.forms import DosingForm
from tracker.forms import BaseForm, SafeFieldList, choices
from tracker.sessions.kinds import KINDS
from tracker.threads.forms import (
    AddedBeliefForm,
    AddedStrategyForm,
    AddedThemeForm,
    BeliefReviewForm,
    NewBeliefForm,
    NewStrategyForm,
    NewThemeForm,
    StrategyReviewForm,
    ThemeReviewForm,
)

_DB_INT = NumberRange(min=1, max=MAX_ID, message="This page is out of date; reload it.")
# New items start collapsed to their "Add" button: as many as needed, up to this many.
MAX_NEW_ITEMS = 10


class NewSessionForm(BaseForm):
    """The first step of a session: which course, what kind, when. The documentation page
    (with every open item carried forward) follows."""

    course_id = SelectField("Course", coerce=int, validators=[InputRequired()])
    kind = SelectField("Kind of session",
                       choices=choices({k.code: k.choice_label for k in KINDS.values()}),
                       validators=[InputRequired()])
    session_date = DateField("Date", validators=[InputRequired(), plausible_session_date],
                             default=dates.today)
    start_time = TimeField("Start time", validators=[InputRequired()], default=lambda: time(10))
    duration_minutes = IntegerField("Duration (minutes)", default=50,
                                    validators=[InputRequired(), NumberRange(min=1, max=720)])
    submit = SubmitField("Start documenting")


class SessionForm(BaseForm):
    editor_id = HiddenField(validators=[Regexp(r"^[0-9a-f]{16,32}$")])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), _DB_INT])
    # The unsaved copy (autosave or refused save) this form was restored from, if any.
    restored_from = IntegerField(widget=HiddenInput(), validators=[Optional(), _DB_INT])
    session_date = DateField("Date", validators=[InputRequired(), plausible_session_date])
    start_time = TimeField("Start time", validators=[InputRequired()])
    duration_minutes = IntegerField("Duration (minutes)",
                                    validators=[InputRequired(), NumberRange(min=1, max=720)])
    follows_dosing_id = SelectField("Follows dosing session", coerce=int, validate_choice=True,
                                    validators=[Optional()])
    intention = TextAreaField(
        "Intention", validators=[Length(max=5000)], render_kw={"rows": 3},
        description="Simple, future-focused, tied to the patient's values; "
                    "in the patient's own words.")
    summary = TextAreaField("Summary (progress note)", validators=[Length(max=20000)],
                            render_kw={"rows": 8})
    private_notes = TextAreaField(
        "Psychotherapy notes (private)", validators=[Length(max=50000)], render_kw={"rows": 6},
        description="Your own process notes. Kept apart from the progress record, visible "
                    "only to you, never exported or summarised unless you ask explicitly.")
    strategies = SafeFieldList(FormField(StrategyReviewForm))
    beliefs = SafeFieldList(FormField(BeliefReviewForm))
    themes = SafeFieldList(FormField(ThemeReviewForm))
    # Items added in this draft, edited in place (aligned with the carry's added items).
    added_themes = SafeFieldList(FormField(AddedThemeForm))
    added_beliefs = SafeFieldList(FormField(AddedBeliefForm))
    added_strategies = SafeFieldList(FormField(AddedStrategyForm))
    new_themes = SafeFieldList(FormField(NewThemeForm), max_entries=MAX_NEW_ITEMS)
    new_beliefs = SafeFieldList(FormField(NewBeliefForm), max_entries=MAX_NEW_ITEMS)
    new_strategies = SafeFieldList(FormField(NewStrategyForm), max_entries=MAX_NEW_ITEMS)
    save = SubmitField("Save draft")
    save_and_review = SubmitField("Save and review for signing")


class DosingSessionForm(SessionForm):
    """A dosing session's form: the session form and its dosing record (only built where
    there is one: it holds more fields than the rest of the page)."""

    dosing = FormField(DosingForm)


def session_form_class(session) -> type[SessionForm]:
    return DosingSessionForm if session.kind_spec.has_dosing else SessionForm


class AddendumForm(BaseForm):
    body = TextAreaField("Addendum", validators=[InputRequired(), Length(max=20000)],
                         render_kw={"rows": 4},
                         description="Dated and signed with your name; the original stays "
                                     "as it was.")
    submit = SubmitField("Add addendum")


class SignForm(BaseForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), _DB_INT])
    submit = SubmitField("Sign and lock")


