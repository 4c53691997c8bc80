"""A realistic course for each demo patient, written through the same services as the
pages: preparation, dosing with vitals, integration where strategies are reviewed and
modified, beliefs re-rated and themes recur and resolve, signatures, an addendum, and a
draft in progress."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.courses import services as courses
from tracker.courses.models import Course
from tracker.demo.material import ADDENDUM, MATERIAL, SUMMARIES
from tracker.patients.models import Patient
from tracker.sessions import services as sessions
from tracker.sessions.kinds import CHECK_IN, DOSING, INTEGRATION, PREPARATION, SessionKind
from tracker.sessions.models import TherapySession
from tracker.threads.carry import Carry, carry_for

# (days before today, kind) for each session of the course.
PLAN = [(-49, PREPARATION), (-42, DOSING), (-40, INTEGRATION), (-33, CHECK_IN),
        (-28, DOSING), (-26, INTEGRATION), (-14, DOSING), (-12, INTEGRATION)]
FIRST_INTEGRATION, SECOND_INTEGRATION = 2, 5

# Medication, route and dose of each dosing session (mg, or mg/kg for IM and IV).
PROTOCOLS = {
    "Maya Okafor": ("racemic_ketamine", "im", [0.5, 0.6, 0.75]),
    "Daniel Reyes": ("racemic_ketamine", "iv", [0.5, 0.5, 0.6]),
    "Priya Natarajan": ("racemic_ketamine", "sublingual", [200, 300, 300]),
    "Thomas Becker": ("esketamine", "intranasal", [56, 84, 84]),
    "Alex Kim": ("racemic_ketamine", "im", [0.5, 0.5, 0.6]),
    "Rosa Delgado": ("racemic_ketamine", "sublingual", [150, 200, 250]),
}
# Patients whose last session stays a draft in progress.
LEAVE_DRAFT = {"Maya Okafor", "Alex Kim"}


def seed_course(db: Session, therapist: User, patient: Patient, *, today: date,
                shift_days: int = 0) -> tuple[Course, list[TherapySession]]:
    material = MATERIAL[patient.display_name]
    medication, route, doses = PROTOCOLS[patient.display_name]
    rng = random.Random(patient.display_name)
    start = today + timedelta(days=PLAN[0][0] + shift_days)
    course = courses.create_course(db, patient, {
        "title": "Initial course", "start_date": start, "planned_dosing_sessions": 3 + (
            len(patient.display_name) % 2) * 3, "default_medication": medication,
        "default_route": route, "status": "active" if shift_days == 0 else "completed",
    })
    story = _Story(material, rng)
    dose_number = 0
    created = []
    for index, (offset, kind) in enumerate(PLAN):
        when = datetime.combine(today + timedelta(days=offset + shift_days), time(10 + index % 4))
        session = sessions.create_session(db, therapist, patient, course, kind=kind.code,
                                          starts_at=when, duration_minutes=kind.demo_minutes)
        created.append(session)
        session = _reload(db, session.id)
        carry = carry_for(db, session)
        dosing = None
        if kind.has_dosing:
            dosing = _dosing(medication, route, doses[dose_number], patient.weight_kg,
                             notable=patient.display_name == "Daniel Reyes" and dose_number == 1,
                             low_spo2=patient.display_name == "Rosa Delgado" and dose_number == 2)
            dose_number += 1
        data = story.session_input(session, carry, index, kind, dosing)
        sessions.save_session(db, therapist, session, carry, data)
        last = index == len(PLAN) - 1
        if last and patient.display_name in LEAVE_DRAFT and shift_days == 0:
            continue
        session = _reload(db, session.id)
        sessions.sign_session(db, therapist, session, session.version)
        if index == FIRST_INTEGRATION:
            sessions.add_addendum(db, therapist, session, ADDENDUM)
    return course, created


def _reload(db: Session, session_id: int) -> TherapySession:
    return db.scalar(select(TherapySession).where(TherapySession.id == session_id)
                     .options(*sessions.SESSION_PAGE_OPTIONS)
                     .execution_options(populate_existing=True))


def _dosing(medication: str, route: str, amount, weight: Decimal | None, *,
            notable: bool, low_spo2: bool) -> dict:
    if route in ("im", "iv"):
        dose = (Decimal(str(amount)) * (weight or Decimal(70))).quantize(Decimal("1"))
    else:
        dose = Decimal(amount)
    peak = (182, 96) if notable else (146, 88)
    return {
        "medication": medication, "route": route, "dose_mg": dose,
        "boosters": [{"dose_mg": Decimal(100), "given_at": time(10, 40)}]
        if route == "sublingual" and amount >= 300 else [],
        "weight_kg": None, "administered_at": time(10, 15),
        "monitoring_start": time(10, 15), "monitoring_end": time(12, 30),
        "vitals": {
            "baseline": {"systolic": 124, "diastolic": 78, "heart_rate": 72, "spo2": 98},
            "peak": {"systolic": peak[0], "diastolic": peak[1], "heart_rate": 84, "spo2": 97},
            "discharge": {"systolic": 128, "diastolic": 80, "heart_rate": 74,
                          "spo2": 90 if low_spo2 else 98},
        },
        "adverse_events": ["nausea"] if notable else [],
        "adverse_event_notes": "Brief nausea at 30 minutes, settled without medication."
        if notable else "",
        "transport_home": "driven_by_companion", "transport_notes": "",
    }


class _Story:
    """Decides, session by session, what happened to each thread."""

    def __init__(self, material: dict, rng: random.Random):
        self.material = material
        self.rng = rng
        self.theme_told: dict[str, int] = {}
        self.ratings: dict[str, int] = {}

    def session_input(self, session: TherapySession, carry: Carry, index: int,
                      kind: SessionKind, dosing: dict | None) -> sessions.SessionInput:
        m = self.material
        return sessions.SessionInput(
            version=session.version, starts_at=session.starts_at,
            duration_minutes=session.duration_minutes,
            follows_dosing_id=session.follows_dosing_id,
            intention=m["intentions"].get(kind.code, ""),
            summary=SUMMARIES[kind.code],
            private_notes="Noticed my own wish to reassure; stayed with the silence instead."
            if index == FIRST_INTEGRATION else "",
            dosing=dosing,
            strategies={i.record.id: self._strategy(i, index, kind) for i in carry.strategies},
            beliefs={i.record.id: self._belief(i, index, kind) for i in carry.beliefs},
            themes={i.record.id: self._theme(i, index, kind) for i in carry.themes},
            new_themes=[self._new_theme(n) for n in self._introduced(index, "themes")],
            new_beliefs=[self._new_belief(n) for n in self._introduced(index, "beliefs")],
            new_strategies=[self._new_strategy(n) for n in self._introduced(index, "strategies")],
        )

    def _introduced(self, index: int, thread: str) -> list[int]:
        count = len(self.material[thread])
        wanted = {"themes": {0: [0, 1], 1: [2]}, "beliefs": {0: [0], 1: [1]},
                  "strategies": {0: [0, 1], 2: [2]}}[thread].get(index, [])
        return [n for n in wanted if n < count]

    def _new_theme(self, n: int) -> dict:
        label, category, told = self.material["themes"][n]
        self.theme_told[label] = 1
        return {"label": label, "category": category, "notes": told[0]}

    def _new_belief(self, n: int) -> dict:
        old, new = self.material["beliefs"][n]
        self.ratings[old] = 1
        return {"old_belief": old, "new_belief": new, "old_conviction": 85 - 5 * n,
                "new_conviction": 15 + 5 * n}

    def _new_strategy(self, n: int) -> dict:
        category, description, target, _modified = self.material["strategies"][n]
        return {"category": category, "description": description, "target_per_week": target}

    def _strategy(self, item, index: int, kind: SessionKind) -> dict:
        strategy = item.record
        original = self._strategy_material(strategy.description)
        if kind is CHECK_IN and original is not None and original[0] != 0:
            return {"decision": "skip"}
        decision = "continue"
        extra = {}
        if (index == FIRST_INTEGRATION and original is not None and original[1][3]
                and original[0] == 0):
            decision = "modify"
            extra = {"new_category": strategy.category, "new_description": original[1][3],
                     "new_target": max(1, strategy.target_per_week - 1)}
        elif index == SECOND_INTEGRATION and original is not None and original[0] == 1:
            decision = "adopt"
        target = strategy.target_per_week
        return {"decision": decision,
                "times_practised": max(0, min(target + 1, target - self.rng.randint(-1, 3))),
                "helpfulness": self.rng.randint(5, 9),
                "barriers": "Long days at work; easier on weekends." if self.rng.random() < 0.3
                else "", **extra}

    def _strategy_material(self, description: str):
        for n, entry in enumerate(self.material["strategies"]):
            if entry[1] == description:
                return n, entry
        return None

    def _belief(self, item, index: int, kind: SessionKind) -> dict:
        belief = item.record
        k = self.ratings.get(belief.old_belief, 0)
        self.ratings[belief.old_belief] = k + 1
        first = belief.old_belief == self.material["beliefs"][0][0]
        if kind is CHECK_IN and not first:
            decision = "slipped_back"
        elif first and index == len(PLAN) - 1:
            decision = "integrated"
        else:
            decision = "strengthening" if k >= 1 else "emerging"
        jitter = self.rng.randint(-4, 4)
        slip = 12 if decision == "slipped_back" else 0
        return {"decision": decision,
                "old_conviction": max(0, min(100, 85 - 12 * k + jitter + slip)),
                "new_conviction": max(0, min(100, 20 + 12 * k - jitter - slip)),
                "note": "Said it with a steadier voice than last time." if k == 2 else ""}

    def _theme(self, item, index: int, kind: SessionKind) -> dict:
        theme = item.record
        if kind is CHECK_IN:
            return {"decision": "skip"}
        told = next((t[2] for t in self.material["themes"] if t[0] == theme.label), [])
        n = self.theme_told.get(theme.label, 0)
        if n >= len(told):
            if index >= SECOND_INTEGRATION:
                return {"decision": "resolved",
                        "notes": "Feels settled; the patient chose to let this one rest."}
            return {"decision": "skip"}
        if not kind.has_dosing and self.rng.random() < 0.35:
            return {"decision": "skip"}  # Not every theme comes up every time.
        self.theme_told[theme.label] = n + 1
        return {"decision": "raised", "notes": told[n]}
