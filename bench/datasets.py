"""The benchmark's data sets: the network of bench/network_data.py at a scale and a history
length, generated once and kept for the next runs, in BENCH_DATA or else the user's cache
folder (~/.cache/kap-tracker/bench-data: the 10x practice takes minutes to generate, and a
fresh clone finds it there). A file's name holds a digest of the generator and the migrations,
so a change of either makes a new one. Also: the pages measured on them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import click

from bench.network_data import COMMON_WORD, RARE_WORD, Caseload, Network, generate
from tracker import create_app, migrate
from tracker.db import get_db

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("BENCH_DATA") or Path(os.environ.get("XDG_CACHE_HOME")
                                                  or Path.home() / ".cache")
             / "kap-tracker" / "bench-data")


def pages(network: Network) -> dict[str, str]:
    big = network.big_patient
    return {
        "hello route": "/bench/hello",
        "patient list": "/patients/",
        "session page": f"/sessions/{network.signed_session}",
        "progress page": f"/patients/{big}/progress",
        "brief": f"/patients/{big}/brief",
        "new session, carry-forward": f"/sessions/{network.draft_sessions[0]}/edit",
        "search, rare word": f"/search?q={RARE_WORD}",
        "search, common word": f"/search?q={COMMON_WORD}",
        "search, one patient": f"/search?q={COMMON_WORD}&patient={big}",
    }


def build(url: str, scale: float, seed: int, label: str, big_sessions: int | None = None,
          quiet: bool = False) -> Network:
    """Migrate the empty database at `url` and fill it."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": url})
    migrate.upgrade(app.extensions["tracker.engine"])
    started = time.perf_counter()
    with app.app_context():
        def bar(items, text):
            return click.progressbar(items, label=f"{label}: {text}", show_pos=True)

        network = generate(get_db(), scale=scale, seed=seed, big_sessions=big_sessions,
                           progress=None if quiet else bar)
    network.counts["seconds"] = round(time.perf_counter() - started, 1)
    app.extensions["tracker.engine"].dispose()
    return network


def _digest(*parts: object) -> str:
    sources = [ROOT / "bench" / "network_data.py",
               *sorted((ROOT / "tracker" / "migrations" / "versions").glob("*.py"))]
    hashed = hashlib.sha256(repr(parts).encode())
    for source in sources:
        hashed.update(source.read_bytes())
    return hashed.hexdigest()[:12]


def cached(scale: float, seed: int, big_sessions: int | None, label: str) -> tuple[str, Network]:
    """The SQLite URL of the data set and its ids: generated unless an earlier run left it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    # Names built whole: "practice-0.1x-..." has a dot that with_suffix would cut at.
    name = label.replace(" ", "-")
    stem = f"{name}-{_digest(scale, seed, big_sessions)}"
    database, ids = CACHE / f"{stem}.sqlite3", CACHE / f"{stem}.json"
    if not ids.exists():
        for stale in CACHE.glob(f"{name}-*"):
            stale.unlink()
        partial = CACHE / f"{stem}.partial"
        partial.unlink(missing_ok=True)
        network = build(f"sqlite:///{partial}", scale, seed, label, big_sessions, quiet=True)
        os.replace(partial, database)
        ids.write_text(json.dumps(dataclasses.asdict(network)))
    saved = json.loads(ids.read_text())
    saved["caseloads"] = {email: Caseload(**load) for email, load in saved["caseloads"].items()}
    return f"sqlite:///{database}", Network(**saved)
