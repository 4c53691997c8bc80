"""The patient's pages (/c/): open the link with the code, the take-home plan, the daily
check-in and the questionnaires due. Public (on the deny-by-default allow-list by name,
tracker/access.py), phone-first, without JavaScript; they read and write nothing but the
one patient's link, check-ins and home questionnaires. No earlier check-in is shown."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from sqlalchemy import select

from tracker import dates
from tracker.checkins import home_measures, links, services, visit
from tracker.checkins.forms import AccessCodeForm, checkin_form
from tracker.checkins.models import CheckinLink
from tracker.checkins.plan import plan_for
from tracker.db import get_db
from tracker.measures.instruments import get_instrument
from tracker.patients.models import Patient

bp = Blueprint("checkin", __name__, url_prefix="/c")

# The only public endpoints of the patient's side (tracker/access.py lists them by name).
ENDPOINTS = frozenset({"checkin.open_link", "checkin.home", "checkin.submit",
                       "checkin.questionnaire", "checkin.crisis", "checkin.leave"})


@bp.after_request
def _private(response):
    """Never cached, and no Referer leaves these pages (the link's token is in one)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def ended(status: int = 401):
    """Without a usable link: how to get back in, and nothing else."""
    return render_template("checkin/ended.html"), status


def _audited() -> None:
    """The patient's changes write their own events (ids only): none is added at commit."""
    g._audit_written = True


@bp.route("/<token>", methods=["GET", "POST"])
def open_link(token: str):
    db = get_db()
    link = db.scalar(select(CheckinLink).where(CheckinLink.token_hash == links.digest(token))
                     ) if len(token) <= 64 else None
    if link is not None and link.locked_at is not None and link.revoked_at is None:
        return render_template("checkin/ended.html", locked=True), 403
    if not links.usable(link):
        return ended(404)
    form = AccessCodeForm()
    error = None
    if form.validate_on_submit():
        link_id, code_hash = link.id, link.code_hash
        db.rollback()  # The slow hash holds no database lock.
        matches = links.code_matches(code_hash, form.code.data)
        link = db.get(CheckinLink, link_id)
        _audited()
        if links.record_attempt(db, link, matches):
            db.commit()
            response = make_response(redirect(url_for("checkin.home")))
            visit.start(response, link)
            return response
        db.commit()
        if link.locked_at is not None:
            return render_template("checkin/ended.html", locked=True), 403
        error = "That code is not right. Check it and try again."
    status = 401 if error else 200
    return render_template("checkin/open.html", form=form, error=error), status


def _visit():
    db = get_db()
    link = visit.current_link(db)
    return (link, db.get(Patient, link.patient_id)) if link is not None else (None, None)


def _form_class(db, patient: Patient, today: date):
    strategies = plan_for(db, patient).strategies
    return checkin_form(strategies, services.days_offered(today)), strategies


@bp.route("/")
def home():
    link, patient = _visit()
    if link is None:
        return ended()
    return _render_home(patient)


def _render_home(patient: Patient, form=None, status: int = 200):
    db = get_db()
    today = dates.today()
    plan = plan_for(db, patient)
    if form is None:
        form = checkin_form(plan.strategies, services.days_offered(today))(formdata=None)
    due = home_measures.due_for(db, patient, today)
    return render_template(
        "checkin/home.html", plan=plan, form=form, due=due,
        names={item.instrument: get_instrument(item.instrument).name for item in due},
        checked_in=services.days_checked_in(db, patient.id, today)), status


@bp.route("/checkin", methods=["POST"])
def submit():
    link, patient = _visit()
    if link is None:
        return ended()
    db = get_db()
    today = dates.today()
    form_class, strategies = _form_class(db, patient, today)
    form = form_class()
    if not form.validate():
        return _render_home(patient, form, 400)
    _audited()
    day = date.fromisoformat(form.day.data)
    services.record(db, link, day=day, today=today, mood=form.mood.data,
                    message=form.message.data or "",
                    practices=[services.Practice(s.id, practised.data, helpful.data)
                               for s, practised, helpful in form.strategy_fields()])
    db.commit()
    flash(f"Thank you: your check-in for {dates.show(day, 'weekday')} is saved.", "success")
    return redirect(url_for("checkin.home"))


@bp.route("/questionnaires/<instrument:code>", methods=["GET", "POST"])
def questionnaire(code: str):
    link, patient = _visit()
    if link is None:
        return ended()
    return home_measures.answer(link, patient, code, audited=_audited)


@bp.route("/crisis")
def crisis():
    link, _ = _visit()
    if link is None:
        return ended()
    return render_template("checkin/crisis.html")


@bp.route("/leave", methods=["POST"])
def leave():
    response = make_response(render_template("checkin/ended.html", left=True))
    visit.end(response)
    return response
