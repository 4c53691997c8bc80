"""The practice-network benchmark (`make bench`; not part of `make test`).

1. The stable figures (bench/instructions.py): instructions per request of each page under
   callgrind at the fixed benchmark data (bench/network_data.py: 50 therapists, 2,000
   patients, ~40,000 sessions, seed 20261124), against the budgets; the data statements and
   audit statements per page; the growth factors with the patient's history (10 and 1,000
   sessions) and with the practice (0.1x and 10x). The data sets are generated once into
   build/bench-data (bench/datasets.py).
2. The noisy figures, served by gunicorn (tracker/gunicorn_conf.py) and loaded with hey
   (bench/noisy.py): each page's throughput as a share of the hello route's, interleaved with
   it, and its p99 at half load, marked unreliable when the hello control is itself slow;
   sequential real saves; "50 therapists, mixed work" (bench/mixed_work.py, 5 minutes);
   worker memory (PSS) before and after it. With TRACKER_BENCH_DATABASE_URL naming a
   PostgreSQL server, the served figures again on a scratch database there.
3. Writes bench/results.json and prints the tables.

--only instructions / --only served runs one of the two parts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import instructions, mixed_work, noisy  # noqa: E402
from bench.datasets import build, cached  # noqa: E402
from bench.load import Server  # noqa: E402
from bench.network_data import Network  # noqa: E402
from tests.support.server import free_port  # noqa: E402

WARM_UP_SECONDS = 60  # of the mixed run, before worker memory is measured for growth


def served(url: str, network: Network, args) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        server = Server(url, Path(instance), port=args.port, workers=args.workers)
        try:
            result = {"pages": noisy.load_test(server.url, network, args.seconds),
                      "saving a session": noisy.save_sessions(
                          server.url, network.big_therapist, network.draft_sessions[1:3],
                          rounds=20)}
            pid, warm = server.process.pid, {}
            before = noisy.worker_memory_mib(pid)
            result["mixed_work"] = mixed_work.run(
                server.url, network, args, warm_up=(
                    min(WARM_UP_SECONDS, args.mixed_seconds / 3),
                    lambda requests: warm.update(memory=noisy.worker_memory_mib(pid),
                                                 requests=requests)))
            after = noisy.worker_memory_mib(pid)
            result["worker_memory"] = noisy.memory_growth(
                before, warm["memory"], after,
                result["mixed_work"]["requests"] - warm["requests"])
        finally:
            server.stop()
    return result


def served_sqlite(args) -> dict:
    source, network = cached(1.0, args.seed, None, "base")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.sqlite3"
        shutil.copyfile(source.removeprefix("sqlite:///"), copy)  # The runs write to it.
        return served(f"sqlite:///{copy}", network, args)


def served_postgresql(server_url: str, args) -> dict:
    from tests.support.database import postgres_database

    url, drop = postgres_database(server_url)
    try:
        return served(url, build(url, 1.0, args.seed, "PostgreSQL"), args)
    finally:
        drop()


def print_served(name: str, result: dict) -> None:
    print(f"\n{name}, served by gunicorn (noisy figures)")
    print(f"{'page':<28}{'req/s':>7}{'hello':>7}{'x hello':>8}{'target':>7}{'half p99':>9}"
          f"{'target':>7}{'hello p99':>10}{'load':>6}  ")
    for page, row in result["pages"].items():
        target = row["target"]
        print(f"{page:<28}{row['rps']:>7}{row['hello_rps']:>7}{row['share_of_hello']:>8}"
              f"{target['share_of_hello'] or '':>7}{row['half_load_p99_ms']:>9}"
              f"{target['half_load_p99_ms']:>7}{row['hello_p99_ms_at_half_load_rate']:>10}"
              f"{row['load_average_1min']:>6}  {'' if row['reliable'] else 'UNRELIABLE'}")
    saves = result["saving a session"]
    print(f"saving a session: {saves['saves_per_second']} saves/s, p50 {saves['p50_ms']} ms, "
          f"p99 {saves['p99_ms']} ms ({saves['saves']} saves, {saves['failed']} failed)")
    mixed_work.print_table(result["mixed_work"])
    memory = result["worker_memory"]
    print(f"worker memory (PSS, MiB): {memory['before_mib']} before the mixed run, "
          f"{memory['warm_mib']} after its warm-up, {memory['after_mib']} at its end; largest "
          f"{memory['largest_mib']} (budget {noisy.MEMORY_BUDGET['largest_mib']}); growth "
          f"after the warm-up {memory['growth_mib']} MiB over the server's "
          f"{memory['requests']} requests: {memory['growth_mib_per_10000_requests']} MiB per "
          f"10,000 requests (budget {noisy.MEMORY_BUDGET['growth_mib_per_10000_requests']}), "
          f"{memory['growth_mib_per_10000_requests_of_a_worker']} per 10,000 of a worker's "
          f"own")
    misses = noisy.memory_misses(memory)
    print("memory budgets met" if not misses else "MISSED: " + "; ".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("-k", type=int, default=5, help="requests counted under callgrind")
    parser.add_argument("--seconds", type=float, default=5, help="per hey run")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: tracker/gunicorn_conf.py's)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT") or 0),
                        help="gunicorn's port on 127.0.0.1 (default: BENCH_PORT, or a free "
                             "one)")
    parser.add_argument("--only", choices=("instructions", "served"))
    mixed_work.add_arguments(parser)
    parser.set_defaults(mixed_seconds=300)
    args = parser.parse_args()
    args.port = args.port or free_port()
    report = {"date": datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine(),
                          "python": platform.python_version(),
                          "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
              "settings": vars(args), "memory_budget": noisy.MEMORY_BUDGET}
    if args.only != "served":
        report["instructions"] = instructions.run(list(instructions.BUDGETS),
                                                  list(instructions.GROUPS), seed=args.seed,
                                                  k=args.k)
    if args.only != "instructions":
        report["served"] = {"sqlite": served_sqlite(args)}
        server = os.environ.get("TRACKER_BENCH_DATABASE_URL")
        if server:
            report["served"]["postgresql"] = served_postgresql(server, args)
    out = Path(__file__).parent / "results.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if "instructions" in report:
        instructions.print_table(report["instructions"])
    for name, result in report.get("served", {}).items():
        print_served({"sqlite": "SQLite", "postgresql": "PostgreSQL"}[name], result)
    print(f"\nFigures in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
