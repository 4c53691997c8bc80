"""The practice-network benchmark (`make bench`; not part of `make test`).

1. Generates a network of 50 therapists, 2,000 patients, ~40,000 sessions, 20,000
   questionnaires and ~100,000 searchable notes (bench/network_data.py), deterministically
   from --seed, on SQLite and, when TRACKER_BENCH_DATABASE_URL names a PostgreSQL server, on
   a scratch database there too.
2. Counts the SQL statements of each page at 1/10 of that data and at all of it (in-process):
   they must be equal.
3. Serves the app with gunicorn (tracker/gunicorn_conf.py) and loads it with hey as a signed-in
   therapist: each page at full load (8 concurrent clients) and at half that throughput
   (4 clients, rate-limited), beside a trivial hello route through the same app and server
   (the ceiling on this machine); saving a session is measured with sequential real saves.
   Worker memory is read after 10,000 and 20,000 requests.
4. "50 therapists, mixed work" (bench/mixed_work.py): as many simulated therapists at once,
   each signed in as another therapist of the network, doing a mix of their own work (lists,
   pages, the session form: autosave and real saves, searches) with short think times.
5. Writes bench/results.json and prints a table.

--only mixed skips the query counts and the per-page runs (step 4 alone, on the full data).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import mixed_work  # noqa: E402
from bench.load import Server, hey, percentile, save_session, session_form  # noqa: E402
from bench.network_data import COMMON_WORD, PASSWORD, RARE_WORD, Network, generate  # noqa: E402
from tests.support.browser import Browser  # noqa: E402
from tracker import create_app, migrate  # noqa: E402
from tracker.db import get_db  # noqa: E402

TARGETS = {  # page: (minimum share of the hello route's throughput, p99 ms at half load)
    "patient list": (0.30, 25), "session page": (0.30, 25), "progress page": (0.20, 50),
    "brief": (0.20, 50), "search, rare word": (None, 50), "search, common word": (None, 50),
    "search, one patient": (None, 50),
}


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


def build(url: str, scale: float, seed: int, label: str) -> Network:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": url})
    migrate.upgrade(app.extensions["tracker.engine"])
    started = time.perf_counter()
    with app.app_context():
        def bar(items, text):
            return click.progressbar(items, label=f"{label}: {text}", show_pos=True)

        network = generate(get_db(), scale=scale, seed=seed, progress=bar)
    network.counts["seconds"] = round(time.perf_counter() - started, 1)
    app.extensions["tracker.engine"].dispose()
    return network


def query_counts(url: str, network: Network) -> dict[str, int]:
    """SQL statements per page, in-process, as the big patient's therapist."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": url,
                      "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    from tests.support.forms import form_fields

    token = form_fields(client.get("/login").get_data(as_text=True), action=None)["csrf_token"]
    client.post("/login", data={"csrf_token": token, "email": network.big_therapist,
                                "password": PASSWORD})
    statements: list[str] = []
    engine = app.extensions["tracker.engine"]
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    counts = {}
    for name, path in pages(network).items():
        if name == "hello route":
            continue
        client.get(path)  # Warm (first use of a template).
        statements.clear()
        assert client.get(path).status_code == 200, path
        counts[name] = len(statements)
    engine.dispose()
    return counts


def save_sessions(base: str, email: str, session_ids: list[int], rounds: int) -> dict:
    """Real saves of the session page in turn (GET the form, decide, POST), one client per
    draft session, all at once; the POSTs are timed."""
    timings: list[float] = []
    failures: list[int] = []

    def work(session_id: int) -> None:
        browser = Browser(base)
        assert browser.sign_in(email, PASSWORD) == 302
        for _ in range(rounds):
            form = session_form(browser, session_id)
            started = time.perf_counter()
            status, _ = save_session(browser, session_id, form)
            timings.append((time.perf_counter() - started) * 1000)
            if status != 302:
                failures.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(sid,)) for sid in session_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    timings.sort()
    return {"saves": len(timings), "failed": len(failures),
            "saves_per_second": round(len(timings) / elapsed, 1),
            "p50_ms": round(statistics.median(timings), 1),
            "p99_ms": round(percentile(timings, 0.99), 1)}


def load_test(server: Server, network: Network, seconds: float, workers: int) -> dict:
    browser = Browser(server.url)
    assert browser.sign_in(network.big_therapist, PASSWORD) == 302
    cookie = browser.cookie
    paths = pages(network)
    for path in paths.values():  # Every worker warm on every page.
        hey(server.url + path, cookie, requests=workers * 4, workers=workers)
    results = {}
    for name, path in paths.items():
        full = hey(server.url + path, cookie, seconds=seconds, workers=8)
        half = hey(server.url + path, cookie, seconds=seconds, workers=4, rate=full.rps / 2)
        results[name] = {"path": path, "rps": full.rps, "p50_ms": full.p50_ms,
                         "p99_ms": full.p99_ms, "half_load_rps": half.rps,
                         "half_load_p50_ms": half.p50_ms, "half_load_p99_ms": half.p99_ms,
                         "statuses": {**full.statuses, **half.statuses}}
    ceiling = results["hello route"]["rps"]
    for row in results.values():
        row["share_of_hello"] = round(row["rps"] / ceiling, 3)
    saves = save_sessions(server.url, network.big_therapist, network.draft_sessions[1:3],
                          rounds=40)
    memory = {"after_warm_up": server.worker_rss_mib()}
    mix = [paths[name] for name in ("patient list", "session page", "progress page", "brief",
                                    "search, common word")]
    for label in ("after_10000_requests", "after_20000_requests"):
        for path in mix:
            hey(server.url + path, cookie, requests=2000, workers=8)
        memory[label] = server.worker_rss_mib()
    return {"pages": results, "saving a session": saves, "worker_memory_mib": memory}


