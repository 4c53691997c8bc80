from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from tracker.forms import BaseForm


class NewUserForm(BaseForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)]
    )
    is_admin = BooleanField("Administrator (manages accounts)")
    submit = SubmitField("Create account")


class PracticeSettingsForm(BaseForm):
    require_two_factor = BooleanField("Require two-factor login for everyone")
    # Choices are set by the view (the first names the zone used when none is chosen).
    timezone = SelectField("Practice time zone", validate_choice=True, default="",
                           description="Every date and time is shown in it, and “today” is "
                                       "its today. Each account may choose its own.")
    submit = SubmitField("Save settings")
