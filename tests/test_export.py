"""The patient export: schema and values, psychotherapy notes only on request, the content hash
verifiable from the JSON alone, and a constant number of queries. Version 2 (issue 12,
item 1) adds the questionnaires with their safety follow-ups, the care-team and
emergency-access history, the accounts named, and what each session created."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.support.care_team import emergency_access, team_member
from tests.support.courses import db_course
from tests.support.dosing import db_dosing
from tests.support.histories import build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.sessions import db_session, db_sign
from tests.support.threads import (
    belief_rating,
    db_belief,
    db_strategy,
    db_theme,
    strategy_review,
    theme_mention,
)
from tracker.courses.models import Course
from tracker.db import utcnow
from tracker.export.record import EXPORT_FORMAT, EXPORT_VERSION, patient_export
from tracker.export.session_record import (
    NOT_COVERED_BEFORE,
    content_hash,
    session_record,
    session_record_options,
    signable_content,
)
from tracker.measures import integrity
from tracker.patients.models import Patient
from tracker.sessions.models import Addendum, PsychotherapyNote, TherapySession
from tracker.threads.models import Strategy, ThemeMention

NOTE_BODY = "Private process note: transference around the father, do not share."
UNSIGNED = {"status", "signed_at", "signed_by", "content_hash", "hash_version", "addenda"}
BREAK_GLASS = "Emergency contact called; the safety plan was needed at night."


def _load_session(db, session_id) -> TherapySession:
    return db.scalars(
        select(TherapySession)
        .where(TherapySession.id == session_id)
        .options(*session_record_options())
    ).one()


def _fresh_patient(db, patient_id) -> Patient:
    """Forget everything in memory, so the export must load it all itself."""
    db.expunge_all()
    return db.get(Patient, patient_id)


@pytest.fixture
def record(app, db, make_user):
    """A small realistic course: preparation, dosing with a booster and vitals, integration
    that reviews a strategy (modified into a new version), re-rates a belief and resolves a
    theme; the integration session is signed and has an addendum; a private note."""
    user = make_user()
    colleague = make_user(email="prescriber@example.org", name="Dr Ada Prescriber")
    admin = make_user(email="admin@example.org", name="Sam Admin", is_admin=True)
    patient_id = add_patient(app, user, weight_kg=Decimal("70.0"))
    course = db_course(db, patient_id, "First IM series", date(2026, 3, 1))
    prep = db_session(db, user.id, course, "preparation", datetime(2026, 3, 2, 10, 0),
                      intention="Meet the grief with curiosity",
                      summary="Preparation: safety plan, music, intentions.")
    dosing = db_session(db, user.id, course, "dosing", datetime(2026, 3, 9, 9, 30),
                        duration_minutes=180, summary="Dose 1 of 6, calm recovery.")
    integration = db_session(
        db, user.id, course, "integration", datetime(2026, 3, 10, 17, 0),
        follows_dosing_id=dosing.id,
        summary="Integration: the ocean came back — café by the sea, «calmer».")
    db_dosing(
        db, dosing.id,
        Decimal("35"),  # unscaled on purpose: the export must still say "35.0"
        administered_at=time(9, 45), monitoring_start=time(9, 45), monitoring_end=time(11, 50),
        adverse_events=["nausea", "elevated_bp"], adverse_event_notes="Mild nausea at 20 minutes.",
        transport_home="driven_by_companion",
        boosters=[{"dose_mg": Decimal("15.0"), "given_at": time(10, 5)}],
        vitals=[{"timepoint": "baseline", "systolic": 122, "diastolic": 78, "heart_rate": 70,
                 "spo2": 98},
                {"timepoint": "peak", "systolic": 182, "diastolic": 96, "heart_rate": 88,
                 "spo2": 97},
                {"timepoint": "discharge", "systolic": 128, "diastolic": 80, "heart_rate": 72,
                 "spo2": 98}])
    ocean = db_theme(db, patient_id, dosing.id, "the ocean", status="resolved",
                     resolved_session_id=integration.id)
    grief = db_theme(db, patient_id, prep.id, "grief for my father", category="emotion")
    belief = db_belief(db, patient_id, dosing.id, status="strengthening")
    walk = db_strategy(db, patient_id, prep.id, "Ten-minute walk by the river", status="retired")
    walk_v2 = db_strategy(db, patient_id, integration.id, "Five-minute walk after lunch",
                          replaces_id=walk.id)
    phq9 = db_measure(db, user.id, patient_id, course.id, "phq9", 14, date(2026, 3, 10),
                      session_id=integration.id, item_9=1, followed_up=True)
    gad7 = db_measure(db, user.id, patient_id, course.id, "gad7", 6, date(2026, 3, 2))
    shared = team_member(patient_id, colleague.id, "write", added_by=user.id,
                         relationship="prescriber")
    shared.revoked_by_id, shared.revoked_at = user.id, utcnow()
    db.add_all([shared, emergency_access(patient_id, admin.id, BREAK_GLASS)])
    db.add_all([
        theme_mention(prep.id, grief.id, notes="Tearful when naming him."),
        theme_mention(dosing.id, ocean.id, notes="Vast, warm water."),
        theme_mention(integration.id, ocean.id, "resolved",
                      notes="The ocean felt like being held."),
        theme_mention(integration.id, grief.id, notes="Less heavy."),
        belief_rating(dosing.id, belief.id, "emerging", old_conviction=80, new_conviction=30,
                      note="First glimpse."),
        belief_rating(integration.id, belief.id, old_conviction=60, new_conviction=55,
                      note="Holding."),
        strategy_review(integration.id, walk.id, "modify", times_practised=2, helpfulness=7,
                        barriers="Rain; long workdays.", new_strategy_id=walk_v2.id),
        PsychotherapyNote(session_id=integration.id, author_id=user.id, body=NOTE_BODY),
    ])
    db.commit()

    # Signed the way the signing service signs, then an addendum.
    db_sign(db, integration.id, user.id, datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
    db.add(Addendum(session_id=integration.id, author_id=user.id,
                    body="Correction: walk was planned for after lunch."))
    db.commit()
    db.expunge_all()

    return {
        "user_id": user.id, "patient_id": patient_id, "course_id": course.id, "prep": prep.id,
        "dosing": dosing.id, "integration": integration.id, "ocean": ocean.id,
        "grief": grief.id, "belief": belief.id, "walk": walk.id, "walk_v2": walk_v2.id,
        "phq9": phq9.id, "gad7": gad7.id, "colleague": colleague.id, "admin": admin.id,
    }


def _export(db, ids, **options) -> dict:
    return patient_export(db, _fresh_patient(db, ids["patient_id"]), **options)


def _sessions(export) -> dict[int, dict]:
    return {s["id"]: s for course in export["courses"] for s in course["sessions"]}


def test_export_structure_and_values(db, record):
    export = _export(db, record, exported_by=record["user_id"])
    json.dumps(export)  # plain JSON values only

    assert export["format"] == EXPORT_FORMAT == "kap-tracker.patient-record"
    assert export["version"] == EXPORT_VERSION == 2
    assert export["exported_by"] == record["user_id"]
    assert export["exported_at"].endswith("Z")
    assert export["includes_psychotherapy_notes"] is False
    assert export["patient"]["id"] == record["patient_id"]
    assert export["patient"]["display_name"] == "Maya Okafor"
    assert export["patient"]["weight_kg"] == "70.0"

    [course] = export["courses"]
    assert course["id"] == record["course_id"]
    assert course["start_date"] == "2026-03-01"
    assert course["default_medication"] == "racemic_ketamine"
    assert [s["id"] for s in course["sessions"]] == [
        record["prep"],
        record["dosing"],
        record["integration"],
    ]
    assert [s["kind"] for s in course["sessions"]] == ["preparation", "dosing", "integration"]

    sessions = _sessions(export)
    prep, dosing, integration = (sessions[record[k]] for k in ("prep", "dosing", "integration"))
    assert prep["starts_at"] == "2026-03-02T10:00:00"  # local wall-clock time, no zone
    assert prep["intention"] == "Meet the grief with curiosity"
    assert prep["dosing"] is None
    assert prep["status"] == "draft" and prep["signed_at"] is None
    assert integration["follows_dosing_id"] == record["dosing"]

    dose = dosing["dosing"]
    assert dose["dose_mg"] == "35.0"
    assert dose["boosters"] == [{"dose_mg": "15.0", "given_at": "10:05:00"}]
    assert dose["total_mg"] == "50.0"
    assert dose["weight_kg"] == "70.0"
    assert dose["mg_per_kg"] == "0.50"
    assert dose["total_mg_per_kg"] == "0.71"
    assert dose["administered_at"] == "09:45:00"
    assert dose["monitoring_end"] == "11:50:00"
    assert [v["timepoint"] for v in dose["vitals"]] == ["baseline", "peak", "discharge"]
    assert [v["notable"] for v in dose["vitals"]] == [False, True, False]
    assert dose["vitals"][1] == {
        "timepoint": "peak",
        "systolic": 182,
        "diastolic": 96,
        "heart_rate": 88,
        "spo2": 97,
        "notable": True,
    }
    assert dose["adverse_events"] == ["elevated_bp", "nausea"]
    assert dose["transport_home"] == "driven_by_companion"

    # Themes per session, with the patient's own words.
    assert [(t["theme_id"], t["decision"]) for t in prep["themes"]] == [(record["grief"], "raised")]
    assert dosing["themes"] == [
        {
            "theme_id": record["ocean"],
            "label": "the ocean",
            "category": "imagery",
            "decision": "raised",
            "notes": "Vast, warm water.",
        }
    ]
    assert [(t["label"], t["decision"]) for t in integration["themes"]] == [
        ("the ocean", "resolved"),
        ("grief for my father", "raised"),
    ]

    # The belief re-rated in two sessions.
    assert dosing["belief_ratings"][0]["old_conviction"] == 80
    assert integration["belief_ratings"] == [
        {
            "belief_id": record["belief"],
            "old_belief": "I have to earn love",
            "new_belief": "I am worth care as I am",
            "decision": "strengthening",
            "old_conviction": 60,
            "new_conviction": 55,
            "note": "Holding.",
        }
    ]

    # The strategy review that modified the walk into a new version.
    assert integration["strategy_reviews"] == [
        {
            "strategy_id": record["walk"],
            "description": "Ten-minute walk by the river",
            "category": "nature",
            "target_per_week": 5,
            "times_practised": 2,
            "helpfulness": 7,
            "barriers": "Rain; long workdays.",
            "decision": "modify",
            "replaces_strategy_id": None,
            "new_strategy_id": record["walk_v2"],
        }
    ]

    # Signed session: who, when, hash; the addendum beside it.
    assert integration["status"] == "signed"
    assert integration["signed_at"] == "2026-03-10T18:00:00Z"
    assert integration["signed_by"] == record["user_id"]
    assert len(integration["content_hash"]) == 64
    [addendum] = integration["addenda"]
    assert addendum["author_id"] == record["user_id"]
    assert addendum["body"].startswith("Correction:")
    assert addendum["created_at"].endswith("Z")

    # Patient-level threads with their status and first session.
    themes = {t["id"]: t for t in export["themes"]}
    assert themes[record["ocean"]] == {
        "id": record["ocean"],
        "label": "the ocean",
        "category": "imagery",
        "status": "resolved",
        "first_session_id": record["dosing"],
        "resolved_session_id": record["integration"],
    }
    assert themes[record["grief"]]["status"] == "open"
    assert export["beliefs"] == [
        {
            "id": record["belief"],
            "old_belief": "I have to earn love",
            "new_belief": "I am worth care as I am",
            "status": "strengthening",
            "first_session_id": record["dosing"],
        }
    ]
    strategies = {s["id"]: s for s in export["strategies"]}
    old, new = strategies[record["walk"]], strategies[record["walk_v2"]]
    assert (old["replaces_id"], old["replaced_by_id"]) == (None, record["walk_v2"])
    assert (new["replaces_id"], new["replaced_by_id"]) == (record["walk"], None)
    assert (old["status"], new["status"]) == ("retired", "active")
    assert new["first_session_id"] == record["integration"]


def test_review_of_a_new_version_names_the_strategy_it_replaced(db, record):
    check_in = db_session(db, record["user_id"], db.get(Course, record["course_id"]),
                          "check_in", datetime(2026, 3, 14, 12, 0), duration_minutes=15)
    db.add(strategy_review(check_in.id, record["walk_v2"], times_practised=4, helpfulness=8))
    db.commit()

    sessions = _sessions(_export(db, record))
    [review] = sessions[check_in.id]["strategy_reviews"]
    assert review["strategy_id"] == record["walk_v2"]
    assert review["description"] == "Five-minute walk after lunch"
    assert review["replaces_strategy_id"] == record["walk"]
    assert review["new_strategy_id"] is None
    # Ordered by starts_at: the check-in comes last.
    assert [s["kind"] for s in _export(db, record)["courses"][0]["sessions"]][-1] == "check_in"


def test_psychotherapy_notes_only_on_request(db, record):
    without = json.dumps(_export(db, record), ensure_ascii=False)
    assert NOTE_BODY not in without
    assert "psychotherapy_notes" not in json.loads(without)
    assert json.loads(without)["includes_psychotherapy_notes"] is False

    export = _export(db, record, include_psychotherapy_notes=True)
    json.dumps(export)
    assert export["includes_psychotherapy_notes"] is True
    [note] = export["psychotherapy_notes"]
    assert note["session_id"] == record["integration"]
    assert note["author_id"] == record["user_id"]
    assert note["body"] == NOTE_BODY
    assert note["updated_at"].endswith("Z")
    # Even when requested, the note stays out of the session's progress record.
    assert NOTE_BODY not in json.dumps(export["courses"], ensure_ascii=False)


def _recompute(exported_session: dict) -> str:
    """What a recipient does with the JSON alone (docs/export.md): version 1 signatures did
    not cover `created_in_session` yet."""
    left_out = UNSIGNED | ({"created_in_session"} if exported_session["hash_version"] == 1
                           else set())
    signable = {k: v for k, v in exported_session.items() if k not in left_out}
    canonical = json.dumps(signable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_content_hash_verifies_from_exported_json(db, record):
    exported = json.loads(json.dumps(_export(db, record)))
    sessions = _sessions(exported)

    # The signed session: the stored hash (computed at signing, before the addendum and before
    # a reload) is recomputed from the file alone.
    integration = sessions[record["integration"]]
    assert integration["addenda"]
    assert _recompute(integration) == integration["content_hash"]

    # Every session, signed or not, hashes the same from the JSON as from the database.
    for session_id, exported_session in sessions.items():
        loaded = _load_session(db, session_id)
        assert _recompute(exported_session) == content_hash(loaded)
        assert signable_content(loaded) == {
            k: v for k, v in exported_session.items() if k not in UNSIGNED
        }
        assert session_record(loaded) == exported_session


def test_each_session_lists_what_it_created_and_its_signature_covers_it(db, record):
    sessions = _sessions(_export(db, record))
    prep, dosing, integration = (sessions[record[k]] for k in ("prep", "dosing", "integration"))
    assert prep["created_in_session"] == {
        "themes": [{"id": record["grief"], "label": "grief for my father",
                    "category": "emotion"}],
        "beliefs": [],
        "strategies": [{"id": record["walk"], "category": "nature",
                        "description": "Ten-minute walk by the river", "target_per_week": 5,
                        "replaces_id": None}],
    }
    assert [b["id"] for b in dosing["created_in_session"]["beliefs"]] == [record["belief"]]
    assert [t["id"] for t in dosing["created_in_session"]["themes"]] == [record["ocean"]]
    [new_version] = integration["created_in_session"]["strategies"]
    assert (new_version["id"], new_version["replaces_id"]) == (record["walk_v2"], record["walk"])
    assert integration["hash_version"] == 2 and prep["hash_version"] is None
    assert set(NOT_COVERED_BEFORE) == {1, 2}

    # The signed session's hash changes when the strategy it created is edited afterwards.
    session = _load_session(db, record["integration"])
    signed_hash = session.content_hash
    assert content_hash(session) == signed_hash
    first_form = content_hash(session, version=1)
    strategy = db.get(Strategy, record["walk_v2"])
    strategy.description = "A different walk"
    assert content_hash(session) != signed_hash
    # Version 1 did not cover it: the old form cannot see that change (hence version 2).
    assert content_hash(session, version=1) == first_form
    db.rollback()


def test_export_carries_questionnaires_follow_ups_and_access_history(db, record):
    export = json.loads(json.dumps(_export(db, record, exported_by=record["user_id"])))
    phq9, gad7 = (next(q for q in export["questionnaires"] if q["id"] == record[k])
                  for k in ("phq9", "gad7"))
    assert [q["id"] for q in export["questionnaires"]] == [record["gad7"], record["phq9"]]
    assert phq9["instrument"] == "phq9" and phq9["course_id"] == record["course_id"]
    assert phq9["session_id"] == record["integration"] and gad7["session_id"] is None
    assert phq9["taken_on"] == "2026-03-10"
    assert phq9["answers"] == [3, 3, 3, 3, 1, 0, 0, 0, 1] and phq9["total"] == 14
    assert (phq9["band"], phq9["safety_flag"], phq9["difficulty"]) == ("moderate", True, None)
    assert (gad7["band"], gad7["total"], gad7["safety_flag"]) == ("mild", 6, False)
    assert phq9["recorded_by"] == record["user_id"] and phq9["created_at"].endswith("Z")
    [follow_up] = phq9["follow_ups"]
    assert follow_up["action"] == "Safety assessment in session."
    assert follow_up["followed_up_on"] == "2026-03-10"
    assert follow_up["recorded_by"] == record["user_id"]
    assert gad7["follow_ups"] == []
    # The stored hash is recomputable from the exported questionnaire alone.
    assert phq9["hash_version"] == 2 and len(phq9["content_hash"]) == 64
    assert phq9["source"] == "session" and phq9["checkin_link_id"] is None
    assert integrity.values_hash(phq9) == phq9["content_hash"]
    assert integrity.values_hash({**phq9, "source": "home"}) != phq9["content_hash"]
    assert integrity.values_hash({**phq9, "total": 3}) != phq9["content_hash"]

    [member] = export["care_team"]
    assert (member["user_id"], member["role"], member["relationship"]) == (
        record["colleague"], "write", "prescriber")
    assert member["added_by"] == member["revoked_by"] == record["user_id"]
    assert member["added_at"].endswith("Z") and member["revoked_at"].endswith("Z")
    [grant] = export["emergency_access"]
    assert grant["user_id"] == record["admin"] and grant["reason"] == BREAK_GLASS
    assert grant["ended_at"] is None and grant["expires_at"].endswith("Z")

    names = {u["id"]: u["name"] for u in export["users"]}
    assert names == {record["user_id"]: "Test Therapist",
                     record["colleague"]: "Dr Ada Prescriber", record["admin"]: "Sam Admin"}


def test_content_hash_covers_the_record_but_not_signing_or_addenda(db, record):
    session = _load_session(db, record["dosing"])
    original = content_hash(session)
    assert len(original) == 64 and int(original, 16) >= 0

    session.summary += " Edited."
    edited = content_hash(session)
    assert edited != original
    session.dosing.vitals[0].systolic = 150
    assert content_hash(session) != edited
    session.dosing.dose_mg = Decimal("40.0")
    assert json.loads(json.dumps(signable_content(session)))["dosing"]["dose_mg"] == "40.0"
    changed = content_hash(session)

    # Signing and addenda do not change what was signed.
    session.status = "signed"
    session.signed_at = datetime.now(UTC)
    session.signed_by_id = record["user_id"]
    session.content_hash = changed
    session.addenda.append(
        Addendum(
            id=999, author_id=record["user_id"], body="Later note.", created_at=datetime.now(UTC)
        )
    )
    assert content_hash(session) == changed
    db.rollback()


def _bulk_patient(db, user, patient_id, n_sessions, tag):
    """A patient with n sessions, each touching every relationship the export reads."""
    history = build_history(db, user.id, patient_id, n_sessions, kinds=("dosing",),
                            summary=f"{tag} session {{i}}", dosing=True, addenda=True)
    for i, session_id in enumerate(history["sessions"]):
        db_measure(db, user.id, patient_id, history["course"], "phq9", 10, date(2025, 1, 6),
                   session_id=session_id, item_9=1, followed_up=True)
        db_measure(db, user.id, patient_id, history["course"], "gad7", i % 21, date(2025, 1, 7))
        db_strategy(db, patient_id, session_id, f"{tag} strategy {i}")
    db.add_all([team_member(patient_id, user.id, added_by=user.id),
                emergency_access(patient_id, user.id, "Night call.")])
    db.commit()


@pytest.mark.parametrize("notes", [False, True])
def test_query_count_does_not_grow_with_sessions(app, db, make_user, count_queries, notes):
    user = make_user()
    small = add_patient(app, user, "Small Record")
    large = add_patient(app, user, "Large Record")
    _bulk_patient(db, user, small, 5, "small")
    _bulk_patient(db, user, large, 50, "large")

    counts, exports = [], []
    for patient_id in (small, large):
        patient = _fresh_patient(db, patient_id)
        with count_queries() as statements:
            export = patient_export(db, patient, include_psychotherapy_notes=notes)
        counts.append(len(statements))
        exports.append(export)

    assert counts[0] == counts[1]
    small_export, large_export = exports
    # Everything really was loaded (and only this patient's rows).
    assert len(_sessions(small_export)) == 5
    assert len(_sessions(large_export)) == 50
    assert "large session" not in json.dumps(small_export)
    for session in _sessions(large_export).values():
        assert session["dosing"]["boosters"] and session["dosing"]["vitals"]
        assert session["themes"] and session["belief_ratings"] and session["strategy_reviews"]
        assert session["addenda"] and session["created_in_session"]["strategies"]
    assert len(large_export["questionnaires"]) == 100
    assert all(q["follow_ups"] for q in large_export["questionnaires"]
               if q["instrument"] == "phq9")
    assert large_export["care_team"] and large_export["emergency_access"]
    assert large_export["users"]
    assert len(large_export.get("psychotherapy_notes", [])) == (50 if notes else 0)


def test_content_hash_refuses_unflushed_rows(db, record):
    session = _load_session(db, record["prep"])
    session.theme_mentions.append(ThemeMention(theme_id=record["ocean"], decision="raised"))
    with pytest.raises(ValueError, match="flush"):
        content_hash(session)
    db.rollback()
