"""Form controls written straight from a field's values, for the templates' field macros
(templates/_macros.html): the markup WTForms' widgets write, attribute for attribute and in
the same order, without their per-call cost (a `dir()` of the field's flags, a pure-Python
`Markup.format` for each attribute, and for a radio group a new field object per option:
about 0.15 ms an input, 0.7 ms a group, most of the carry-forward page's time).

Only the widgets listed here are written this way, and only their exact classes; any other
widget (a subclass, a list widget, a field with a datalist) is rendered by WTForms itself.
tests/test_form_controls.py compares both renderings, field by field, for every form."""

from __future__ import annotations

import re
from typing import NamedTuple

from markupsafe import Markup
from wtforms import widgets
from wtforms.widgets.core import clean_key

# markupsafe.escape's replacements, applied by one str.translate (where there is any).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})
_SPECIAL = re.compile("[&<>'\"]")
_INPUTS = (widgets.TextInput, widgets.NumberInput, widgets.HiddenInput, widgets.DateInput,
           widgets.TimeInput, widgets.EmailInput, widgets.SubmitInput, widgets.CheckboxInput)


def _attributes(attrs: dict) -> str:
    """WTForms' html_params: sorted; True as a bare name, False left out; values escaped
    (and a quote inside a value already marked safe too)."""
    parts = []
    for key in sorted(attrs):
        value = attrs[key]
        if value is True:
            parts.append(key)
        elif value is not False:
            text = _escaped(value)
            if '"' in text:  # (Only in markup given as safe.)
                text = text.replace('"', "&quot;")
            parts.append(f'{key}="{text}"')
    return " ".join(parts)


def _escaped(value) -> str:
    """What markupsafe.escape gives, as a plain string: markup already safe kept as it is,
    anything else as text with & < > ' " replaced."""
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    text = str(value)
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def _html(text: str) -> Markup:
    """Markup made here: every value in it went through escape() (_attributes, the texts)."""
    return Markup(text)  # noqa: S704 (see above)


def _options(field, kwargs: dict) -> dict:
    """The attributes given at the call, over the field's render_kw (Meta.render_field)."""
    attrs = {clean_key(key): value for key, value in (field.render_kw or {}).items()}
    attrs.update((clean_key(key), value) for key, value in kwargs.items())
    return attrs


def _flags(field, attrs: dict, names, call: bool = False) -> None:
    """The validators' flags the widget turns into attributes (required, maxlength, min...)."""
    for key, value in vars(field.flags).items():
        if key in names and key not in attrs:
            attrs[key] = value() if call and callable(value) else value


def _input(widget, field, attrs: dict) -> Markup:
    if type(widget) is widgets.CheckboxInput and getattr(field, "checked", field.data):
        attrs.setdefault("checked", True)
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if type(widget) is widgets.NumberInput:
        for key in ("step", "min", "max"):
            if getattr(widget, key) is not None:
                attrs.setdefault(key, getattr(widget, key))
    if type(widget) is widgets.SubmitInput:
        attrs.setdefault("value", field.label.text)
    if "value" not in attrs:
        attrs["value"] = field._value()
    _flags(field, attrs, widget.validation_attrs, call=True)
    attrs["name"] = field.name
    return _html(f"<input {_attributes(attrs)}>")


def _textarea(widget, field, attrs: dict) -> Markup:
    attrs.setdefault("id", field.id)
    _flags(field, attrs, widget.validation_attrs)
    attrs["name"] = field.name
    return _html(f"<textarea {_attributes(attrs)}>\r\n{_escaped(field._value())}</textarea>")


def _select(widget, field, attrs: dict) -> Markup:
    attrs.setdefault("id", field.id)
    _flags(field, attrs, widget.validation_attrs)
    attrs["name"] = field.name
    html = [f"<select {_attributes(attrs)}>"]
    for choice in field._iter_choices_normalized():
        option = {"value": str(choice.value) if isinstance(choice.value, bool) else choice.value,
                  **(choice.render_kw or {})}
        if choice.selected:
            option["selected"] = True
        html.append(f"<option {_attributes(option)}>{_escaped(choice.label or choice.value)}"
                    "</option>")
    html.append("</select>")
    return _html("".join(html))


def _writer(field):
    widget = field.widget
    if getattr(field, "_datalist", None) is not None:
        return None
    if type(widget) in _INPUTS:
        return _input
    if type(widget) is widgets.TextArea:
        return _textarea
    if (type(widget) is widgets.Select and not widget.multiple
            and not field.has_groups()):
        return _select
    return None


def control(field, **kwargs) -> Markup:
    """What `field(**kwargs)` renders."""
    write = _writer(field)
    if write is None:
        return field(**kwargs)
    return write(field.widget, field, _options(field, kwargs))


def label(field, **kwargs) -> Markup:
    """What `field.label(**kwargs)` renders."""
    attrs = {key: value for key, value in kwargs.items() if key != "for_"}
    attrs.setdefault("for", kwargs.get("for_", field.label.field_id))
    attrs = {clean_key(key): value for key, value in attrs.items()}
    inside = f" {_attributes(attrs)}" if any(v is not False for v in attrs.values()) else ""
    return _html(f"<label{inside}>{_escaped(field.label.text)}</label>")


def radios(field) -> list[tuple[Markup, str]]:
    """A radio field's options as (input, label text): what iterating the field yields,
    rendered, without an option field object each."""
    if type(field.option_widget) is not widgets.RadioInput:
        return [(option(), option.label.text) for option in field]
    names = field.option_widget.validation_attrs
    options = []
    for index, choice in enumerate(field._iter_choices_normalized()):
        attrs = _options(field, {})
        if choice.selected:
            attrs.setdefault("checked", True)
        attrs.setdefault("id", f"{field.id}-{index}")
        attrs.setdefault("type", "radio")
        attrs.setdefault("value", str(choice.value))
        _flags(field, attrs, names, call=True)
        attrs["name"] = field.name
        options.append((_html(f"<input {_attributes(attrs)}>"), choice.label or choice.value))
    return options


class FieldParts(NamedTuple):
    """What the `field` macro writes of a field: its label (or, for a checkbox, its text
    beside the box), its hint, its control tied to the hint and the errors, the errors."""

    id: str
    label: Markup | None
    text: str
    hint: str
    required: bool
    control: Markup
    errors: list


def field_parts(field, class_: str = "field__input") -> FieldParts:
    """The parts of the `field` macro (templates/_macros.html) for `field`."""
    errors = field.errors
    described = [f"{field.id}-hint"] if field.description else []
    if errors:
        described.append(f"{field.id}-error")
    if field.type == "BooleanField":
        aria = {"aria-describedby": " ".join(described)} if described else {}
        return FieldParts(field.id, None, field.label.text, "", False, control(field, **aria),
                          errors)
    aria = ({"aria-describedby": " ".join(described),
             "aria-invalid": "true" if errors else "false"} if described else {})
    return FieldParts(field.id, label(field, class_="field__label"), "", field.description,
                      bool(field.flags.required), control(field, class_=class_, **aria), errors)


def hidden_controls(form) -> Markup:
    """What FlaskForm's `form.hidden_tag()` renders: the form's hidden inputs."""
    return _html("\n".join(control(field) for field in form
                             if isinstance(field.widget, widgets.HiddenInput)))


def init_app(app) -> None:
    app.jinja_env.globals.update(control=control, control_label=label, radios=radios,
                                 hidden_controls=hidden_controls, field_parts=field_parts)
