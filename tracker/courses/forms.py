"""The course form, and the date check shared with the session forms."""


from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from tracker import dates
from tracker.dosing.models import MEDICATIONS, ROUTES
from tracker.forms import BaseForm, choices

COURSE_STATUS_LABELS = {"planned": "Planned", "active": "Active", "completed": "Completed",
                        "discontinued": "Discontinued"}


def plausible_session_date(form, field):
    """A mistyped year would reorder the course (and what counts as the last session)."""
    if field.data is None:
        return
    if field.data.year < 1990:
        raise ValidationError("Check the year: sessions before 1990 are not plausible.")
    if (field.data - dates.today()).days > 366:
        raise ValidationError("Check the year: that is more than a year from now.")


class CourseForm(BaseForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)],
                        description="For example “Initial course” or “Booster series, spring”.")
    start_date = DateField("Start date", validators=[InputRequired()])
    planned_dosing_sessions = IntegerField(
        "Planned dosing sessions", validators=[InputRequired(), NumberRange(min=1, max=24)],
        description="Often 3 to 6.")
    default_medication = SelectField("Usual medication", choices=choices(MEDICATIONS))
    default_route = SelectField("Usual route", choices=choices(ROUTES))
    status = SelectField("Status", choices=choices(COURSE_STATUS_LABELS),
                         default="active")
    submit = SubmitField("Save course")

    def course_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "title", "start_date", "planned_dosing_sessions", "default_medication",
            "default_route", "status")}
