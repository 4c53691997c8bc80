"""A practice network of fictional records, generated deterministically from a seed.

At scale 1: 50 therapists with 40 patients each (2,000 patients), one course per patient and
about 40,000 sessions (20 per patient; the first patient of the first therapist has 200, for
the progress page), each reviewing 3 to 5 themes, beliefs and strategies; 20,000
questionnaires; about 100,000 searchable notes (theme notes, belief notes, strategy barriers)
besides the summaries. Rows are written in bulk (Core inserts with explicit ids), then the
search documents are built once, as `flask search-reindex` would.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.courses.models import Course
from tracker.demo.measures import answers_for
from tracker.measures.models import MeasureResponse
from tracker.patients.models import Patient
from tracker.search.index import rebuild
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
COMMON_WORD = "walk"  # In a large share of the notes.
RARE_WORD = "heliotrope"  # In about one note in 5,000.
KINDS = ("dosing", "integration", "integration", "check_in")
INSTRUMENTS = ("phq9", "gad7", "pcl5")
BATCH = 5000
WORDS = """walk grief ocean father mother river light body breath fear shame anger sadness
tears warmth chest stomach throat forest garden child house door window mirror water fire
earth sky stars tree roots bird wings falling flying floating dissolving voice silence music
colour blue gold green darkness tunnel path mountain bridge boat storm calm trust safety love
loss death birth memory school work sister brother partner friend dog home letting go held
carried seen heard alone together connection distance boundary anxiety panic relief peace
joy gratitude forgiveness anger guilt worth enough burden care rest sleep morning evening
journal pages painting drawing singing dance yoga stretch swim run garden kitchen bread tea
phone call visit message walk beach park trail lake snow rain sun wind cloud moon night
""".split()  # noqa: SIM905 (a word list reads better as text)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Clinical words first (most frequent), then invented ones; Zipf-like weights."""
    syllables = ["ka", "lo", "mi", "ren", "sa", "tor", "vel", "nu", "quo", "bri", "dan", "esh"]
    invented = sorted({"".join(rng.choices(syllables, k=3)) for _ in range(3000)})
    words = list(dict.fromkeys(WORDS)) + invented
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    return words, weights


@dataclass
class Caseload:
    """One therapist's patients and, for each (same order), a signed session and the draft."""

    patients: list[int] = field(default_factory=list)
    signed_sessions: list[int] = field(default_factory=list)  # each patient's last signed one
    draft_sessions: list[int] = field(default_factory=list)  # each patient's last session


@dataclass
class Network:
    """Ids the benchmark needs, and row counts."""

    therapists: list[str] = field(default_factory=list)  # emails
    caseloads: dict[str, Caseload] = field(default_factory=dict)  # by therapist's email
    big_patient: int = 0  # the patient with the most sessions (progress page)
    big_therapist: str = ""
    signed_session: int = 0  # a signed session of that patient (session page)
    draft_sessions: list[int] = field(default_factory=list)  # the last session of patients
    counts: dict[str, int] = field(default_factory=dict)


