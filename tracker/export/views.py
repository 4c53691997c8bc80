"""Download of a patient's full progress record (the right of access)."""

import json
import re

from flask import Blueprint, Response, request
from flask_login import current_user

from tracker import dates
from tracker.access import get_patient_or_404
from tracker.db import get_db
from tracker.export.record import patient_export

bp = Blueprint("export", __name__)


@bp.route("/patients/<id:patient_id>/export.json")
def patient_record(patient_id: int):
    db = get_db()
    patient = get_patient_or_404(db, current_user, patient_id)
    with_notes = request.args.get("psychotherapy_notes") == "1"
    export = patient_export(db, patient, include_psychotherapy_notes=with_notes,
                            exported_by=current_user)
    slug = re.sub(r"[^a-z0-9]+", "-", patient.display_name.casefold()).strip("-") or "patient"
    name = f"{slug}-record-{dates.today().isoformat()}.json"
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )
