"""The progress page, the pre-session brief and the print views."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from tracker import dates
from tracker.access import get_patient_or_404
from tracker.db import get_db
from tracker.export.created import Created, created_in
from tracker.measures.services import taken_at
from tracker.progress import brief as brief_data
from tracker.progress import data, figures, home_figures, recent
from tracker.progress.grids import grids
from tracker.progress.window_queries import WINDOW
from tracker.sessions.models import TherapySession
from tracker.sessions.services import SESSION_PAGE_OPTIONS

bp = Blueprint("progress", __name__, url_prefix="/patients/<id:patient_id>")


def _gather(patient):
    return data.gather(get_db(), patient, course_id=request.args.get("course", type=int),
                       now=dates.wall_clock_now(),
                       window_days=current_app.config["INTEGRATION_WINDOW_DAYS"])


def _charts(progress):
    return {
        # Partial answers (incomplete, unscored) are listed in the tables, never charted;
        # nor is a baseline before the window (its table shows it).
        "measures": {code: figures.measure_chart(progress, code, scored)
                     for code, items in progress.measures.items()
                     if (scored := [i for i in items if not i.is_partial
                                    and progress.shows(i.response.taken_on)])},
        "beliefs": {row.record.id: figures.belief_chart(progress, row)
                    for row in progress.beliefs},
    }


@bp.route("/progress")
def show(patient_id: int):
    """The course's last sessions (recent.WINDOW), or with ?all=1 all of them."""
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    if request.args.get("all") == "1":
        progress = _gather(patient)
    else:
        progress = recent.recent(db, patient, course_id=request.args.get("course", type=int),
                                 now=dates.wall_clock_now(),
                                 window_days=current_app.config["INTEGRATION_WINDOW_DAYS"])
    return render_template("progress/show.html", p=progress, charts=_charts(progress),
                           grids=grids(progress), home=home_figures.home_view(db, progress),
                           window=WINDOW)


@bp.route("/progress/print")
def print_progress(patient_id: int):
    patient = get_patient_or_404(get_db(), current_user, patient_id)
    progress = _gather(patient)
    return render_template("progress/print.html", p=progress, charts=_charts(progress),
                           grids=grids(progress), home=home_figures.home_view(get_db(), progress),
                           printed_on=dates.today())


@bp.route("/brief")
def brief(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    summary = brief_data.brief(db, patient, now=dates.wall_clock_now(),
                         window_days=current_app.config["INTEGRATION_WINDOW_DAYS"])
    return render_template("progress/brief.html", b=summary, p=summary.progress,
                           mood=home_figures.mood_chart(summary.between, "brief-mood",
                                                        compact=True))


@bp.route("/sessions/print")
def print_sessions(patient_id: int):
    """The progress record of the sessions in a date range (never psychotherapy notes)."""
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    start = _date_arg("from") or date.min
    end = _date_arg("to") or date.max
    if start > end:
        start, end = end, start
    sessions = db.scalars(
        select(TherapySession).where(
            TherapySession.patient_id == patient.id,
            TherapySession.starts_at >= datetime.combine(start, datetime.min.time()),
            TherapySession.starts_at <= datetime.combine(end, datetime.max.time()))
        .options(*SESSION_PAGE_OPTIONS)
        .order_by(TherapySession.starts_at, TherapySession.id)).all()
    ids = [s.id for s in sessions]
    return render_template("progress/sessions_print.html", patient=patient, sessions=sessions,
                           measured=taken_at(db, patient, ids),
                           added=_added_strategies(created_in(db, ids)),
                           start=start if start != date.min else None,
                           end=end if end != date.max else None, printed_on=dates.today())


def _added_strategies(created: dict[int, Created]) -> dict[int, list]:
    """Session id -> the strategies first agreed in it (a modified strategy's new version is
    shown with the review that made it), as the session page lists them."""
    return {session_id: [s for s in items.strategies if s.replaces_id is None]
            for session_id, items in created.items()}


@bp.route("/print.css")
def page_css(patient_id: int):
    """The page margins of the print views: the patient's name on every printed page.
    A stylesheet of its own, because the CSP forbids inline styles."""
    patient = get_patient_or_404(get_db(), current_user, patient_id)
    today = dates.show(dates.today(), "iso")
    css = (f'@page {{ @top-left {{ content: "{_css_string(patient.display_name)}"; '
           f'font-size: 9pt; color: #333; }} @top-right {{ content: "{today}"; '
           f'font-size: 9pt; color: #333; }} }}\n')
    return Response(css, mimetype="text/css", headers={"Cache-Control": "no-store"})


def _css_string(text: str) -> str:
    """Text safe inside a CSS double-quoted string: anything but letters, digits and a few
    marks becomes a CSS escape, so nothing typed can end the string or the rule."""
    return "".join(c if c.isalnum() and c.isascii() or c in " .,-'" else f"\\{ord(c):x} "
                   for c in text)


def _date_arg(name: str) -> date | None:
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2999 else None
