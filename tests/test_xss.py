"""Every free-text field renders escaped: a corpus of XSS payloads is stored in each of them
through the real forms, then every page that shows them is read back.

A page passes when (1) no payload appears in it verbatim (escaping changes each of them,
since each holds one of < > " ' &), (2) its parsed HTML holds nothing a payload could have
added: no event-handler attribute, no inline or foreign script, no javascript:/data: URL, no
element or comment the templates never write, and (3) template syntax is shown as typed,
never evaluated. Each page must also show the escaped payloads it is expected to show, so
that the test cannot pass by losing them, and every response carries the CSP header.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from tests.support.courses import make_course
from tests.support.forms import csrf_token, submit
from tests.support.measures import follow_up, questionnaire, saved_measure_id
from tests.support.patients import new_patient
from tests.support.sessions import add_addendum, decide_all, edit_page, save, sign, start_session

# The corpus: every payload is at most 40 characters, so that it fits the shortest text
# field (pronouns) whole; each holds a character that escaping changes.
PAYLOADS = [
    "<script>alert('x1')</script>",
    "<img src=x onerror=alert('x2')>",
    '"><svg onload=alert("x3")>',
    "'><svg/onload=alert('x4')>",
    '" onmouseover="alert(\'x5\')" x="',
    "' onfocus='alert(6)' autofocus='",
    "<a href=\"javascript:alert('x7')\">x</a>",
    "<a href=javascript:alert(8)>x</a>",
    "<iframe src=javascript:alert(9)>",
    "</textarea><script>alert(10)</script>",
    "</title><script>alert(11)</script>",
    "</script><script>alert(12)//",
    "<svg><script>alert(13)</script></svg>",
    "<svg><animate onbegin=alert(14)>",
    "<math><mtext><img src onerror=alert(15)>",
    "<math href=javascript:alert(16)>m</math>",
    "<style>*{display:none}</style>",
    "--><script>alert(18)</script><!--",
    "<body onload=alert(19)>",
    "<object data=javascript:alert(20)>",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;x>",
    "&lt;script&gt;alert(23)&lt;/script&gt;",
    "{{7*7}} <b>",
    "{{7*7777777}} {{config}} <i>",
    "{% print 7777*7777 %} ${7*7} <u>",
]
# What the template expressions above would render as if they were evaluated.
EVALUATED = ["54444439", "60481729", "SECRET_KEY", "&lt;Config"]
ALL = " | ".join(PAYLOADS)  # For fields of 1000 characters or more.
CHUNK = 100  # The shortest medium fields (names, titles) hold 120, with a tag.
CHUNKS: list[str] = []
for payload in PAYLOADS:
    if CHUNKS and len(CHUNKS[-1]) + 3 + len(payload) <= CHUNK:
        CHUNKS[-1] += " | " + payload
    else:
        CHUNKS.append(payload)

CSP_REQUIRED = ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                "frame-ancestors 'none'")

assert all(len(p) <= 40 and set(p) & set("<>\"'&") for p in PAYLOADS)
assert all(len(chunk) <= CHUNK for chunk in CHUNKS)


class CSPCheckingClient(FlaskClient):
    """A test client that checks the CSP header of every response it receives."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        policy = response.headers.get("Content-Security-Policy", "")
        missing = [part for part in CSP_REQUIRED if part not in policy]
        assert not missing and "unsafe-inline" not in policy and "unsafe-eval" not in policy, (
            args[:1], response.status_code, policy)
        return response


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PATIENTS_PER_PAGE": 200}


# The parsed-HTML check ------------------------------------------------------------------

