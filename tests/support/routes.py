"""Every URL of the app, generated from app.url_map (so that a new route cannot escape the
access tests)."""

from __future__ import annotations

from flask import url_for


def urls(app, values: dict, *, prefix: str = "/", endpoints: tuple[str, ...] = ("",),
         default: int | None = 1) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url, methods) of every rule under `prefix` whose endpoint starts with one
    of `endpoints`, its arguments filled from `values` (else `default`; None: every argument
    must be in `values`). A list, built at once: no request context stays pushed while the
    test clients make their requests."""

    def value(name):
        return values[name] if default is None else values.get(name, default)

    with app.test_request_context():
        return [
            (rule.endpoint,
             url_for(rule.endpoint, **{name: value(name) for name in rule.arguments}),
             rule.methods)
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith(prefix) and rule.endpoint.startswith(endpoints)
        ]
