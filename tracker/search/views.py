"""The search page: words in the progress record of the patients the account may see."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from tracker.audit.hooks import name_subjects
from tracker.db import get_db
from tracker.forms import clean_text
from tracker.search.query import MAX_QUERY_LENGTH, search, visible_patients
from tracker.sessions.kinds import KINDS

bp = Blueprint("search", __name__)
MAX_PAGE = 500


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.route("/search")
def index():
    db = get_db()
    query = clean_text(request.args.get("q", ""))[:MAX_QUERY_LENGTH]
    kind = request.args.get("kind") or None
    kind = kind if kind in KINDS else None
    patient_id = _int_arg("patient")
    page = min(max(_int_arg("page") or 1, 1), MAX_PAGE)
    visible = visible_patients(db, current_user)
    names = {pid: name for pid, name, _emergency in visible}
    if patient_id not in names:
        patient_id = None
    scope = names if patient_id is None else {patient_id: names[patient_id]}
    results = search(db, scope, query, kind=kind, page=page) if query else None
    # Names in the patient filter, and results: every patient the page shows is audited
    # (the results are of patients in the filter).
    name_subjects(names, emergency={pid for pid, _name, emergency in visible if emergency})
    return render_template("search/index.html", query=query, kind=kind, patient_id=patient_id,
                           patients=list(names.items()), kinds=list(KINDS.values()),
                           results=results)
