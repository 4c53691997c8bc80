"""The dosing record of a dosing session, stored directly: the dose, boosters and vital
signs."""

from __future__ import annotations

from decimal import Decimal

from tracker.dosing.models import BoosterDose, DosingRecord, VitalSigns


def db_dosing(db, session_id: int, dose_mg: Decimal = Decimal("35.0"), *,
              weight_kg: Decimal | None = Decimal("70.0"), boosters=(), vitals=(),
              **fields) -> DosingRecord:
    """Racemic ketamine IM (unless `fields` say otherwise), with `boosters` (dicts of
    BoosterDose columns) and `vitals` (dicts of VitalSigns columns), numbered from 1 in the
    order given unless a dict says its position."""
    record = DosingRecord(session_id=session_id,
                          medication=fields.pop("medication", "racemic_ketamine"),
                          route=fields.pop("route", "im"), dose_mg=dose_mg, weight_kg=weight_kg,
                          **fields)
    db.add(record)
    db.flush()
    db.add_all(BoosterDose(**{"dosing_id": session_id, "position": number, **booster})
               for number, booster in enumerate(boosters, start=1))
    db.add_all(VitalSigns(**{"dosing_id": session_id, "position": number, **signs})
               for number, signs in enumerate(vitals, start=1))
    db.flush()
    return record
