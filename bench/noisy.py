"""The noisy figures of `make bench`: throughput and latency of each page served by gunicorn
and loaded with hey, with the hello route as the control interleaved with every page (the
ceiling of this machine at that moment), sequential real saves, and worker memory (PSS).

For each page: hello at full load (8 clients), the page at full load, the page at half that
throughput (4 clients, rate-limited) and hello at that same rate. A page whose hello control
answers slower than HELLO_P99_LIMIT at that rate ran on a machine too busy to say anything:
it is marked unreliable, not reported as a result."""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from pathlib import Path

from bench.datasets import pages
from bench.load import hey, percentile, save_session, session_form
from bench.network_data import PASSWORD, Network
from tests.support.browser import Browser

TARGETS = {  # page: (minimum share of the hello route's throughput, p99 ms at half load)
    "patient list": (0.30, 25), "session page": (0.30, 25), "brief": (0.20, 50),
    "progress page": (0.20, 50), "new session, carry-forward": (0.20, 50),
    "search, rare word": (None, 50)}
HELLO_P99_LIMIT = 15  # ms, the control at the page's half-load rate


def load_test(base: str, network: Network, seconds: float) -> dict:
    browser = Browser(base)
    assert browser.sign_in(network.big_therapist, PASSWORD) == 302
    cookie = browser.cookie
    paths = pages(network)
    hello = base + paths["hello route"]
    for name in ("hello route", *TARGETS):  # Every worker warm on every page.
        hey(base + paths[name], cookie, requests=40, workers=8)
    results = {}
    for name, (share, p99) in TARGETS.items():
        control = hey(hello, cookie, seconds=seconds, workers=8)
        full = hey(base + paths[name], cookie, seconds=seconds, workers=8)
        half = hey(base + paths[name], cookie, seconds=seconds, workers=4, rate=full.rps / 2)
        control_half = hey(hello, cookie, seconds=seconds, workers=4, rate=full.rps / 2)
        results[name] = {
            "path": paths[name], "rps": full.rps, "hello_rps": control.rps,
            "share_of_hello": round(full.rps / control.rps, 3) if control.rps else 0,
            "p50_ms": full.p50_ms, "p99_ms": full.p99_ms, "half_load_rps": half.rps,
            "half_load_p50_ms": half.p50_ms, "half_load_p99_ms": half.p99_ms,
            "hello_p99_ms_at_half_load_rate": control_half.p99_ms,
            "reliable": control_half.p99_ms <= HELLO_P99_LIMIT,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "target": {"share_of_hello": share, "half_load_p99_ms": p99},
            "statuses": {**full.statuses, **half.statuses}}
    return results


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


def worker_memory_mib(master_pid: int) -> dict[int, float]:
    """Proportional set size (PSS: shared pages split between the processes sharing them) of
    each of the master's workers, by process id, from /proc/PID/smaps_rollup."""
    sizes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        parent = re.search(r"PPid:\s+(\d+)", status)
        pss = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        if parent and pss and int(parent.group(1)) == master_pid:
            sizes[int(entry.name)] = round(int(pss.group(1)) / 1024, 1)
    return sizes


def memory_growth(before: dict[int, float], warm: dict[int, float], after: dict[int, float],
                  requests: int) -> dict:
    """Worker PSS before the mixed run, after its warm-up and at its end (workers are not
    recycled during the benchmark). Growth is the largest of a worker's from the warm-up to
    the end, per 10,000 of the server's `requests` in that time: a worker was measured to grow
    with the requests the server answers (the data they write), not with its own share of
    them (README, "Benchmark"). Per 10,000 of a worker's own share is shown beside it. The
    warm-up (the first reads of every page and caseload: code paths, templates, each
    connection's SQLite page cache) is not growth."""
    grown = max((after[pid] - warm[pid] for pid in after if pid in warm), default=0.0)
    share = requests / max(len(after), 1)
    return {"before_mib": sorted(before.values()), "warm_mib": sorted(warm.values()),
            "after_mib": sorted(after.values()), "requests": requests,
            "largest_mib": max([*before.values(), *warm.values(), *after.values()],
                               default=0.0),
            "growth_mib": round(grown, 2),
            "growth_mib_per_10000_requests": round(grown * 10_000 / requests, 2)
            if requests else None,
            "growth_mib_per_10000_requests_of_a_worker": round(grown * 10_000 / share, 2)
            if share else None}


MEMORY_BUDGET = {"largest_mib": 70, "growth_mib_per_10000_requests": 5}


def memory_misses(memory: dict) -> list[str]:
    return [f"worker memory: {name.replace('_', ' ')} {memory[name]} > {limit}"
            for name, limit in MEMORY_BUDGET.items()
            if memory[name] is not None and memory[name] > limit]