def postgres_scratch(server_url: str):
    from tests.support.database import postgres_database

    return postgres_database(server_url)


def run_database(name: str, full_url: str, small_url: str, args) -> dict:
    pages_too = args.only != "mixed"
    small = build(small_url, args.scale / 10, args.seed, f"{name} 1x") if pages_too else None
    full = build(full_url, args.scale, args.seed, f"{name} 10x")
    print(f"{name}: generated {full.counts} in {full.counts['seconds']} s")
    result = {"data": full.counts}
    if small is not None:
        counts_small, counts_full = query_counts(small_url, small), query_counts(full_url, full)
        result |= {"data_1x": small.counts,
                   "queries": {"1x": counts_small, "10x": counts_full,
                               "equal": counts_small == counts_full}}
    with tempfile.TemporaryDirectory() as instance:
        server = Server(full_url, Path(instance), port=args.port, workers=args.workers)
        try:
            if pages_too:
                result |= load_test(server, full, args.seconds, args.workers)
            if args.only != "pages":
                result["mixed_work"] = mixed_work.run(server.url, full, args)
        finally:
            server.stop()
    return result


def print_table(name: str, result: dict) -> None:
    print(f"\n{name}: {result['data']['therapy_sessions']} sessions, "
          f"{result['data']['patients']} patients, {result['data']['searchable_notes']} notes; "
          f"progress page and brief of a patient with {result['data']['big_patient_sessions']}"
          " sessions")
    if "pages" in result:
        print_pages(result)
    if "mixed_work" in result:
        mixed_work.print_table(result["mixed_work"])


def print_pages(result: dict) -> None:
    print(f"{'page':<28}{'req/s':>8}{'x hello':>9}{'p50':>7}{'p99':>7}{'half p99':>10}"
          f"{'queries 1x/10x':>16}{'target':>16}")
    queries = result["queries"]
    for page, row in result["pages"].items():
        target = TARGETS.get(page)
        wanted = (f"{'≥' + str(target[0]) if target[0] else ''} <{target[1]}ms" if target
                  else "")
        counts = (f"{queries['1x'][page]}/{queries['10x'][page]}" if page in queries["1x"]
                  else "")
        print(f"{page:<28}{row['rps']:>8}{row['share_of_hello']:>9}{row['p50_ms']:>7}"
              f"{row['p99_ms']:>7}{row['half_load_p99_ms']:>10}{counts:>16}{wanted:>16}")
    saves = result["saving a session"]
    print(f"{'saving a session':<28}{saves['saves_per_second']:>8}{'':>9}{saves['p50_ms']:>7}"
          f"{saves['p99_ms']:>7}   ({saves['saves']} saves, {saves['failed']} failed)")
    memory = result["worker_memory_mib"]
    print("worker memory (MiB): " + "; ".join(f"{k.replace('_', ' ')}: {v}"
                                              for k, v in memory.items()))
    print(f"query counts equal at 1x and 10x: {queries['equal']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full network")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--seconds", type=float, default=8, help="per load run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() * 2 + 1,
                        help="gunicorn workers (the config's default)")
    parser.add_argument("--port", type=int, default=18_000 + os.getpid() % 1000,
                        help="gunicorn's port on 127.0.0.1 (default: from the process id)")
    parser.add_argument("--only", choices=("pages", "mixed"),
                        help="only the per-page runs (with the query counts), or only the "
                             "mixed run")
    mixed_work.add_arguments(parser)
    args = parser.parse_args()
    report = {"date": datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine(),
                          "python": platform.python_version()},
              "settings": vars(args), "targets": TARGETS, "databases": {}}
    with tempfile.TemporaryDirectory() as folder:
        report["databases"]["sqlite"] = run_database(
            "SQLite", f"sqlite:///{folder}/full.sqlite3", f"sqlite:///{folder}/small.sqlite3",
            args)
    server = os.environ.get("TRACKER_BENCH_DATABASE_URL")
    if server:
        (full_url, drop_full), (small_url, drop_small) = (postgres_scratch(server),
                                                          postgres_scratch(server))
        try:
            report["databases"]["postgresql"] = run_database("PostgreSQL", full_url,
                                                             small_url, args)
        finally:
            drop_full()
            drop_small()
    out = Path(__file__).parent / "results.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for name, result in report["databases"].items():
        print_table(name, result)
    print(f"\nFigures in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