def generate(db: Session, *, scale: float = 1.0, seed: int = 20261124,
             big_sessions: int | None = None, progress=None) -> Network:
    """Fill an empty, migrated database. `big_sessions`: the big patient's sessions (by
    default 200 x scale, at least 20). `progress(iterable, label)` may wrap the patients
    loop (the CLI passes a progress bar)."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)

    def sentence(low: int, high: int, rare: float = 0.0) -> str:
        picked = rng.choices(words, cum_weights=weights, k=rng.randint(low, high))
        if rare and rng.random() < rare:
            picked.insert(rng.randrange(len(picked) + 1), RARE_WORD)
        return " ".join(picked).capitalize() + "."

    from tracker.auth.passwords import hash_password

    password_hash = hash_password(PASSWORD)
    n_therapists = max(2, round(50 * scale))
    per_therapist = 40
    sessions_per_patient = 20
    big_sessions = big_sessions or max(20, round(200 * scale))
    network = Network()
    rows: dict[type, list[dict]] = {model: [] for model in (
        User, Patient, Course, TherapySession, Theme, Belief, Strategy, ThemeMention,
        BeliefRating, StrategyReview, MeasureResponse)}
    ids = {model: itertools.count(1) for model in rows}
    now = datetime.now(UTC)
    today = date.today()

    def add(model, **values) -> int:
        values["id"] = next(ids[model])
        rows[model].append(values)
        if len(rows[model]) >= BATCH:
            flush_all()
        return values["id"]

    def flush_all() -> None:
        for model in rows:  # In the order of their foreign keys.
            flush(model)

    def flush(model) -> None:
        if rows[model]:
            db.execute(insert(model), rows[model])
            network.counts[model.__tablename__] = (network.counts.get(model.__tablename__, 0)
                                                   + len(rows[model]))
            rows[model] = []

    for t in range(n_therapists):
        email = f"therapist{t:02d}@bench.kap"
        network.therapists.append(email)
        network.caseloads[email] = Caseload()
        add(User, email=email, name=f"Therapist {t:02d}", password_hash=password_hash,
            password_changed_at=now)
    flush_all()

    patients = [(t, p) for t in range(n_therapists) for p in range(per_therapist)]
    notes = 0
    wrap = progress or (lambda items, _label: contextlib.nullcontext(items))
    with wrap(patients, "Patients and sessions") as bar:
        for t, p in bar:
            therapist_id = t + 1
            name = f"Patient {t:02d}-{p:02d}"
            patient_id = add(Patient, therapist_id=therapist_id, display_name=name,
                             name_key=name.casefold(), status="active",
                             record_number=f"BENCH-{t:02d}{p:02d}",
                             treatment_intentions=sentence(8, 16))
            count = big_sessions if (t, p) == (0, 0) else sessions_per_patient
            start = today - timedelta(days=3 * count + 7)
            course_id = add(Course, patient_id=patient_id, title="Ketamine course",
                            start_date=start, planned_dosing_sessions=6,
                            default_medication="racemic_ketamine", default_route="im",
                            status="active")
            session_ids, last_dosing = [], None
            for number in range(count):
                kind = "preparation" if number == 0 else KINDS[number % 4]
                draft = number == count - 1
                starts_at = datetime.combine(start + timedelta(days=3 * number),
                                             datetime.min.time()) + timedelta(hours=10)
                summary = sentence(15, 35, rare=0.0002)
                # A signed session carries a content hash; here one of the summary alone
                # (the benchmark does not verify it).
                signed = None if draft else {
                    "signed_at": now, "signed_by_id": therapist_id,
                    "content_hash": hashlib.sha256(summary.encode()).hexdigest()}
                sid = add(TherapySession, patient_id=patient_id, course_id=course_id,
                          kind=kind, starts_at=starts_at, duration_minutes=60,
                          follows_dosing_id=last_dosing if kind == "integration" else None,
                          intention=sentence(4, 10), summary=summary,
                          status="draft" if draft else "signed", created_by_id=therapist_id,
                          **(signed or {}))
                if kind == "dosing":
                    last_dosing = sid
                session_ids.append(sid)
                if number == 0:
                    first = sid
                    themes = [add(Theme, patient_id=patient_id, label=sentence(2, 4)[:-1],
                                  category=rng.choice(["emotion", "imagery", "memory", "body"]),
                                  first_session_id=first) for _ in range(5)]
                    beliefs = [add(Belief, patient_id=patient_id, old_belief=sentence(4, 8),
                                   new_belief=sentence(4, 8), status="strengthening",
                                   first_session_id=first) for _ in range(5)]
                    strategies = [add(Strategy, patient_id=patient_id,
                                      category=rng.choice(["nature", "mindfulness", "journaling",
                                                           "movement", "connection"]),
                                      description=sentence(3, 7), target_per_week=5,
                                      first_session_id=first) for _ in range(5)]
                    continue
                if draft:  # The next session: its items wait for a decision.
                    continue
                for theme in rng.sample(themes, rng.randint(3, 5)):
                    note = sentence(6, 14, rare=0.0002) if rng.random() < 0.35 else ""
                    notes += bool(note)
                    add(ThemeMention, session_id=sid, theme_id=theme, decision="raised", notes=note)
                for belief in rng.sample(beliefs, rng.randint(3, 5)):
                    note = sentence(5, 12) if rng.random() < 0.2 else ""
                    notes += bool(note)
                    add(BeliefRating, session_id=sid, belief_id=belief, decision="strengthening",
                        old_conviction=rng.randint(10, 90), new_conviction=rng.randint(10, 90),
                        note=note)
                for strategy in rng.sample(strategies, rng.randint(3, 5)):
                    barriers = sentence(4, 10) if rng.random() < 0.15 else ""
                    notes += bool(barriers)
                    add(StrategyReview, session_id=sid, strategy_id=strategy, decision="continue",
                        times_practised=rng.randint(0, 7), helpfulness=rng.randint(2, 9),
                        barriers=barriers)
            signed = session_ids[:-1]
            for index in range(10):  # Questionnaires, spread over the signed sessions.
                sid = signed[index * len(signed) // 10]
                code = INSTRUMENTS[index % 3]
                total = rng.randint(2, 20 if code != "pcl5" else 60)
                answers = answers_for(code, total)
                add(MeasureResponse, patient_id=patient_id, course_id=course_id, session_id=sid,
                    instrument=code, taken_on=start + timedelta(days=3 * index), answers=answers,
                    total=sum(answers), safety_flag=False, recorded_by_id=therapist_id)
            network.draft_sessions.append(session_ids[-1])
            caseload = network.caseloads[network.therapists[t]]
            caseload.patients.append(patient_id)
            caseload.signed_sessions.append(session_ids[-2])
            caseload.draft_sessions.append(session_ids[-1])
            if (t, p) == (0, 0):
                network.big_patient = patient_id
                network.big_therapist = network.therapists[0]
                network.signed_session = session_ids[-2]
    flush_all()
    network.counts["searchable_notes"] = notes
    network.counts["big_patient_sessions"] = big_sessions
    if db.get_bind().dialect.name == "postgresql":
        for model in rows:  # Explicit ids: move each sequence past them.
            table = model.__tablename__
            db.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (model names)
                            f"(SELECT max(id) FROM {table}))"))
    network.counts["search_documents"] = rebuild(db.connection())
    db.commit()
    return network
