from wtforms import BooleanField, EmailField, StringField, SubmitField
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
    submit = SubmitField("Save settings")
