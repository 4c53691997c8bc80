"""The questionnaire form: every item with its response options, built per instrument."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from tracker import dates
from tracker.forms import BaseForm
from tracker.measures.questionnaire import Instrument


def not_in_future(form, field):
    if field.data is not None and field.data > dates.today():
        raise ValidationError("The date cannot be in the future.")


def questionnaire_form(instrument: Instrument) -> type[BaseForm]:
    """A form class with one radio group per item (item_1 ... item_N)."""

    class QuestionnaireForm(BaseForm):
        course_id = SelectField("Course", coerce=int, validators=[InputRequired()])
        session_id = SelectField("Taken at session", coerce=int,
                                 description="Or leave “between sessions” and give the date.")
        # Optional here: taken at a session, it is that session's date (services.py).
        taken_on = DateField("Date answered", default=dates.today,
                             validators=[Optional(), not_in_future],
                             description="Taken at a session: that session's date.")
        # The incomplete questionnaire kept for its safety answer, completed by this form.
        partial_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])
        submit = SubmitField("Save and score")
        difficulty = None  # Replaced by a field where the instrument has the question.
        index_event = None  # Likewise.

        def item_fields(self):
            return [self[f"item_{n}"] for n in range(1, len(instrument.items) + 1)]

        def answers(self) -> list[int | None]:
            return [field.data for field in self.item_fields()]

        def unanswered(self) -> list[int]:
            return [n for n, field in enumerate(self.item_fields(), 1) if field.data is None]

        def only_items_unanswered(self) -> bool:
            """True when the one thing wrong is that some items have no answer."""
            blank = {field.name for field in self.item_fields() if not field.raw_data}
            return bool(blank) and set(self.errors) <= blank

        def partial(self) -> int | None:
            return int(self.partial_id.data) if self.partial_id.data else None

    choices = [SelectChoice(option.value, option.label) for option in instrument.options]
    if instrument.difficulty_question:
        QuestionnaireForm.difficulty = RadioField(
            instrument.difficulty_question, coerce=int, validators=[Optional()],
            choices=[SelectChoice(o.value, o.label) for o in instrument.difficulty_options])
    if instrument.event_question:
        QuestionnaireForm.index_event = TextAreaField(
            instrument.event_question, validators=[Optional(), Length(max=1000)],
            render_kw={"rows": 2}, filters=[lambda text: text.strip() if text else text],
            description="Optional. Clinical text: kept in the record, never in logs.")
    for number, text in enumerate(instrument.items, 1):
        setattr(QuestionnaireForm, f"item_{number}", RadioField(
            f"{number}. {text}", choices=choices, coerce=int,
            validators=[InputRequired(message=f"Answer item {number}.")]))
    return QuestionnaireForm


class FollowUpForm(BaseForm):
    followed_up_on = DateField("Date of the follow-up", default=dates.today,
                               validators=[InputRequired(), not_in_future])
    action = TextAreaField("What was done", validators=[DataRequired(), Length(max=5000)],
                           render_kw={"rows": 4},
                           description="For example: safety assessment in session, safety "
                                       "plan reviewed, crisis line given, prescriber informed.")
    submit = SubmitField("Record follow-up")
