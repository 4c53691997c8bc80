from wtforms import PasswordField, SubmitField
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
