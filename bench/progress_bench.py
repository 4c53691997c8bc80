"""Rendering time of the progress page and the brief for a patient with many sessions, on
the default SQLite database. A benchmark, not a test: it prints figures and writes them to
bench/out/progress.json.

    make bench            (or: .venv/bin/python bench/progress_bench.py --sessions 100)
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from tracker import create_app, migrate
from tracker.auth import services as accounts
from tracker.courses.models import Course
from tracker.db import get_db
from tracker.demo.measures import answers_for
from tracker.measures import services as measures
from tracker.patients import services as patients
from tracker.sessions.models import TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

PASSWORD = "benchmark passphrase"
KINDS = ("dosing", "integration", "integration", "check_in")


def build(app, sessions: int, seed: int = 7) -> int:
    """One therapist, one patient, one course with `sessions` sessions of history."""
    rng = random.Random(seed)
    with app.app_context():
        db = get_db()
        user = accounts.create_user(db, email="bench@example.org", name="Bench",
                                    password=PASSWORD)
        patient = patients.create_patient(db, user, {
            "display_name": "Bench Patient", "preferred_name": None, "pronouns": None,
            "date_of_birth": None, "record_number": None, "weight_kg": 70,
            "treatment_intentions": ""})
        start = date.today() - timedelta(days=sessions * 3)
        course = Course(patient_id=patient.id, title="Long course", start_date=start,
                        planned_dosing_sessions=24, default_medication="racemic_ketamine",
                        default_route="im", status="active")
        db.add(course)
        db.flush()
        first = TherapySession(patient_id=patient.id, course_id=course.id, kind="preparation",
                               starts_at=datetime.combine(start, datetime.min.time()),
                               duration_minutes=60, created_by_id=user.id, status="signed",
                               summary="Preparation.")
        db.add(first)
        db.flush()
        strategies = [Strategy(patient_id=patient.id, category="nature", description=f"Walk {n}",
                               target_per_week=5, first_session_id=first.id) for n in range(4)]
        beliefs = [Belief(patient_id=patient.id, old_belief=f"Old {n}", new_belief=f"New {n}",
                          first_session_id=first.id, status="strengthening") for n in range(3)]
        themes = [Theme(patient_id=patient.id, label=f"Theme {n}", category="imagery",
                        first_session_id=first.id) for n in range(4)]
        db.add_all([*strategies, *beliefs, *themes])
        db.flush()
        for number in range(1, sessions):
            session = TherapySession(
                patient_id=patient.id, course_id=course.id, kind=KINDS[number % 4],
                starts_at=datetime.combine(start + timedelta(days=3 * number),
                                           datetime.min.time()) + timedelta(hours=10),
                duration_minutes=60, created_by_id=user.id, status="signed",
                summary="A session of the benchmark.")
            db.add(session)
            db.flush()
            db.add_all(
                [StrategyReview(session_id=session.id, strategy_id=s.id, decision="continue",
                                times_practised=rng.randint(0, 6), helpfulness=rng.randint(3, 9))
                 for s in strategies]
                + [BeliefRating(session_id=session.id, belief_id=b.id, decision="strengthening",
                                old_conviction=rng.randint(0, 100),
                                new_conviction=rng.randint(0, 100)) for b in beliefs]
                + [ThemeMention(session_id=session.id, theme_id=t.id, decision="raised",
                                notes="came up") for t in themes])
            if number % 4 == 1:
                for code, total in (("phq9", rng.randint(3, 20)), ("gad7", rng.randint(2, 15))):
                    measures.record_response(db, user, patient, instrument=code, course=course,
                                             session=session,
                                             taken_on=session.starts_at.date(),
                                             answers=answers_for(code, total))
        db.commit()
        return patient.id


def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "bench@example.org",
                                            "password": PASSWORD})
    assert response.status_code == 302, response.status_code


def measure(app, client, path: str, rounds: int) -> dict:
    statements = []
    engine = app.extensions["tracker.engine"]

    def count(*_args):
        statements.append(1)

    for _ in range(3):  # warm up (template compilation, caches)
        assert client.get(path).status_code == 200
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    event.listen(engine, "before_cursor_execute", count)
    client.get(path)
    event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {"path": path, "rounds": rounds, "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
            "max_ms": round(timings[-1], 2), "queries": len(statements)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40,
                          "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                          "SESSION_COOKIE_SECURE": False, "ARGON2_TIME_COST": 1,
                          "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
        migrate.upgrade(app.extensions["tracker.engine"])
        patient_id = build(app, args.sessions)
        client = app.test_client()
        login(client)
        results = [measure(app, client, f"/patients/{patient_id}/{page}", args.rounds)
                   for page in ("progress", "brief", "progress/print")]
    report = {"date": datetime.now().isoformat(timespec="seconds"),
              "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "python": platform.python_version(), "sessions": args.sessions,
              "database": "sqlite", "results": results}
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "progress.json").write_text(json.dumps(report, indent=2))
    print(f"{args.sessions} sessions, SQLite, {args.rounds} rounds each (in-process client)")
    print(f"{'page':<34}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}{'queries':>9}")
    for row in results:
        print(f"{row['path']:<34}{row['median_ms']:>10}{row['p95_ms']:>10}{row['max_ms']:>10}"
              f"{row['queries']:>9}")


if __name__ == "__main__":
    main()
