"""The patient's visit: once the code was accepted, a short-lived cookie scoped to the
patient's pages (/c/) stands for the link, so that the token leaves the address bar. It is
signed, names the link and lasts CHECKIN_COOKIE_MINUTES; the link is checked again on every
request (revoked, expired or locked: the cookie opens nothing). It opens nothing of the
therapist's side, and the therapist's cookie opens nothing here."""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from tracker.checkins import links
from tracker.checkins.models import CheckinLink

COOKIE = "kap_checkin"
PATH = "/c/"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="checkin-visit")


def _minutes() -> int:
    return current_app.config["CHECKIN_COOKIE_MINUTES"]


def start(response: Response, link: CheckinLink) -> None:
    response.set_cookie(COOKIE, _signer().dumps({"link": link.id, "t": link.token_hash[:16]}),
                        max_age=_minutes() * 60, path=PATH, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])


def current_link(db: Session) -> CheckinLink | None:
    """The link of this visit, if its cookie is valid and the link can still be used."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        data = _signer().loads(raw, max_age=_minutes() * 60)
        link = db.get(CheckinLink, int(data["link"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not links.usable(link) or link.token_hash[:16] != data.get("t"):
        return None
    return link
