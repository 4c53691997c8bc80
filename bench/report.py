"""bench/results.json as the Markdown tables of README's "Benchmark" section:
`python bench/report.py` (after `make bench`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.instructions import AUDIT_BUDGET, BUDGETS, STATEMENT_BUDGETS, verdicts  # noqa: E402


def stable(figures: dict) -> list[str]:
    base = figures["sets"]["base"]["pages"]
    growth = figures["growth"]
    lines = ["| Page | M instructions / request | budget | data statements | budget | audit "
             "statements | " + " | ".join(f"{name} (≤ {g['limit']})" for name, g in growth.items())
             + " |", "|---" * (6 + len(growth)) + "|"]
    for page, row in base.items():
        cells = [page, f"{row['instructions']:g}", f"≤ {BUDGETS[page]}",
                 f"{row['statements']['data']:g}",
                 f"≤ {STATEMENT_BUDGETS[page]}" if page in STATEMENT_BUDGETS else "",
                 f"{row['statements']['audit']:g}" + (f" (≤ {AUDIT_BUDGET})"
                                                      if page != "hello route" else ""),
                 *(f"{g['pages'].get(page, '')}" for g in growth.values())]
        lines.append("| " + " | ".join(cells) + " |")
    misses = verdicts(figures)
    lines.append("")
    lines.append("Every budget met." if not misses else "Missed: " + "; ".join(misses) + ".")
    return lines


def noisy(result: dict) -> list[str]:
    lines = ["| Page | req/s | hello req/s | × hello | target | p99 at half load (ms) | target | "
             "hello p99 at that rate | load average | |", "|---" * 10 + "|"]
    for page, row in result["pages"].items():
        target = row["target"]
        lines.append(f"| {page} | {row['rps']} | {row['hello_rps']} | {row['share_of_hello']} "
                     f"| {'≥ ' + str(target['share_of_hello']) if target['share_of_hello'] else ''}"
                     f" | {row['half_load_p99_ms']} | ≤ {target['half_load_p99_ms']} | "
                     f"{row['hello_p99_ms_at_half_load_rate']} | {row['load_average_1min']} | "
                     f"{'' if row['reliable'] else 'unreliable'} |")
    mixed, memory = result["mixed_work"], result["worker_memory"]
    lines += ["", f"50 therapists, mixed work, {mixed['seconds']} s: {mixed['requests']} requests"
              f" ({mixed['rps']}/s), {mixed['errors']} errors, p50 {mixed['p50_ms']} ms, p99 "
              f"{mixed['p99_ms']} ms (target ≤ 250); load average "
              f"{mixed['load_average_1min']['start']} at the start, "
              f"{mixed['load_average_1min']['end']} at the end.",
              "", f"Worker memory (PSS): largest {memory['largest_mib']} MiB (budget ≤ 70); "
              f"after the mixed run's warm-up, the most a worker grew: {memory['growth_mib']} "
              f"MiB over the server's {memory['requests']} requests, "
              f"{memory['growth_mib_per_10000_requests']} MiB per 10,000 (budget < 5; "
              f"{memory['growth_mib_per_10000_requests_of_a_worker']} per 10,000 of a "
              f"worker's own share)."]
    return lines


def main() -> None:
    report = json.loads((ROOT / "bench" / "results.json").read_text())
    machine = report["machine"]
    print(f"{report['date']}: {machine['cpus']} cores, {machine['processor']}, "
          f"{machine['platform']}, Python {machine['python']}; load average at the start "
          f"{machine['load_average_at_start']}.\n")
    if "instructions" in report:
        print("\n".join(stable(report["instructions"])) + "\n")
    for name, result in report.get("served", {}).items():
        print(f"{name}:\n")
        print("\n".join(noisy(result)) + "\n")


if __name__ == "__main__":
    main()
