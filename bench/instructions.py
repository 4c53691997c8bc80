"""Instructions per request under valgrind's callgrind: the stable figure of issue 17.

Each data set (bench/datasets.py) is served in-process under callgrind by
bench/instructions_worker.py, which signs in as the big patient's therapist, warms every page
up and counts only K requests of each, in the thread that serves them (the in-memory rate
limiter's expiry timer, a thread that wakes every 10 ms while counters exist, is left out:
its cost follows the clock, not the requests). Beside the budgets (million instructions per request
at the fixed benchmark data, seed 20261124, scale 1) come the growth factors: each page with
a patient history of 1,000 sessions against 10, and in a practice of 10x against 0.1x.

    python bench/instructions.py [--pages "brief,progress page"] [--sets base,history]

Also run by `make bench` (bench/network_bench.py), which writes the figures to
bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.datasets import cached, pages  # noqa: E402
from bench.network_data import PASSWORD  # noqa: E402
from tests.support.server import server_environment  # noqa: E402

BUDGETS = {  # page: million instructions per request at the benchmark data
    "hello route": 4, "patient list": 25, "session page": 30, "search, rare word": 30,
    "brief": 50, "progress page": 60, "new session, carry-forward": 100}
STATEMENT_BUDGETS = {"patient list": 3, "session page": 6, "brief": 8, "progress page": 8,
                     "new session, carry-forward": 8}
AUDIT_BUDGET = 2  # audit statements per clinical view, amortised
# name: (scale, the big patient's sessions); growth: (numerator, denominator, limit)
SETS = {"base": (1.0, None), "history 10": (0.1, 10), "history 1000": (0.1, 1000),
        "practice 0.1x": (0.1, 20), "practice 10x": (10.0, 20)}
GROUPS = {"base": ["base"], "history": ["history 10", "history 1000"],
          "practice": ["practice 0.1x", "practice 10x"]}
GROWTH = {"history 1000 / history 10": ("history 1000", "history 10", 1.5),
          "practice 10x / practice 0.1x": ("practice 10x", "practice 0.1x", 1.2)}


def library() -> str:
    """The client requests (bench/callgrind_requests.c), compiled against valgrind's header."""
    out = ROOT / "build" / "callgrind_requests.so"
    source = ROOT / "bench" / "callgrind_requests.c"
    if not out.exists() or out.stat().st_mtime < source.stat().st_mtime:
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(out), str(source)],  # noqa: S603, S607
                       check=True)
    return str(out)


def dump_totals(folder: Path) -> dict[str, int]:
    """Instructions of each dump the worker asked for, by its label, in the main thread
    (callgrind --separate-threads=yes names its files OUT.N-01 for thread 1): its "summary:",
    the sum of the self costs of the part, which callgrind_annotate shows as the program's
    total. The "totals:" line is not that: in the process's first dump it also held the
    costs of calls begun before the counters were zeroed (3.7 times the summary for the
    hello route, measured first, and within 1 % of it for every later dump)."""
    totals = {}
    for dump in folder.glob("callgrind.out.*-01"):
        lines = dump.read_text(errors="replace").splitlines()
        trigger = next((line.split("Client Request: ", 1)[1] for line in lines
                        if line.startswith("desc: Trigger: Client Request: ")), None)
        if trigger is not None:
            totals[trigger] = int(next(line for line in lines
                                       if line.startswith("summary:")).split()[1])
    return totals


def measure(label: str, seed: int, names: list[str], k: int, warm_up: int) -> dict:
    """{page: {"instructions": M per request, "statements": {...}}} on one data set (generated
    first when no earlier run left it)."""
    scale, big = SETS[label]
    url, network = cached(scale, seed, big, label)
    wanted = {name: path for name, path in pages(network).items() if name in names}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "data.sqlite3"  # Signing in and the audit trail write to it.
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
        environment = server_environment(folder, url, SESSION_COOKIE_SECURE="false",
                                         BENCH_HELLO_ROUTE="true")
        spec = {"library": library(), "environment": environment, "pages": wanted, "k": k,
                "warm_up": warm_up, "email": network.big_therapist, "password": PASSWORD}
        out = Path(folder) / "callgrind.out"
        done = subprocess.run(  # noqa: S603
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",  # noqa: S607
             "--instr-atstart=no",  # Instrumented only around the counted requests.
             "--dump-instr=no", "--dump-line=no", "--separate-threads=yes", sys.executable,
             str(ROOT / "bench" / "instructions_worker.py"), json.dumps(spec)],
            capture_output=True, text=True, cwd=ROOT, env=environment)
        if done.returncode != 0:
            raise SystemExit(f"{label}: the callgrind run failed:\n{done.stderr[-3000:]}")
        rows = {row["page"]: row for row in map(json.loads, done.stdout.splitlines())}
        for page, total in dump_totals(Path(folder)).items():
            if page in rows:
                rows[page]["instructions"] = round(total / k / 1e6, 2)
    return {"sessions_of_the_big_patient": network.counts["big_patient_sessions"],
            "therapy_sessions": network.counts["therapy_sessions"],
            "pages": {name: {"instructions": row["instructions"],
                             "statements": row["statements"]} for name, row in rows.items()}}


