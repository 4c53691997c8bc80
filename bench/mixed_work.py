"""The "50 therapists, mixed work" run of `make bench` (bench/network_bench.py, step 4).

--mixed-users simulated therapists at once (50 by default, the network's 50 therapists), each
signed in as another therapist of the network, each a thread of this process, for
--mixed-seconds. A therapist works through one of its own patients after another, with a
think time (0.5 to 1.5 x --mixed-think seconds) after every answer: the patient list, the
patient's page, the brief, the progress page, a signed session, the carry-forward page of the
patient's draft session, an autosave of it, a real save of it, and a search (its first
round starts at a random point of the round). The sign-ins happen before the clock starts.
Reported overall and per kind of request: requests, errors (a 5xx, a connection error or any
other status than the page's own), p50 and p99.

The client runs on the same machine as gunicorn and shares its cores; it is one
http.client connection per therapist (gunicorn's sync workers close every connection after
its answer, so each request opens a new loopback connection). With more users than
therapists (a small --scale), therapists are shared and split their patients, so that no two
users edit one draft.
"""

from __future__ import annotations

import http.client
import os
import random
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie

from bench.load import percentile, save_session, session_form
from bench.network_data import COMMON_WORD, PASSWORD, RARE_WORD, WORDS, Caseload, Network
from tests.support.browser import Browser

# Kinds of request, in the order a therapist makes them; the status each should answer.
PAGES = {"patient list": "/patients/", "patient page": "/patients/{patient}",
         "brief": "/patients/{patient}/brief", "progress page": "/patients/{patient}/progress",
         "session page (signed)": "/sessions/{signed}"}
KINDS = (*PAGES, "carry-forward page", "autosave", "save", "search")
EXPECTED = {"autosave": "200", "save": "302"}  # Any other kind: 200.
SEARCH_WORDS = (COMMON_WORD, RARE_WORD, *WORDS[1:30])


def add_arguments(parser) -> None:
    parser.add_argument("--mixed-seconds", type=float, default=60,
                        help="length of the mixed run (seconds)")
    parser.add_argument("--mixed-users", type=int, default=50,
                        help="simulated therapists at once in the mixed run")
    parser.add_argument("--mixed-think", type=float, default=0.5,
                        help="mean think time after each answer (seconds)")


class _Done(Exception):
    """The run's time is up."""


class Client(Browser):
    """Browser's requests over one http.client connection, each recorded once `log` is set:
    (kind, outcome, ms), the outcome being the status, "302 to /login" (signed out) or the
    name of a connection error."""

    def __init__(self, base: str):
        super().__init__(base)
        address = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(address.hostname, address.port,
                                                     timeout=120)
        self.cookies: dict[str, str] = {}
        self.kind = ""
        self.log: list[tuple[str, str, float]] | None = None

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, path: str, data=None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True) if data is not None else None
        headers = {"Cookie": self.cookie} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request("GET" if body is None else "POST", path, body, headers)
            with self.connection.getresponse() as response:
                text = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self._note(type(error).__name__, started)
            raise
        location = response.headers.get("Location", "")
        outcome = str(response.status)
        self._note(outcome + (" to /login" if location.startswith("/login") else ""), started)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, location, text

    def _note(self, outcome: str, started: float) -> None:
        if self.log is not None:
            self.log.append((self.kind, outcome, (time.perf_counter() - started) * 1000))


