"""Patients: stored directly through the service (add_patient), or created through the
new-patient page as a therapist does (new_patient)."""

from __future__ import annotations

import re

from tests.support.forms import submit
from tracker.db import get_db
from tracker.models import User
from tracker.patients import services as patient_services


def add_patient(app, owner, display_name="Maya Okafor", *, archived=False, **fields) -> int:
    """Create a patient directly through the service; returns its id."""
    data = {
        **dict.fromkeys(patient_services.PATIENT_FIELDS),
        "treatment_intentions": "",
        **fields,
        "display_name": display_name,
    }
    with app.app_context():
        db = get_db()
        patient = patient_services.create_patient(db, db.get(User, owner.id), data)
        if archived:
            patient_services.set_archived(db, patient, True)
        db.commit()
        return patient.id


def created_id(response) -> int:
    """The id of the patient a successful save of the patient form redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/patients/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def new_patient(client, **fields) -> int:
    """Create a patient through the new-patient page (what it renders, with `fields` typed
    in); returns its id."""
    return created_id(submit(client, "/patients/new", fields))