def run(names: list[str], groups: list[str], *, seed: int = 20261124, k: int = 5,
        warm_up: int = 2) -> dict:
    labels = [label for group in groups for label in GROUPS[group]]
    library()
    # Two at a time, the largest first: its generation overlaps the others' measurements.
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(measure, label, seed, names, k, warm_up)
                   for label in sorted(labels, key=lambda label: -SETS[label][0])}
        measured = {label: futures[label].result() for label in labels}
    report = {"k": k, "warm_up": warm_up, "seed": seed, "sets": measured, "growth": {}}
    for name, (top, bottom, limit) in GROWTH.items():
        if top in measured and bottom in measured:
            report["growth"][name] = {
                "limit": limit,
                "pages": {page: round(measured[top]["pages"][page]["instructions"]
                                      / measured[bottom]["pages"][page]["instructions"], 2)
                          for page in measured[top]["pages"]}}
    return report


def verdicts(report: dict) -> list[str]:
    """What misses its budget (empty when everything is met)."""
    misses = []
    base = report["sets"].get("base", {}).get("pages", {})
    for page, row in base.items():
        if page in BUDGETS and row["instructions"] > BUDGETS[page]:
            misses.append(f"{page}: {row['instructions']} M instructions > {BUDGETS[page]}")
        if page in STATEMENT_BUDGETS and row["statements"]["data"] > STATEMENT_BUDGETS[page]:
            misses.append(f"{page}: {row['statements']['data']} statements "
                          f"> {STATEMENT_BUDGETS[page]}")
        if page != "hello route" and row["statements"]["audit"] > AUDIT_BUDGET:
            misses.append(f"{page}: {row['statements']['audit']} audit statements "
                          f"> {AUDIT_BUDGET}")
    for name, growth in report["growth"].items():
        misses += [f"{page}: {name} = {factor} > {growth['limit']}"
                   for page, factor in growth["pages"].items() if factor > growth["limit"]]
    return misses


def print_table(report: dict) -> None:
    sets = report["sets"]
    base = sets.get("base", {}).get("pages", {})
    pages_seen = next(iter(sets.values()))["pages"]
    print(f"\nInstructions per request under callgrind (million; {report['k']} requests "
          f"counted after {report['warm_up']} warm-up ones)")
    print(f"{'page':<28}{'M instr':>9}{'budget':>8}{'data stmts':>11}{'budget':>8}"
          f"{'audit':>7}" + "".join(f"{name.split(' / ')[0]:>15}" for name in report["growth"]))
    for page in pages_seen:
        row = base.get(page)
        cells = (f"{row['instructions']:>9}{BUDGETS.get(page, ''):>8}"
                 f"{row['statements']['data']:>11g}{STATEMENT_BUDGETS.get(page, ''):>8}"
                 f"{row['statements']['audit']:>7g}") if row else " " * 43
        growth = "".join(f"{g['pages'].get(page, ''):>15}" for g in report["growth"].values())
        print(f"{page:<28}{cells}{growth}")
    for name, growth in report["growth"].items():
        print(f"growth {name}: limit {growth['limit']}x")
    misses = verdicts(report)
    print("every budget met" if not misses else "MISSED: " + "; ".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default=",".join(BUDGETS),
                        help="comma-separated page names (bench/datasets.py pages())")
    parser.add_argument("--sets", default="base,history,practice",
                        help="comma-separated: base, history, practice")
    parser.add_argument("-k", type=int, default=5, help="requests counted per page")
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    asked = {part.strip() for part in args.pages.split(",")}  # Names hold commas too.
    names = [name for name in BUDGETS if {part.strip() for part in name.split(",")} <= asked]
    report = run(names, args.sets.split(","), seed=args.seed, k=args.k)
    print_table(report)


if __name__ == "__main__":
    main()
