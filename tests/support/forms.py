"""The form and page helpers: what a browser would submit for a form of a page (with its
CSRF token), posting like a browser, and reading a page back (its main content, its text, the
errors next to a field)."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

# Controls a browser never sends unless they are the button that was clicked.
_NOT_SENT = {"submit", "button", "image", "reset", "file"}


@dataclass
class _Form:
    attrs: dict
    fields: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects every <form> of a page with what a browser would submit for it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._option: list | None = None  # [value or None, selected, text parts]
        self._templates = 0  # Inside <template>: inert content, never submitted.

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "template":
            self._templates += 1
        if self._templates:
            return
        if tag == "form":
            self._form = _Form(attrs)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        disabled = "disabled" in attrs
        if tag == "input" and name and not disabled:
            kind = attrs.get("type", "text").lower()
            if kind in _NOT_SENT:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
                return
            self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name and not disabled:
            self._textarea = (name, [])
        elif tag == "select" and name and not disabled:
            self._select = (name, "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [attrs.get("value"), "selected" in attrs, []]

    def handle_data(self, data):
        if self._templates:
            return
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "template":
            self._templates -= 1
        if self._templates:
            return
        if tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # HTML drops one newline right after <textarea>.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self._form.fields.append((name, text))
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, multiple, options = self._select
            chosen = [value for value, selected in options if selected]
            if not multiple and not chosen and options:
                chosen = [options[0][0]]  # A single select sends its first option.
            if not multiple:
                chosen = chosen[-1:]
            self._form.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        if self._option is not None and self._select is not None:
            value, selected, parts = self._option
            text = "".join(parts).strip()
            self._select[2].append((value if value is not None else text, selected))
        self._option = None


def page_forms(html: str) -> list[_Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_fields(html: str, *, form_id: str | None = None, action: str | None = None) -> dict:
    """The named form of a page as a browser would submit it: name -> value, or a list of
    values for names sent more than once (checked checkboxes of one group)."""
    for form in page_forms(html):
        if form_id is not None and form.attrs.get("id") != form_id:
            continue
        if action is not None and form.attrs.get("action") != action:
            continue
        return _as_dict(form)
    raise AssertionError(f"no form with id={form_id!r} action={action!r} on the page")


def _as_dict(form: _Form) -> dict:
    values: dict = {}
    for name, value in form.fields:
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered next to a field (ids like dosing-dose_mg,
    strategies-0-decision)."""
    match = re.search(rf'<ul class="field__errors" id="{re.escape(field_id)}-error">(.*?)</ul>',
                      html, re.S)
    if not match:
        return []
    return [_unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def fieldset(html: str, element_id: str) -> str:
    """The HTML of one <fieldset id=...> (a carried item)."""
    match = re.search(rf'<fieldset[^>]*id="{re.escape(element_id)}".*?</fieldset>', html, re.S)
    assert match, f"no fieldset {element_id} on the page"
    return match.group(0)


def text_of(html: str) -> str:
    """The page's text with tags removed and white space collapsed (for phrase checks)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", _unescape(without_tags)).strip()


def _unescape(value: str) -> str:
    return html_module.unescape(value)


def only_post_form(html: str) -> dict:
    """The page's main POST form (the one that is not the logout button)."""
    for form in page_forms(html):
        if (form.attrs.get("method", "get").lower() == "post"
                and form.attrs.get("action") != "/logout"):
            return _as_dict(form)
    raise AssertionError("no POST form on the page")


def csrf_token(client, path: str) -> str:
    """Read the CSRF token from a rendered form, as a browser would submit it."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token in {path} ({response.status_code})"
    return match.group(1)


def post_form(
    client, path: str, data: dict | None = None, *, form_path: str | None = None, **kwargs
):
    """POST like a browser: with the CSRF token from the page that holds the form."""
    payload = {"csrf_token": csrf_token(client, form_path or path), **(data or {})}
    return client.post(path, data=payload, **kwargs)


def post_with_token(client, path: str, data: dict | None = None):
    """POST with the client's CSRF token (read from the patient list, like any page)."""
    return post_form(client, path, data, form_path="/patients/")


def submit(client, path: str, data: dict, *, form_path: str | None = None, expect: int = 302):
    """Open the page, submit its form with what the page renders and `data` on top (as a
    browser does), and check the answer's status."""
    page = client.get(form_path or path)
    assert page.status_code == 200, (path, page.status_code)
    payload = {**only_post_form(page.get_data(as_text=True)), **data}
    response = client.post(path, data=payload)
    assert response.status_code == expect, (path, text_of(response.get_data(as_text=True))[:800])
    return response


def main_of(html: str) -> str:
    """The page's main content (what is inside <main>)."""
    return html[html.index('<main id="main"'):html.index("</main>")]