# Elements the templates write; anything else in a page came from a payload.
KNOWN_TAGS = frozenset({
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "footer",
    "section", "article", "div", "p", "span", "a", "abbr", "strong", "code", "blockquote", "h1",
    "h2", "h3", "ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tr",
    "th", "td", "form", "fieldset", "legend", "label", "input", "textarea", "select", "option",
    "button", "details", "summary", "figure", "figcaption", "script",
    # The blank new-item blocks the session page copies (templates/sessions/_new_items.html).
    "template",
    # The server-rendered charts (tracker/progress/charts.py).
    "svg", "desc", "defs", "pattern", "g", "rect", "line", "path", "circle", "text",
})
# Attributes that no template writes and a payload could use.
FOREIGN_ATTRIBUTES = frozenset({"srcdoc", "style", "http-equiv", "xmlns:xlink"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data",
                            "poster", "background", "srcdoc"})


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag not in KNOWN_TAGS:
            self.problems.append(f"unexpected element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name in URL_ATTRIBUTES:
                scheme = re.sub(r"[\x00-\x20]", "", value).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")
                if value.startswith("//") or re.match(r"[a-z]+:", scheme):
                    self.problems.append(f"off-site {name}={value!r} on <{tag}>")
            if name in FOREIGN_ATTRIBUTES or (name == "formaction" and tag != "button"):
                self.problems.append(f"attribute {name} on <{tag}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"script with src={src!r}")
            self._in_script = True
        if tag == "meta" and set(dict(attrs)) - {"charset", "name", "content"}:
            self.problems.append(f"meta {attrs}")
        if tag == "base":
            self.problems.append("base element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")

    def handle_comment(self, data):
        self.problems.append(f"HTML comment {data[:60]!r}")


def assert_inert(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: unescaped payload {payload!r}"
    for evaluated in EVALUATED:
        assert evaluated not in html, f"{where}: template syntax was evaluated ({evaluated})"
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    assert not inspector.problems, f"{where}: {inspector.problems[:5]}"


PRINT_CSS = re.compile(
    r'@page \{ @top-left \{ content: "(?:[A-Za-z0-9 .,\'-]|\\[0-9a-f]+ )*"; font-size: 9pt; '
    r'color: #333; \} @top-right \{ content: "\d{4}-\d\d-\d\d"; font-size: 9pt; '
    r'color: #333; \} \}\n')


def shown(html: str, value: str) -> bool:
    """The value appears escaped (as text, in an attribute or in a textarea)."""
    return str(escape(value)) in html


# Storing the corpus through the forms ---------------------------------------------------


def _long(tag: str) -> str:
    """The whole corpus, tagged with the field it is stored in."""
    return f"{ALL} ~{tag}"


def _mid(chunk: str, tag: str) -> str:
    return f"{chunk} ~{tag}"


def _rich_record(client, chunk: str, index: int) -> dict:
    """A patient with everything the app stores as free text: `chunk` in the fields of up to
    120-300 characters and the whole corpus in the long ones, each value tagged ~field."""
    day = date.today() - timedelta(days=30)
    pid = new_patient(client, display_name=_mid(chunk, "name"),
                      preferred_name=PAYLOADS[index], pronouns=PAYLOADS[-1 - index],
                      record_number=PAYLOADS[index + 1],
                      treatment_intentions=_long("intentions"), weight_kg="70")
    course = make_course(client, pid, _mid(chunk, "course"), start=day)
    # Dosing session: intention, summary, private notes, dosing notes, every new item.
    dose = start_session(client, pid, course, "dosing", day + timedelta(days=1))
    _, form = edit_page(client, dose)
    form.update({
        "intention": _long("dose-intention"), "summary": _long("dose-summary"),
        "private_notes": _long("dose-private"), "dosing-dose_mg": "35",
        "dosing-adverse_event_notes": _long("adverse"),
        "dosing-transport_notes": _long("transport"),
        "new_themes-0-label": _mid(chunk, "theme1"), "new_themes-0-notes": _long("theme1-notes"),
        "new_themes-1-label": _mid(chunk, "theme2"),
        "new_beliefs-0-old_belief": _mid(chunk, "old"),
        "new_beliefs-0-new_belief": _mid(chunk, "new"),
        "new_beliefs-0-old_conviction": "80", "new_beliefs-0-new_conviction": "20",
        "new_strategies-0-description": _mid(chunk, "strategy1"),
        "new_strategies-0-target_per_week": "3",
        "new_strategies-1-description": _mid(chunk, "strategy2"),
        "new_strategies-1-target_per_week": "2",
    })
    assert save(client, dose, form).status_code == 302
    assert sign(client, dose).status_code == 302
    assert add_addendum(client, dose, _long("addendum")).status_code == 302
    # Integration: every carried item reviewed with its text fields; a strategy modified.
    integration = start_session(client, pid, course, "integration", day + timedelta(days=2))
    _, form = edit_page(client, integration)
    decide_all(form, strategies="continue", beliefs="emerging", themes="raised")
    for name in list(form):
        if name.endswith("-barriers"):
            form[name] = _long("barriers")
        elif name.startswith("beliefs-") and name.endswith("-note"):
            form[name] = _long("belief-note")
        elif name.startswith("themes-") and name.endswith("-notes"):
            form[name] = _long("theme-notes")
    modified = next(name for name in form if name.endswith("-new_description"))
    prefix = modified.rsplit("-", 1)[0]
    form.update({f"{prefix}-decision": "modify", modified: _mid(chunk, "modified"),
                 f"{prefix}-new_target": "5"})
    form.update(summary=_long("int-summary"), intention=_long("int-intention"),
                private_notes=_long("int-private"))
    assert save(client, integration, form).status_code == 302
    assert sign(client, integration).status_code == 302
    # A draft after it: the edit page shows what was typed, the carried items with their
    # last values, and a refused (conflict) copy.
    draft = start_session(client, pid, course, "integration", day + timedelta(days=3))
    _, form = edit_page(client, draft)
    decide_all(form)
    form.update(summary=_long("draft-summary"), intention=_long("draft-intention"),
                private_notes=_long("draft-private"),
                **{"new_themes-0-label": _mid(chunk, "theme3"),
                   "new_themes-0-notes": _long("theme3-notes")})
    stale = dict(form)
    assert save(client, draft, form).status_code == 302
    stale.update(summary=_long("refused-summary"), intention=_long("refused-intention"))
    assert save(client, draft, stale).status_code == 302  # Kept as a conflict copy.
    # A PHQ-9 with item 9 above 0, and its safety follow-up.
    measure = saved_measure_id(questionnaire(client, pid, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1],
                                             course_id=course, taken_on=day))
    assert follow_up(client, pid, measure, _long("follow-up"), on=day).status_code == 302
    return {"patient": pid, "course": course, "sessions": [dose, integration, draft],
            "measure": measure, "chunk": chunk}


def _pages(record: dict) -> dict[str, str]:
    pid, course = record["patient"], record["course"]
    dose, integration, draft = record["sessions"]
    return {
        "patient page": f"/patients/{pid}",
        "patient edit": f"/patients/{pid}/edit",
        "course edit": f"/patients/{pid}/courses/{course}/edit",
        "new session": f"/patients/{pid}/sessions/new",
        "dosing session": f"/sessions/{dose}",
        "integration session": f"/sessions/{integration}",
        "draft session": f"/sessions/{draft}",
        "edit page": f"/sessions/{draft}/edit",
        "progress": f"/patients/{pid}/progress",
        "progress print": f"/patients/{pid}/progress/print",
        "brief": f"/patients/{pid}/brief",
        "sessions print": f"/patients/{pid}/sessions/print",
        "measure": f"/patients/{pid}/measures/{record['measure']}",
        "questionnaire": f"/patients/{pid}/measures/new/phq9",
        "access history": f"/patients/{pid}/access-history",
    }


TAGS = ["name", "course", "theme1", "theme2", "theme3", "old", "new", "strategy1", "strategy2",
        "modified"]
LONG_TAGS = ["intentions", "dose-intention", "dose-summary", "dose-private", "adverse",
             "transport", "theme1-notes", "addendum", "barriers", "belief-note", "theme-notes",
             "int-summary", "int-intention", "int-private", "draft-summary", "draft-intention",
             "draft-private", "theme3-notes", "refused-summary", "refused-intention",
             "follow-up"]


# What each page must show (escaped), by the tag of the field the value was stored in.
EXPECTED = {
    "patient page": "name course intentions",
    "patient edit": "name intentions",
    "course edit": "name course",
    "new session": "name course",
    "dosing session": "name course dose-intention dose-summary dose-private adverse transport "
                      "theme1 theme1-notes theme2 old new strategy1 strategy2 addendum",
    "integration session": "name course int-intention int-summary int-private barriers "
                           "belief-note theme-notes modified old new theme1 theme2",
    "draft session": "name course draft-intention draft-summary draft-private theme3 "
                     "theme3-notes modified",
    "edit page": "name course draft-intention draft-summary draft-private refused-summary "
                 "refused-intention theme3 barriers modified old new strategy1 strategy2 "
                 "theme1 theme2",
    "progress": "name course old new modified strategy1 strategy2 theme1 theme2 theme3",
    "progress print": "name course old new modified strategy1 strategy2 theme1 theme2 theme3",
    "brief": "name course draft-intention draft-summary theme3-notes old new modified "
             "strategy1 strategy2 theme1 theme2 theme3",
    "sessions print": "name dose-intention dose-summary adverse transport theme1-notes "
                      "addendum int-intention int-summary theme-notes draft-intention "
                      "draft-summary theme3-notes old new modified strategy1 theme1 theme3",
    "measure": "name follow-up",
    "questionnaire": "name course",
    "access history": "name",
}
assert set(TAGS) | set(LONG_TAGS) == {tag for tags in EXPECTED.values() for tag in tags.split()}


def _values(chunk: str) -> dict[str, str]:
    return {**{tag: _mid(chunk, tag) for tag in TAGS},
            **{tag: _long(tag) for tag in LONG_TAGS}}


def test_every_free_text_field_renders_escaped(app, make_user, login_as):
    app.test_client_class = CSPCheckingClient
    therapist = make_user(name=PAYLOADS[0])
    client = login_as(therapist)
    assert isinstance(client, CSPCheckingClient)

    # Every payload alone in each short patient field (pronouns hold 40 characters).
    singles = {}
    for payload in PAYLOADS:
        pid = new_patient(client, display_name=payload, preferred_name=payload,
                          pronouns=payload, record_number=payload,
                          treatment_intentions=payload)
        make_course(client, pid, payload)
        singles[pid] = payload
    records = [_rich_record(client, chunk, i) for i, chunk in enumerate(CHUNKS)]

    # A refused form shows what was typed, escaped.
    refused = client.post("/patients/new", data={
        "csrf_token": csrf_token(client, "/patients/new"), "display_name": ALL[:120],
        "pronouns": PAYLOADS[1], "treatment_intentions": ALL, "weight_kg": "NaN"})
    assert refused.status_code == 200
    refused_html = refused.get_data(as_text=True)
    assert_inert(refused_html, "refused patient form")
    assert shown(refused_html, ALL) and shown(refused_html, PAYLOADS[1])

    # The patient list, and a search for each payload (the query is shown back).
    listing = client.get("/patients/").get_data(as_text=True)
    assert_inert(listing, "patient list")
    for payload in PAYLOADS:
        assert shown(listing, payload), f"patient list lacks {payload!r}"
        found = client.get("/patients/", query_string={"q": payload})
        assert found.status_code == 200
        assert_inert(found.get_data(as_text=True), f"search {payload!r}")
    for pid, payload in singles.items():
        for name, path in (("patient page", f"/patients/{pid}"),
                           ("patient edit", f"/patients/{pid}/edit")):
            html = client.get(path).get_data(as_text=True)
            assert_inert(html, f"{name} of {payload!r}")
            assert html.count(str(escape(payload))) >= 4, (name, payload)

    for record in records:
        values = _values(record["chunk"])
        for name, path in _pages(record).items():
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            html = response.get_data(as_text=True)
            assert_inert(html, f"{name} ({record['chunk'][:30]})")
            missing = [tag for tag in EXPECTED[name].split() if not shown(html, values[tag])]
            assert not missing, f"{name} does not show the values of {missing}"
            if "print" not in name:  # The account's name is in the top bar.
                assert shown(html, PAYLOADS[0]), f"{name}: the therapist's name"
        # The print stylesheet names the patient inside a CSS string it cannot leave.
        css = client.get(f"/patients/{record['patient']}/print.css").get_data(as_text=True)
        assert PRINT_CSS.fullmatch(css), css
        # The record download is JSON, never sniffed as HTML.
        export = client.get(f"/patients/{record['patient']}/export.json")
        assert export.mimetype == "application/json"
        assert export.headers["X-Content-Type-Options"] == "nosniff"
        assert export.headers["Content-Disposition"].startswith("attachment;")

    # Account names: the admin pages and the one-time password page.
    admin = make_user(email="admin@example.org", name="Practice Admin", is_admin=True)
    admin_client = login_as(admin)
    for i, chunk in enumerate(CHUNKS):
        created = submit(admin_client, "/admin/users/new",
                        {"name": chunk, "email": f"xss{i}@example.org"}, expect=200)
        html = created.get_data(as_text=True)
        assert_inert(html, "temporary password page")
        assert shown(html, chunk)
    users = admin_client.get("/admin/users").get_data(as_text=True)
    assert_inert(users, "admin users")
    for value in [*CHUNKS, PAYLOADS[0]]:
        assert shown(users, value), f"admin users lacks {value[:60]!r}"
    # The audit trail names the accounts, and shows its filter back.
    trail = admin_client.get("/admin/audit").get_data(as_text=True)
    assert_inert(trail, "audit trail")
    assert shown(trail, PAYLOADS[0]), "the audit trail does not name the therapist"
    for payload in PAYLOADS:
        filtered = admin_client.get("/admin/audit", query_string={"action": payload})
        assert filtered.status_code == 200
        assert_inert(filtered.get_data(as_text=True), f"audit filter {payload!r}")
        assert shown(filtered.get_data(as_text=True), payload)
    # The sign-in page with a crafted destination.
    for payload in PAYLOADS:
        login = app.test_client().get("/login", query_string={"next": payload})
        assert login.status_code == 200
        assert_inert(login.get_data(as_text=True), f"login next={payload!r}")
    # The account's own pages (two-factor enrolment started: its QR code is drawn inline).
    assert client.post("/account/two-factor/setup", data={
        "csrf_token": csrf_token(client, "/account/two-factor")}).status_code == 302
    assert "totp-secret" in client.get("/account/two-factor").get_data(as_text=True)
    for path in ("/account/password", "/account/two-factor"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_inert(page.get_data(as_text=True), path)
        assert shown(page.get_data(as_text=True), PAYLOADS[0]), path
