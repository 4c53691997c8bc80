"""The benchmark's own arithmetic (bench/): which callgrind dumps count, what misses a budget,
how worker memory growth is reported. The figures themselves come from `make bench`."""

from bench.instructions import dump_totals, verdicts
from bench.noisy import memory_growth, memory_misses


def _dump(folder, name, trigger, summary, thread=1):
    (folder / name).write_text(f"version: 1\nthread: {thread}\ndesc: Trigger: {trigger}\n"
                               f"events: Ir\nsummary: {summary}\ntotals: 999999999\n")


def test_only_the_main_threads_labelled_dumps_count_by_their_summary(tmp_path):
    _dump(tmp_path, "callgrind.out.1-01", "Client Request: brief", 5_000_000)
    _dump(tmp_path, "callgrind.out.1-02", "Client Request: brief", 7_000_000, thread=2)
    _dump(tmp_path, "callgrind.out.2-01", "Client Request: patient list", 3_000_000)
    _dump(tmp_path, "callgrind.out-01", "Program termination", 9_000_000)
    assert dump_totals(tmp_path) == {"brief": 5_000_000, "patient list": 3_000_000}


def _report(brief_instructions, brief_data, list_audit, growth):
    row = {"instructions": brief_instructions, "statements": {"data": brief_data, "audit": 1}}
    return {"sets": {"base": {"pages": {
        "brief": row,
        "patient list": {"instructions": 10, "statements": {"data": 3, "audit": list_audit}}}}},
        "growth": {"history 1000 / history 10": {"limit": 1.5, "pages": {"brief": growth}}}}


def test_verdicts_name_each_missed_budget():
    assert verdicts(_report(50, 8, 2, 1.5)) == []
    assert verdicts(_report(50.1, 9, 2.5, 1.6)) == [
        "brief: 50.1 M instructions > 50", "brief: 9 statements > 8",
        "patient list: 2.5 audit statements > 2",
        "brief: history 1000 / history 10 = 1.6 > 1.5"]


def test_memory_growth_is_counted_after_the_warm_up_per_the_servers_requests():
    before = {11: 50.0, 12: 51.0}  # before the mixed run
    warm = {11: 60.0, 12: 61.0}  # its first minute: every page and every caseload read once
    after = {11: 61.0, 12: 64.0, 13: 50.0}  # 13: a worker started during the run
    figures = memory_growth(before, warm, after, requests=20_000)
    assert figures["largest_mib"] == 64.0
    # Worker 12 grew 3 MiB after the warm-up, over the server's 20,000 requests since then;
    # the 10 MiB of the warm-up itself is not growth.
    assert figures["growth_mib"] == 3.0
    assert figures["growth_mib_per_10000_requests"] == 1.5
    # Shown beside it: per 10,000 of a worker's own share (20,000 / 3 workers).
    assert figures["growth_mib_per_10000_requests_of_a_worker"] == 4.5
    assert memory_misses(figures) == []
    assert memory_misses({**figures, "growth_mib_per_10000_requests": 5.5}) == [
        "worker memory: growth mib per 10000 requests 5.5 > 5"]
    assert memory_misses({**figures, "largest_mib": 71.0}) == [
        "worker memory: largest mib 71.0 > 70"]
