"""The form controls written from plain values (tracker/controls.py) are exactly what the
WTForms widgets write: for every field of every form of the app, empty, filled with awkward
text and after validation (errors, typed values kept), with the field macros' arguments."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form, RadioField
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice

import tracker
from tracker import controls
from tracker.forms import BaseForm, SubForm
from tracker.sessions.forms import SessionForm

# The field macros as they were, over WTForms' widgets: the reference.
WIDGET_MACROS = (Path(__file__).parent / "support" / "widget_macros.html").read_text()
AWKWARD = 'a "quoted" <b>&amp; 5</b> \u2019'
CALLS = [{}, {"class_": "field__input"},
         {"class_": "field__input", "aria-describedby": "x-hint x-error", "aria-invalid": "true"},
         {"aria-describedby": Markup('safe "x"')}]


def _form_classes() -> list[type[Form]]:
    for module in pkgutil.walk_packages(tracker.__path__, "tracker."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return sorted({*subclasses(BaseForm), *subclasses(SubForm)}, key=lambda c: c.__qualname__)


def _leaves(form):
    """Every field of `form`, into its sub-forms and lists."""
    for field in form:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from _leaves(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield field


def _awkward_data(form) -> MultiDict:
    """Every field posted with text a browser could send, and every choice field with its
    second choice (or the awkward text when there is none)."""
    data = MultiDict()
    for field in _leaves(form):
        choices = list(getattr(field, "choices", None) or [])
        value = choices[1].value if len(choices) > 1 else AWKWARD
        data.add(field.name, str(value))
    return data


def _forms(cls, app):
    """The form empty, with a choice of each select given, and filled and validated."""
    blank = cls(formdata=None) if issubclass(cls, BaseForm) else cls()
    yield blank
    filled = cls(formdata=_awkward_data(_with_entries(cls(formdata=None))))
    for field in _leaves(filled):
        if hasattr(field, "choices") and not field.choices:
            field.choices = [SelectChoice("1", "One"), SelectChoice("2", AWKWARD)]
    filled.validate()
    yield filled


def _with_entries(form):
    for field in form:
        if isinstance(field, FieldList):
            field.append_entry()
    return form


@pytest.mark.parametrize("cls", _form_classes(), ids=lambda cls: cls.__qualname__)
def test_every_field_is_written_as_its_widget_writes_it(app, cls):
    plain = app.jinja_env.get_template("_macros.html").module
    widget = app.jinja_env.from_string(WIDGET_MACROS).module
    with app.test_request_context("/"):
        for form in _forms(cls, app):
            for field in _leaves(form):
                if isinstance(field, RadioField):
                    assert plain.choice_group(field, "L") == widget.choice_group(field, "L")
                else:
                    assert plain.field(field, "x") == widget.field(field, "x"), field.name
                for call in CALLS:
                    assert controls.control(field, **call) == field(**call), (field.name, call)
                assert controls.label(field, class_="field__label") == field.label(
                    class_="field__label"), field.name
                if isinstance(field, RadioField):
                    assert controls.radios(field) == [(option(), option.label.text)
                                                      for option in field], field.name
            if isinstance(form, BaseForm):
                assert controls.hidden_controls(form) == form.hidden_tag()


def test_the_session_forms_fields_are_written_without_their_widgets(app, monkeypatch):
    """The carry-forward page's fields all take the plain path: none falls back to WTForms
    (whose rendering is made to fail here)."""
    def no_widget(field, **kwargs):
        raise AssertionError(f"{field.name} was rendered by its widget")

    with app.test_request_context("/"):
        form = _with_entries(SessionForm(formdata=None))
        form.follows_dosing_id.choices = [SelectChoice(0, "— none —")]
        monkeypatch.setattr(Field, "__call__", no_widget)
        for field in _leaves(form):
            if isinstance(field, RadioField):
                assert controls.radios(field)
            else:
                assert controls.control(field, class_="field__input")
                assert controls.label(field)
        assert controls.hidden_controls(form)
