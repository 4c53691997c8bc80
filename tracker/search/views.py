"""The search page: words in the progress record of the patients the account may see."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from tracker.audit.hooks import name_subjects
from tracker.care_team import emergency
from tracker.db import get_db
from tracker.forms import clean_text
from tracker.patients.models import Patient
from tracker.search.query import MAX_QUERY_LENGTH, search, visible_patient_ids
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
    visible = visible_patient_ids(db, current_user)
    patients = db.execute(select(Patient.id, Patient.display_name)
                          .where(Patient.id.in_(visible))
                          .order_by(Patient.display_name, Patient.id)).all()
    if patient_id not in visible:
        patient_id = None
    results = (search(db, current_user, query, patient_id=patient_id, kind=kind, page=page)
               if query else None)
    # Names in the patient filter, and results: every patient the page shows is audited.
    shown = {pid for pid, _name in patients} | {hit.patient_id for hit in
                                                 (results.hits if results else [])}
    name_subjects(shown, emergency=emergency.opened_only(db, current_user, shown))
    return render_template("search/index.html", query=query, kind=kind, patient_id=patient_id,
                           patients=patients, kinds=list(KINDS.values()), results=results)
