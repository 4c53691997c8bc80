"""Form base class and shared field helpers."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import Form, PasswordField, StringField

# C0 and C1 control characters other than tab, newline and carriage return (PostgreSQL
# refuses NUL; none of them is ever typed on purpose).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value):
    """Strip surrounding white space and control characters nobody types on purpose."""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value).strip()
    return value


class CleaningMeta:
    """Adds clean_text to every text field but passwords (FormField and FieldList take no
    filters: their sub-forms' own fields are cleaned)."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
            filters = (clean_text, *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, filters=filters, **options)
        return unbound_field.bind(form=form, **options)


class BaseForm(FlaskForm):
    """Every page form: CSRF-protected, text inputs cleaned before validation."""

    class Meta(CleaningMeta):
        pass


class SubForm(Form):
    """A form nested with FormField inside a BaseForm (which carries the CSRF token)."""

    class Meta(CleaningMeta):
        pass
