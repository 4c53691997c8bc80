"""The code's shape, held by tests: small modules, registries instead of scattered strings,
one way to show a date."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from tracker import dates
from tracker.sessions.kinds import KIND_CODES

ROOT = Path(__file__).resolve().parents[1]
TRACKER = ROOT / "tracker"
TEMPLATES = ROOT / "templates"
MAX_MODULE_LINES = 300


def _modules():
    return [path for path in TRACKER.rglob("*.py") if "migrations" not in path.parts]


def test_no_module_of_the_app_is_over_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def _names_a_kind(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return "kind" in name


def _is_kind_code(node: ast.AST) -> bool:
    values = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return any(isinstance(v, ast.Constant) and v.value in KIND_CODES for v in values)


def _kind_string_comparisons(source: str) -> list[int]:
    """Lines comparing a kind with a session-kind code (kind == "dosing", kind in (...))."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Compare)
            and any(map(_names_a_kind, (node.left, *node.comparators)))
            and any(map(_is_kind_code, (node.left, *node.comparators)))]


def test_the_kind_check_finds_a_comparison():
    assert _kind_string_comparisons('if session.kind == "dosing":\n    pass\n') == [1]
    assert _kind_string_comparisons('x = kind in ("check_in", "integration")\n') == [1]
    assert _kind_string_comparisons('if session.kind_spec.has_dosing:\n    pass\n') == []
    assert _kind_string_comparisons('if "dosing" in loaded:\n    pass\n') == []


def test_no_code_compares_session_kind_strings():
    offenders = {str(p.relative_to(ROOT)): lines for p in _modules()
                 if (lines := _kind_string_comparisons(p.read_text(encoding="utf-8")))}
    assert offenders == {}
    codes = "|".join(KIND_CODES)
    kind_test = re.compile(rf"""kind\s*(==|!=|in)\s*\(?\s*["']({codes})["']""")
    in_templates = [str(p.relative_to(ROOT)) for p in TEMPLATES.rglob("*.html")
                    if kind_test.search(p.read_text(encoding="utf-8"))]
    assert in_templates == []


def test_templates_show_dates_through_the_one_filter():
    calls = [str(p.relative_to(ROOT)) for p in TEMPLATES.rglob("*.html")
             if "strftime(" in p.read_text(encoding="utf-8")]
    assert calls == []


@pytest.mark.parametrize(("value", "style", "shown"), [
    (date(2026, 12, 5), "date", "05 Dec 2026"),
    (date(2026, 12, 5), "iso", "2026-12-05"),
    (datetime(2026, 12, 5, 9, 7), "weekday_time", "Sat 05 Dec 2026, 09:07"),
    (datetime(2026, 12, 5, 9, 7), "short_time", "05 Dec 09:07"),
    (None, "date", ""),
])
def test_the_date_filter_formats_by_style_name(app, value, style, shown):
    assert dates.show(value, style) == shown
    template = app.jinja_env.from_string("{{ value|dt(style) }}")
    assert template.render(value=value, style=style) == shown


def test_an_unknown_date_style_is_an_error_not_a_fallback():
    with pytest.raises(KeyError):
        dates.show(date(2026, 12, 5), "fancy")
