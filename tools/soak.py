"""Soak test of the stub: minutes of mixed valid and hostile traffic with periodic kill -9.

`make soak` (or `python -m tools.soak --minutes 3`) starts `python -m server` on a free loopback
port with several workers and a temporary data directory, drives it with concurrent clients that
send valid creates and hostile requests, kills the whole process group with SIGKILL at intervals,
restarts it on the same data, and checks after every restart that each restore the stub
acknowledged (HTTP 200) is still stored, unchanged. It prints requests served, errors by class,
kills survived and restores lost, and exits non-zero when a restore was lost, a 5xx was answered
or an answer broke the error format.

While it runs it shows its phase, requests and errors so far (tools/harness/progress.py: a live
line on a terminal, a plain line every few seconds in CI). It writes its report as JSON, with a
per-second timeline, to `reports/soak/soak-<stamp>.json`, and beside it a chart of requests/s and
errors over time with the kills marked (`soak-<stamp>.svg`, tools/soak_chart.py; needs the
`bench` extra, matplotlib).

The harness it drives is shared with `tests/reliability/`: tools/stub_process.py (the stub
process), tools/seeds.py, tools/rawhttp.py, tools/loadgen.py and tools/stored_restores.py.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.settings import DATABASE_FILE_NAME
from tools.harness.loadgen import CreateOutcome, send_create
from tools.harness.progress import (
    Advanced,
    Counted,
    PhaseStarted,
    Publisher,
    RunFinished,
    RunStarted,
    Silent,
    progress_bus,
)
from tools.harness.rawhttp import RawResponse, build_request, raw_exchange
from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN, OTHER_PROJECT, SeedServer, seed_servers, write_seed
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import StubProcess

# What must never reach a client: signs of a stack trace or of the stub's own files.
LEAK_MARKERS: tuple[str, ...] = ("Traceback", "/work/", ".py", 'File "', "site-packages")
REPORTS_DIR = Path(__file__).resolve().parents[1] / "reports" / "soak"
SAMPLE_S = 1.0
"""Seconds between two points of the timeline (and two progress updates)."""
# Fields of a restore that never change after it is created (status and resources_* do).
IMMUTABLE_FIELDS: tuple[str, ...] = (
    "id",
    "checkpoint_id",
    "project_id",
    "provider_id",
    "parameters",
    "restore_target",
)


def hostile_requests() -> list[tuple[str, bytes]]:
    """A small, cheap set of refused requests for the soak (the full corpus is tests/reliability)."""
    path = f"/v1/{DEMO_PROJECT}/restores"
    json_headers = (("X-Auth-Token", DEMO_TOKEN), ("Content-Type", "application/json"))
    valid = json.dumps(seed_servers(DEMO_PROJECT, 1)[0].create_body()).encode()
    depth = 10_000
    return [
        ("malformed-json", build_request("POST", path, body=b'{"restore": ', headers=json_headers)),
        (
            "wrong-type",
            build_request("POST", path, body=b'{"restore": {"checkpoint_id": 7}}', headers=json_headers),
        ),
        ("non-utf8", build_request("POST", path, body=b'{"restore": "\xff\xfe"}', headers=json_headers)),
        ("deep-nesting", build_request("POST", path, body=b"[" * depth + b"]" * depth, headers=json_headers)),
        (
            "duplicate-keys",
            build_request("POST", path, body=b'{"restore": 1, "restore": {}}', headers=json_headers),
        ),
        (
            "no-token",
            build_request("POST", path, body=valid, headers=(("Content-Type", "application/json"),)),
        ),
        (
            "other-tenant-path",
            build_request("POST", f"/v1/{OTHER_PROJECT}/restores", body=valid, headers=json_headers),
        ),
        (
            "wrong-content-type",
            build_request(
                "POST",
                path,
                body=valid,
                headers=(("X-Auth-Token", DEMO_TOKEN), ("Content-Type", "text/plain")),
            ),
        ),
        ("other-method", build_request("DELETE", path, headers=json_headers)),
        (
            "encoded-traversal",
            build_request(
                "POST", "/v1/%2e%2e%2f%2e%2e%2fetc%2fpasswd/restores", body=valid, headers=json_headers
            ),
        ),
        ("2mb-body", build_request("POST", path, body=b" " * (2 << 20) + valid, headers=json_headers)),
        (
            "control-api-as-tenant",
            build_request("GET", "/_stub/restores", headers=(("X-Admin-Token", DEMO_TOKEN),)),
        ),
    ]


def refusal_problem(response: RawResponse) -> str | None:
    """Why an answer to a hostile request is not a clean refusal, or None when it is one."""
    if not 400 <= response.status < 500:
        return f"status {response.status}"
    text = response.body.decode("latin-1")
    leaked = [marker for marker in LEAK_MARKERS if marker in text]
    if leaked:
        return f"body leaks {leaked}"
    if (response.header("Content-Type") or "").split(";")[0].strip() != "application/json":
        return f"content type {response.header('Content-Type')!r}"
    try:
        body = json.loads(response.body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or not {"error_code", "error_msg"} <= body.keys():
        return "body lacks error_code/error_msg"
    return None


@dataclasses.dataclass
class SoakReport:
    minutes: float
    workers: int
    clients: int
    requests_sent: int = 0
    requests_served: int = 0
    creates_acknowledged: int = 0
    kills_survived: int = 0
    restores_checked: int = 0
    restores_lost: int = 0
    restores_changed: int = 0
    restores_stuck: int = 0
    answers_by_class: dict[str, int] = dataclasses.field(default_factory=dict)
    violations: dict[str, int] = dataclasses.field(default_factory=dict)
    violation_examples: list[str] = dataclasses.field(default_factory=list)
    timeline: list[dict[str, float]] = dataclasses.field(default_factory=list)
    """Totals so far, one point per `SAMPLE_S`: `t_s` (seconds since traffic began), `sent`,
    `served`, `unanswered` (sent, no answer: mostly cut off by a kill) and `violations`."""
    kills_at_s: list[float] = dataclasses.field(default_factory=list)
    """When each kill -9 was sent, in seconds since traffic began."""

    @property
    def ok(self) -> bool:
        return (
            not self.violations
            and self.restores_lost == 0
            and self.restores_changed == 0
            and self.restores_stuck == 0
            and self.kills_survived > 0
            and self.creates_acknowledged > 0
        )

    def render(self) -> str:
        lines = [
            f"soak: {self.minutes:g} min, {self.workers} workers, {self.clients} clients",
            f"  requests sent       {self.requests_sent}",
            f"  requests served     {self.requests_served}",
            f"  creates acknowledged {self.creates_acknowledged}",
            f"  kills survived      {self.kills_survived}",
            f"  restores checked    {self.restores_checked}",
            f"  restores lost       {self.restores_lost}",
            f"  restores changed    {self.restores_changed}",
            f"  restores stuck      {self.restores_stuck}",
            "  answers by class:",
            *[f"    {name:<34} {count}" for name, count in sorted(self.answers_by_class.items())],
            "  violations:" + ("" if self.violations else " none"),
            *[f"    {name:<34} {count}" for name, count in sorted(self.violations.items())],
            *[f"    e.g. {example}" for example in self.violation_examples[:10]],
            f"result: {'PASS' if self.ok else 'FAIL'}",
        ]
        return "\n".join(lines)


class Soak:
    """Clients, the kill loop and the bookkeeping of one soak run."""

    def __init__(
        self,
        stub: StubProcess,
        servers: list[SeedServer],
        report: SoakReport,
        random_seed: int,
        progress: Publisher | None = None,
    ) -> None:
        self.stub = stub
        self.progress: Publisher = progress or Silent()
        self.servers = servers
        self.report = report
        self.random_seed = random_seed
        self.hostile = hostile_requests()
        self.lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self.acknowledged: dict[str, CreateOutcome] = {}
        # Incremented when a kill starts (odd: down) and when the restarted stub is ready (even: up).
        self.generation = 0
        self.stop = threading.Event()
        self.started_at = time.monotonic()

    def note(self, answer_class: str, violation: str | None = None, example: str = "") -> None:
        with self.lock:
            self.answers[answer_class] += 1
            if violation is not None:
                self.violations[violation] += 1
                if len(self.report.violation_examples) < 50:
                    self.report.violation_examples.append(f"{violation}: {example[:300]}")

    def client(self, index: int, deadline: float) -> None:
        rng = random.Random(self.random_seed * 1000 + index)
        mine = self.servers[index :: self.report.clients]
        position = 0
        with httpx.Client(base_url=self.stub.base_url, timeout=15.0) as http:
            while not self.stop.is_set() and time.monotonic() < deadline:
                generation = self.generation
                if rng.random() < 0.7:
                    server = mine[position % len(mine)]
                    position += 1
                    self.valid_create(http, index, server, generation)
                else:
                    name, request = self.hostile[rng.randrange(len(self.hostile))]
                    self.hostile_request(name, request, generation)

    def unanswered(self, generation: int, detail: str) -> None:
        # Odd generations are the time between a kill and the restarted stub's first 200 on its
        # health check; a request that began before a kill is cut off by it.
        if generation != self.generation or generation % 2 == 1:
            self.note("no answer: stub killed or restarting")
        else:
            self.note("no answer while up", "no answer while up", detail)
        time.sleep(0.2)  # do not spin while the stub is down

    def valid_create(self, http: httpx.Client, index: int, server: SeedServer, generation: int) -> None:
        outcome = send_create(http, index, server, DEMO_TOKEN)
        with self.lock:
            self.report.requests_sent += 1
        if outcome.status is None:
            self.unanswered(generation, outcome.transport_error or "")
            return
        with self.lock:
            self.report.requests_served += 1
        if outcome.acknowledged and outcome.restore is not None:
            with self.lock:
                self.acknowledged[outcome.restore["id"]] = outcome
            self.note("valid: 200")
        elif outcome.status == 400 and outcome.error_code == "CSBS.6015":
            self.note("valid: 400 CSBS.6015 server restoring")
        elif outcome.status >= 500:
            self.note(f"valid: {outcome.status}", "5xx", outcome.text)
        else:
            self.note(f"valid: {outcome.status} {outcome.error_code}", "valid create refused", outcome.text)

    def hostile_request(self, name: str, request: bytes, generation: int) -> None:
        with self.lock:
            self.report.requests_sent += 1
        try:
            response = raw_exchange(self.stub.port, request, timeout=15.0)
        except (OSError, TimeoutError, http.client.HTTPException) as exc:
            self.unanswered(generation, f"{name}: {type(exc).__name__}: {exc}")
            return
        if response is None:
            self.unanswered(generation, f"{name}: connection closed without an answer")
            return
        if not response.complete:
            # A head without its whole body is a cut-off answer, not a refusal to judge.
            self.unanswered(generation, f"{name}: answer cut off after {len(response.body)} body bytes")
            return
        with self.lock:
            self.report.requests_served += 1
        problem = refusal_problem(response)
        if problem is None:
            self.note(f"hostile: {response.status}")
        elif response.status >= 500:
            self.note(f"hostile: {response.status}", "5xx", f"{name}: {response.body[:200]!r}")
        else:
            self.note(f"hostile: {response.status}", "unclean refusal", f"{name}: {problem}")

    def verify(self, *, final: bool) -> None:
        """Every acknowledged restore is stored unchanged; at the end, none is still in progress."""
        # Acknowledged before the read: each of these was committed before the read began.
        with self.lock:
            acknowledged = list(self.acknowledged.values())
        stored = read_stored_restores(self.stub.data_dir / DATABASE_FILE_NAME)
        lost = changed = stuck = 0
        for outcome in acknowledged:
            assert outcome.restore is not None
            record = stored.get(outcome.restore["id"])
            if record is None:
                lost += 1
                continue
            document = record["document"]
            if any(document.get(key) != outcome.restore.get(key) for key in IMMUTABLE_FIELDS):
                changed += 1
            if final and document.get("status") not in ("success", "fail"):
                stuck += 1
        self.report.restores_checked = max(self.report.restores_checked, len(acknowledged))
        self.report.restores_lost = max(self.report.restores_lost, lost)
        self.report.restores_changed = max(self.report.restores_changed, changed)
        if final:
            self.report.restores_stuck = stuck

    def sample(self) -> None:
        """One point of the timeline, and the totals so far for the progress display."""
        with self.lock:
            sent, served = self.report.requests_sent, self.report.requests_served
            violations = sum(self.violations.values())
        elapsed = round(time.monotonic() - self.started_at, 3)
        point = {"t_s": elapsed, "sent": sent, "served": served, "unanswered": sent - served}
        self.report.timeline.append({**point, "violations": violations})
        self.progress.publish(Counted(requests=sent, errors=violations))
        self.progress.publish(Advanced(done=elapsed))

    def sampler(self) -> None:
        # Its own thread, so the timeline goes on while a kill and restart hold the main one.
        self.sample()
        while not self.stop.wait(SAMPLE_S):
            self.sample()

    def run(self, minutes: float, kill_every: float) -> None:
        self.started_at = time.monotonic()
        deadline = self.started_at + minutes * 60
        threads = [
            threading.Thread(
                target=self.client, args=(index, deadline), name=f"soak-client-{index}", daemon=True
            )
            for index in range(self.report.clients)
        ]
        sampler = threading.Thread(target=self.sampler, name="soak-sampler", daemon=True)
        for thread in threads:
            thread.start()
        sampler.start()
        self.progress.publish(PhaseStarted("traffic"))
        rng = random.Random(self.random_seed)
        while True:
            pause = kill_every * rng.uniform(0.6, 1.4)
            if time.monotonic() + pause >= deadline - 5:
                break
            time.sleep(pause)
            kill = self.report.kills_survived + 1
            self.progress.publish(PhaseStarted(f"kill -9 #{kill}, restarting"))
            with self.lock:
                self.generation += 1
            self.report.kills_at_s.append(round(time.monotonic() - self.started_at, 3))
            self.stub.kill9()
            self.stub.start()
            with self.lock:
                self.generation += 1
            self.report.kills_survived += 1
            self.progress.publish(PhaseStarted(f"verifying after kill #{kill}"))
            self.verify(final=False)
            self.progress.publish(PhaseStarted("traffic"))
        while time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        self.progress.publish(PhaseStarted("stopping clients"))
        self.stop.set()
        for thread in [*threads, sampler]:
            thread.join(timeout=60)
        self.sample()

    def settle(self, timeout: float) -> None:
        """Wait (bounded) until no restore is in progress, then check everything once more."""
        self.progress.publish(PhaseStarted("settling and final check"))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            stored = read_stored_restores(self.stub.data_dir / DATABASE_FILE_NAME)
            if all(record["document"].get("status") != "in_progress" for record in stored.values()):
                break
            time.sleep(0.5)
        self.verify(final=True)
        self.report.creates_acknowledged = len(self.acknowledged)
        self.report.answers_by_class = dict(self.answers)
        log = self.stub.logs()
        for marker in ("Traceback", "database is locked"):
            if marker in log:
                self.violations[f"server log contains {marker!r}"] += log.count(marker)
        self.report.violations = dict(self.violations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, default=3.0, help="how long traffic runs (default 3, max 60)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the stub (default 2)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument(
        "--kill-every", type=float, default=20.0, help="mean seconds between kill -9 (default 20)"
    )
    parser.add_argument(
        "--servers", type=int, default=1000, help="servers per project in the seed (default 1000)"
    )
    parser.add_argument("--random-seed", type=int, default=1, help="seed of the traffic mix and kill times")
    parser.add_argument(
        "--report",
        type=Path,
        help="where the JSON report goes (default: reports/soak/soak-<stamp>.json); the chart goes beside it",
    )
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    parser.add_argument(
        "--progress-interval",
        type=float,
        help="seconds between two progress lines off a terminal (default 5, or CSBS_PROGRESS_INTERVAL)",
    )
    parser.add_argument("--keep-data", type=Path, help="use this directory for data and logs and keep it")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 60:
        parser.error("--minutes must be in (0, 60]")
    if not 1 <= args.clients <= 256 or not 1 <= args.workers <= 16 or args.kill_every < 2:
        parser.error("need 1-256 clients, 1-16 workers and --kill-every of at least 2 seconds")

    with contextlib.ExitStack() as stack:
        if args.keep_data is not None:
            root = args.keep_data
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csbs-soak-")))
        servers = write_seed(root / "seed.yaml", args.servers)[DEMO_PROJECT]
        stub = StubProcess(
            root / "data", workers=args.workers, seed=root / "seed.yaml", log_path=root / "server.log"
        )
        report = SoakReport(minutes=args.minutes, workers=args.workers, clients=args.clients)
        with progress_bus(interval=args.progress_interval) as progress:
            progress.publish(RunStarted("soak", total=args.minutes * 60))
            progress.publish(PhaseStarted("starting the stub"))
            soak = Soak(stub, servers, report, args.random_seed, progress)
            stub.start()
            try:
                soak.run(args.minutes, args.kill_every)
                soak.settle(timeout=60)
            finally:
                stub.stop()
                progress.publish(RunFinished())
        print(report.render())
        report_path = args.report or REPORTS_DIR / f"soak-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(dataclasses.asdict(report), indent=2) + "\n", encoding="utf-8")
        print(f"report: {report_path}")
        if not args.no_chart:
            print(write_chart(report_path))
        if not report.ok:
            print(f"server log: {stub.log_path}" if args.keep_data else stub.logs()[-3000:], file=sys.stderr)
    return 0 if report.ok else 1


def write_chart(report_path: Path) -> str:
    """Draw the chart beside the report; what happened, as one line."""
    try:
        from tools.soak_chart import write_soak_chart
    except ImportError as exc:  # matplotlib is the `bench` extra
        return f"chart: not drawn ({exc.name} is not installed; it comes with the bench extra)"
    return f"chart: {write_soak_chart(report_path)}"


if __name__ == "__main__":
    sys.exit(main())
