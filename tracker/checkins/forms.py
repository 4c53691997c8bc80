"""The patient's forms: the code, and the daily check-in (built per patient, one question
per active strategy)."""

from __future__ import annotations

from datetime import date

from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from tracker import dates
from tracker.checkins.models import PRACTISED, SCHEDULE_RULES
from tracker.forms import BaseForm
from tracker.measures.instruments import all_instruments
from tracker.threads.models import Strategy

MESSAGE_CHARS = 1000
SCALE = [SelectChoice(n, str(n)) for n in range(11)]


class AccessCodeForm(BaseForm):
    code = StringField("Access code", validators=[DataRequired("Enter the code your therapist "
                                                               "gave you."), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
    submit = SubmitField("Open")


def _day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    return dates.show(day, "weekday")


def checkin_form(strategies: list[Strategy], days: list[date]) -> type[BaseForm]:
    """The day, one "practised?" and one optional "how helpful?" per strategy, the mood and
    one optional line for the therapist."""

    class CheckinForm(BaseForm):
        day = SelectField("Which day is this for?", validators=[InputRequired()],
                          choices=[SelectChoice(d.isoformat(), _day_label(d, days[0]))
                                   for d in days])
        mood = RadioField("Your mood today, from 0 (very low) to 10 (very good)",
                          coerce=int, choices=SCALE,
                          validators=[InputRequired("Choose a number for your mood.")])
        message = TextAreaField("Anything you'd like me to know? (optional)",
                                validators=[Optional(), Length(max=MESSAGE_CHARS)],
                                render_kw={"rows": 3, "maxlength": MESSAGE_CHARS})
        submit = SubmitField("Send check-in")

        def strategy_fields(self):
            return [(s, self[f"practised_{s.id}"], self[f"helpful_{s.id}"]) for s in strategies]

    for strategy in strategies:
        setattr(CheckinForm, f"practised_{strategy.id}", RadioField(
            strategy.description, choices=[SelectChoice(code, label)
                                           for code, label in PRACTISED.items()],
            validators=[InputRequired("Choose yes, a little or no.")]))
        setattr(CheckinForm, f"helpful_{strategy.id}", SelectField(
            "How helpful was it? (optional)", coerce=lambda v: int(v) if v not in ("", None)
            else None, choices=[SelectChoice("", "—")] + SCALE, validators=[Optional()]))
    return CheckinForm


class LinkForm(BaseForm):
    """A new check-in link; with reminders set up (MAIL_SERVER), where they may go."""

    reminder_email = EmailField(
        "Email for reminders (optional)",
        validators=[Optional(), Length(max=254),
                    Email("Give an email address such as name@example.org, or leave it "
                          "empty.", check_deliverability=False)],
        description="Only if the patient wants reminders: a neutral line naming the "
                    "practice, no clinical word. It is the patient's contact data.",
        render_kw={"autocomplete": "off"})
    submit = SubmitField("Make a check-in link")


class NextSessionForm(BaseForm):
    next_session_on = DateField("Next planned session", validators=[Optional()])
    submit = SubmitField("Save date")


class ScheduleForm(BaseForm):
    """A questionnaire for home: which, by which rule, with its number of days."""

    instrument = SelectField("Questionnaire", validators=[InputRequired()])
    rule = SelectField("When", choices=[SelectChoice(code, label)
                                        for code, label in SCHEDULE_RULES.items()],
                       validators=[InputRequired()])
    days = IntegerField("N (days)", validators=[Optional(), NumberRange(0, 365)],
                        description="For every N days, N days after dosing and N days "
                                    "before the next session.")
    starts_on = DateField("Starting", validators=[Optional()],
                          description="Empty: today.")
    submit = SubmitField("Schedule")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument.choices = [SelectChoice(i.code, i.name) for i in all_instruments()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.rule.data == "every" and not self.days.data:
            self.days.errors = [*self.days.errors, "Give N: every how many days (1 or more)."]
            return False
        return valid
