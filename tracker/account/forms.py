from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.auth.forms import NewPasswordMixin
from tracker.forms import BaseForm


class ChangePasswordForm(BaseForm, NewPasswordMixin):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Change password")


def _code_field(label: str, description: str) -> StringField:
    return StringField(
        label,
        description=description,
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "off"},
    )


class StartTwoFactorForm(BaseForm):
    """A button: a fresh secret is made by a POST, never by looking at a page."""

    submit = SubmitField("Set up two-factor login")


class ConfirmTwoFactorForm(BaseForm):
    code = _code_field("Code from the app",
                       "The six digits the app shows for this account now.")
    submit = SubmitField("Turn on two-factor login")


class ReauthenticateForm(BaseForm):
    """Both factors again, for turning two-factor login off or replacing recovery codes."""

    password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field("Code",
                       "The six digits your authenticator app shows now, or a recovery code.")
    submit = SubmitField("Confirm")


class TimeZoneForm(BaseForm):
    # Choices are set by the view (the first names the practice's zone).
    timezone = SelectField("Your time zone", validate_choice=True, default="",
                           description="The dates and times you see, and what “today” is for "
                                       "you. Leave it on the practice's unless you work from "
                                       "another zone.")
    submit = SubmitField("Save time zone")
