"""Form base class and shared field helpers."""

from __future__ import annotations

import re

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from wtforms import FieldList, Form, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

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
        if issubclass(field_class, SelectField) and not issubclass(field_class, RadioField):
            # HTML allows `required` on a select only when its first option is an empty
            # placeholder; ours start with a real choice, so the server alone checks them.
            render_kw = {**(unbound_field.kwargs.get("render_kw") or {}), "required": False}
            return unbound_field.bind(form=form, render_kw=render_kw, **options)
        return unbound_field.bind(form=form, **options)


class BaseForm(FlaskForm):
    """Every page form: CSRF-protected, text inputs cleaned before validation. Only
    url-encoded or multipart text fields are read: never a JSON body or uploaded files,
    whose values (numbers, objects, files) no field here expects."""

    class Meta(CleaningMeta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto:
                return request.form if request.method in SUBMIT_METHODS else None
            return formdata


class SubForm(Form):
    """A form nested with FormField inside a BaseForm (which carries the CSRF token)."""

    class Meta(CleaningMeta):
        pass


class SafeFieldList(FieldList):
    """FieldList that only reads ASCII indices of a sane length.

    WTForms accepts any key whose index part passes str.isdigit(), which is true of "²" and
    of 5000-digit strings, and then int() raises: a crafted key would be a server error."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 3:
                    yield int(index)


def finite_number(form, field):
    """NaN and infinities parse as decimals; stop before NumberRange compares them."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter a number.")


def choices(labels: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    """SelectChoice objects (tuples are deprecated since WTForms 3.3)."""
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(value, label) for value, label in labels.items()]


def zone_choices(blank: str) -> list[SelectChoice]:
    """Every IANA time zone, after a first choice that leaves the zone to the level above."""
    from tracker.dates import zone_names

    return [SelectChoice("", blank)] + [SelectChoice(name, name.replace("_", " "))
                                        for name in zone_names()]
