from flask import current_app
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from tracker.forms import BaseForm


class LoginForm(BaseForm):
    email = StringField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class CodeForm(BaseForm):
    """The second step of sign-in: a code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The six digits your authenticator app shows now, or one of your "
        "recovery codes.",
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                   "autocapitalize": "off"},
    )
    submit = SubmitField("Continue")


def password_policy(form, field):
    """Length is what matters (NIST SP 800-63B): at least the configured minimum."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(f"Use at least {minimum} characters.")
    if len(field.data) > 256:
        raise ValidationError("Use at most 256 characters.")


class NewPasswordMixin:
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), password_policy],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class SetPasswordForm(NewPasswordMixin, BaseForm):
    """The account holder's side of an administrator's password reset: the link's token,
    the new password and, when the account has two-factor login, one of the holder's
    codes (tracker/auth/resets.py decides whether it is needed)."""

    token = HiddenField(validators=[DataRequired(), Length(max=128)])
    code = StringField(
        "Code from your authenticator app",
        description="The six digits your app shows now, or one of your recovery codes.",
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "off"},
    )
    submit = SubmitField("Set my password")
