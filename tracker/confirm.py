"""A confirmation step for actions that are hard to take back, without JavaScript: the
action's button posts once and gets a page naming what will happen; that page's button posts
again with `confirmed=yes`. Where the action can be undone, the page that follows offers
the undo (a button posting to the undoing action)."""

from __future__ import annotations

from flask import Flask, render_template, request, session

CONFIRMED = "confirmed"
_UNDO = "undo_offer"


def confirmed() -> bool:
    return request.form.get(CONFIRMED) == "yes"


def ask(*, title: str, consequence: str, button: str, cancel_url: str,
        undoable: bool = False):
    """The confirmation page for the action this request posted to."""
    return render_template("confirm.html", title=title, consequence=consequence,
                           button=button, cancel_url=cancel_url, undoable=undoable,
                           action=request.path, field=CONFIRMED)


def offer_undo(message: str, url: str, label: str, fields: dict | None = None) -> None:
    """Shown once, on the next page: what was done, and a button that undoes it."""
    session[_UNDO] = {"message": message, "url": url, "label": label,
                      "fields": {str(k): str(v) for k, v in (fields or {}).items()}}


def _take_offer() -> dict | None:
    return session.pop(_UNDO, None)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["undo_offer"] = _take_offer
