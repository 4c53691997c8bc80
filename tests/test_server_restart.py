"""A gunicorn master killed outright (kill -9) leaves workers that still hold the port. The
server started again right away must serve while they do (issue 15, item 7); they end on
their own when they next check on their master (and systemd ends them at once,
deploy/kap-tracker.service)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.server import CONFIG, GUNICORN, free_port, server_environment, wait_for


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listening(pid: int, port: int) -> bool:
    """Whether process `pid` or one of its workers holds a socket listening on `port` (from
    /proc/net/tcp; with reuse_port each worker opens its own)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    for process in (pid, *children(pid)):
        try:
            if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{process}/fd").iterdir()):
                return True
        except OSError:
            continue
    return False


def serve(env: dict) -> subprocess.Popen:
    # A long timeout: orphaned workers check on their master only every half of it, so
    # they still hold the port when the new server starts.
    return subprocess.Popen([str(GUNICORN), "-c", CONFIG, "--timeout", "120"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_a_server_restarted_after_its_master_was_killed_serves(database_url, tmp_path):
    port = free_port()
    env = server_environment(tmp_path, database_url, GUNICORN_BIND=f"127.0.0.1:{port}",
                             GUNICORN_WORKERS="2")
    first = serve(env)
    second = None
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", first)
        deadline = time.monotonic() + 30
        while len(workers := children(first.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert any(alive(pid) for pid in workers), "the orphaned workers hold the port"

        second = serve(env)
        # Without reuse_port gunicorn gives up binding after five tries a second apart.
        deadline = time.monotonic() + 90
        while not listening(second.pid, port) and time.monotonic() < deadline:
            assert second.poll() is None, second.stderr.read() if second.stderr else ""
            time.sleep(0.2)
        assert listening(second.pid, port), "the new server could not bind"
        assert any(alive(pid) for pid in workers), "bound while the orphans still run"
        assert wait_for(f"http://127.0.0.1:{port}/healthz", second).status == 200
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        for pid in workers if "workers" in locals() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
