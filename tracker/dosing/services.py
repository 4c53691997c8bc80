"""Saving and loading a dosing session's medical record. Services flush, never commit: the
view commits once, after the whole session page was saved."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from tracker.dosing.forms import BOOSTER_SLOTS, VITAL_NAMES
from tracker.dosing.models import TIMEPOINTS, BoosterDose, DosingRecord, VitalSigns
from tracker.sessions.models import TherapySession


def load_dosing(db: Session, session_id: int) -> DosingRecord | None:
    """The dosing record of a session with its boosters and vitals loaded (None if none yet).
    Access to the session must have been checked by the caller."""
    return db.scalar(
        select(DosingRecord)
        .where(DosingRecord.session_id == session_id)
        .options(selectinload(DosingRecord.boosters), selectinload(DosingRecord.vitals))
    )


def save_dosing(
    db: Session, session: TherapySession, data: dict, patient_weight: Decimal | None
) -> DosingRecord:
    """Create or update the dosing record of `session` from DosingForm.dosing_data().

    Boosters and the three timepoints of vital signs are replaced as a whole (a timepoint
    with no value at all is not stored). The weight used for mg/kg is the one typed, or else
    the patient's weight now: it is copied so that the record keeps the weight of the day.
    """
    if not session.kind_spec.has_dosing:
        raise ValueError("only a dosing session has a dosing record")
    if session.is_signed:
        raise ValueError("a signed session cannot be changed; add an addendum")

    record = load_dosing(db, session.id)
    if record is None:
        record = DosingRecord(session_id=session.id)
        db.add(record)
        if "dosing" not in inspect(session).unloaded:
            # The caller loaded session.dosing (as None): keep it in step.
            session.dosing = record

    record.medication = data["medication"]
    record.route = data["route"]
    record.dose_mg = data["dose_mg"]
    weight = data.get("weight_kg")
    record.weight_kg = weight if weight is not None else patient_weight
    record.administered_at = data.get("administered_at")
    record.monitoring_start = data.get("monitoring_start")
    record.monitoring_end = data.get("monitoring_end")
    record.adverse_events = list(data.get("adverse_events") or [])
    record.adverse_event_notes = data.get("adverse_event_notes") or ""
    record.transport_home = data.get("transport_home") or None
    record.transport_notes = data.get("transport_notes") or ""

    record.boosters = [
        BoosterDose(position=position, dose_mg=booster["dose_mg"], given_at=booster.get("given_at"))
        for position, booster in enumerate(
            b for b in data.get("boosters") or () if b.get("dose_mg") is not None
        )
    ]
    vitals = data.get("vitals") or {}
    rows = []
    for position, timepoint in enumerate(TIMEPOINTS):  # fixed: 0 baseline, 1 peak, 2 discharge
        values = {name: (vitals.get(timepoint) or {}).get(name) for name in VITAL_NAMES}
        if any(value is not None for value in values.values()):
            rows.append(VitalSigns(position=position, timepoint=timepoint, **values))
    record.vitals = rows
    db.flush()
    return record


def dosing_form_data(
    record: DosingRecord | None,
    *,
    default_medication: str | None = None,
    default_route: str | None = None,
) -> dict:
    """The `data=` for a DosingForm: the saved record, or for a new record the course's
    usual medication and route. Boosters and vitals must be loaded (load_dosing).

    An existing record with two or more boosters gets one blank booster row, so that
    another booster can always be added."""
    if record is None:
        return {"medication": default_medication, "route": default_route}
    boosters = [{"dose_mg": b.dose_mg, "given_at": b.given_at} for b in record.boosters]
    if len(boosters) >= BOOSTER_SLOTS:
        boosters.append({"dose_mg": None, "given_at": None})
    by_timepoint = {v.timepoint: v for v in record.vitals}
    return {
        "medication": record.medication,
        "route": record.route,
        "dose_mg": record.dose_mg,
        "boosters": boosters,
        "weight_kg": record.weight_kg,
        "administered_at": record.administered_at,
        "monitoring_start": record.monitoring_start,
        "monitoring_end": record.monitoring_end,
        **{
            timepoint: {
                name: getattr(by_timepoint[timepoint], name) if timepoint in by_timepoint else None
                for name in VITAL_NAMES
            }
            for timepoint in TIMEPOINTS
        },
        "adverse_events": list(record.adverse_events or []),
        "adverse_event_notes": record.adverse_event_notes or "",
        "transport_home": record.transport_home or "",
        "transport_notes": record.transport_notes or "",
    }
