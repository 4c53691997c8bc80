"""Human labels for stored codes, a template global `labels` (so macros see it too)."""

from flask import Flask

from tracker.checkins.models import PRACTISED
from tracker.courses.forms import COURSE_STATUS_LABELS
from tracker.dosing.alerts import dosing_warnings
from tracker.dosing.models import ADVERSE_EVENTS, MEDICATIONS, ROUTES, TIMEPOINTS, TRANSPORT
from tracker.sessions.kinds import KINDS
from tracker.threads.models import (
    BELIEF_DECISIONS,
    STRATEGY_CATEGORIES,
    STRATEGY_DECISIONS,
    STRATEGY_STATUSES,
    THEME_CATEGORIES,
    THEME_DECISIONS,
)

LABELS = {
    "kind": {code: kind.label for code, kind in KINDS.items()},
    "course_status": COURSE_STATUS_LABELS,
    "medication": MEDICATIONS,
    "route": ROUTES,
    "timepoint": TIMEPOINTS,
    "adverse_event": ADVERSE_EVENTS,
    "transport": TRANSPORT,
    "theme_category": THEME_CATEGORIES,
    "theme_decision": THEME_DECISIONS,
    "belief": BELIEF_DECISIONS,
    "strategy_category": STRATEGY_CATEGORIES,
    "strategy_decision": STRATEGY_DECISIONS,
    "strategy_status": STRATEGY_STATUSES,
    "practised": PRACTISED,
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["labels"] = LABELS
    app.jinja_env.globals["dosing_warnings"] = dosing_warnings