def users(network: Network, count: int) -> list[tuple[str, Caseload]]:
    """User u works as therapist u mod T; the users of one therapist split its patients."""
    therapists = network.therapists
    found = []
    for user in range(count):
        email = therapists[user % len(therapists)]
        sharing = len(range(user % len(therapists), count, len(therapists)))
        whole, part = network.caseloads[email], slice(user // len(therapists), None, sharing)
        found.append((email, Caseload(whole.patients[part], whole.signed_sessions[part],
                                      whole.draft_sessions[part])))
    return found


def _work(client: Client, caseload: Caseload, rng: random.Random, think: float,
          deadline: float) -> None:
    """One therapist's rounds, a patient each, until the deadline (checked after every think
    time). The first round starts at a random point of it, so that a short run, or one whose
    answers are slow, has every kind of request too."""

    def step(kind: str, action, *args):
        client.kind = kind
        answer = action(*args)
        time.sleep(rng.uniform(0.5, 1.5) * think)
        if time.monotonic() >= deadline:
            raise _Done
        return answer

    def page(kind: str, path: str):
        return lambda index: step(kind, client.request, path.format(
            patient=caseload.patients[index], signed=caseload.signed_sessions[index]))

    def edit(index: int) -> None:
        draft = caseload.draft_sessions[index]
        form = step("carry-forward page", session_form, client, draft)
        form["summary"] = " ".join(rng.choices(WORDS, k=12)).capitalize() + "."
        step("autosave", client.request, f"/sessions/{draft}/autosave", form)
        step("save", save_session, client, draft, form)

    def search(_index: int) -> None:
        word = urllib.parse.quote(rng.choice(SEARCH_WORDS))
        step("search", client.request, f"/search?q={word}")

    actions = [*(page(kind, path) for kind, path in PAGES.items()), edit, search]
    start = rng.randrange(len(actions))
    time.sleep(rng.uniform(0, 2 * think))  # Not all at once at the start.
    while True:
        index = rng.randrange(len(caseload.patients))
        try:
            for action in actions[start:]:
                action(index)
        except _Done:
            return
        except (OSError, http.client.HTTPException, AssertionError):
            # Recorded (a connection error, or a page without its form): the next round.
            if time.monotonic() >= deadline:
                return
        start = 0


def _figures(log: list[tuple[str, str, float]]) -> dict:
    times = sorted(ms for _, _, ms in log)
    statuses: dict[str, int] = {}
    for _, outcome, _ in log:
        statuses[outcome] = statuses.get(outcome, 0) + 1
    return {"requests": len(log),
            "errors": sum(1 for kind, outcome, _ in log if outcome != EXPECTED.get(kind, "200")),
            "p50_ms": round(percentile(times, 0.50), 1),
            "p99_ms": round(percentile(times, 0.99), 1), "statuses": statuses}


def run(base: str, network: Network, args, warm_up=None) -> dict:
    """The mixed run against the server at `base`; its figures. `warm_up`: (seconds,
    callback), the callback called that long after the start with the requests answered
    so far."""
    assigned = users(network, args.mixed_users)
    clients = [Client(base) for _ in assigned]
    signing_in = time.perf_counter()
    refused: list[str] = []

    def sign_in(client: Client, email: str) -> None:
        try:
            status = client.sign_in(email, PASSWORD)
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        if status != 302:
            refused.append(f"{email} ({status})")

    _together([(sign_in, (client, email)) for client, (email, _) in zip(clients, assigned,
                                                                          strict=True)])
    if refused:
        raise SystemExit(f"mixed run: sign-in refused for {sorted(set(refused))}")
    sign_in_seconds = round(time.perf_counter() - signing_in, 1)
    log: list[tuple[str, str, float]] = []
    for client in clients:
        client.log = log
    load_at_start = os.getloadavg()[0]
    started, client_cpu = time.perf_counter(), time.process_time()
    deadline = time.monotonic() + args.mixed_seconds
    timer = warm_up and threading.Timer(warm_up[0], lambda: warm_up[1](len(log)))
    if timer:
        timer.start()
    _together([(_work, (client, caseload, random.Random(args.seed * 1000 + user),
                        args.mixed_think, deadline))
               for user, (client, (_, caseload)) in enumerate(zip(clients, assigned,
                                                                  strict=True))])
    duration, client_cpu = time.perf_counter() - started, time.process_time() - client_cpu
    if timer:
        timer.cancel()
    return {"users": len(assigned), "therapists": len({email for email, _ in assigned}),
            "seconds": round(duration, 1), "think_seconds": args.mixed_think,
            "sign_in_seconds": sign_in_seconds, "client_cpu_seconds": round(client_cpu, 1),
            "load_average_1min": {"start": round(load_at_start, 2),
                                  "end": round(os.getloadavg()[0], 2)},
            "client": "threads of the benchmark process, on the same machine as gunicorn",
            **_figures(log), "rps": round(len(log) / duration, 1),
            "kinds": {kind: _figures([row for row in log if row[0] == kind]) for kind in KINDS}}


def _together(jobs) -> None:
    threads = [threading.Thread(target=target, args=args) for target, args in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def print_table(result: dict) -> None:
    load = result["load_average_1min"]
    print(f"\n50 therapists, mixed work: {result['users']} users as {result['therapists']} "
          f"therapists (signed in in {result['sign_in_seconds']} s), {result['seconds']} s, "
          f"think {result['think_seconds']} s on average; {result['rps']} req/s; 1-minute "
          f"load average {load['start']} at the start, {load['end']} at the end; the client "
          f"ran on the same machine and used {result['client_cpu_seconds']} s of CPU")
    print(f"{'request':<28}{'requests':>9}{'errors':>8}{'p50':>8}{'p99':>8}   statuses")
    for name, row in {"all": result, **result["kinds"]}.items():
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(row["statuses"].items()))
        print(f"{name:<28}{row['requests']:>9}{row['errors']:>8}{row['p50_ms']:>8}"
              f"{row['p99_ms']:>8}   {statuses}")
