"""Three stub replicas on one PostgreSQL database behind HAProxy (`deploy/haproxy.cfg`), 32 clients.

While the clients create restores through the balancer: one replica is killed with SIGKILL and
started again; another loses its database connection alone (it reaches PostgreSQL through a
relay, which is cut, then mended); PostgreSQL is restarted (`pg_ctl restart -m fast`); then it
is stopped for a few seconds and started (an outage long enough for the balancer to see it).
Holds when:

- every create answered 200 is stored once, unchanged, and finishes (its server can be restored
  again); no request is stored twice;
- every other answer is a 503 `CSBS.9998` in the service's error format (the strict profile's
  `ErrorResponse`, JSON, with an `X-Request-Id`) within 2 s, while a database is unreachable
  (never a 500, never a hang), or, only while the killed replica is being taken out, a 502 from
  the balancer or a dropped connection;
- each replica's `/_stub/health` answers 503 while it cannot reach the database; the balancer
  takes it out of service for that (check status L7STS 503) and sends its requests to the others
  (when one replica is sick, no request gets the balancer's own 503), and puts it back by itself
  when the database is back; the killed replica is taken out, and serves again once restarted.

The counts are printed at the end (also when the test passes).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tools.harness import postgres
from tools.harness.postgres import PostgresServer
from tools.harness.seeds import ADMIN_TOKEN as DEMO_ADMIN_TOKEN
from tools.harness.seeds import (
    DEMO_PROJECT,
    DEMO_TOKEN,
    OTHER_PROJECT,
    OTHER_TOKEN,
    SeedServer,
    write_seed,
)
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import REPO_ROOT, StubProcess
from tools.soak import IMMUTABLE_FIELDS

from . import balancer
from .balancer import HAProxy, StatsWatcher
from .load import Attempt, PacedLoad, send
from .relay import TcpRelay

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

REPLICAS = 3
WORKERS = 2
CLIENTS = 32
PACE_S = 0.5
"""Each client sends at most one create every PACE_S: 64 creates/s in all, bounded on 2 cores."""
SERVERS_PER_CLIENT = 24
"""A client restores a server again after SERVERS_PER_CLIENT * PACE_S = 12 s, long after the
previous restore of it ended (RESTORE_SECONDS), even across the outage. (Few servers: every
stub process parses the seed at start.)"""
PROBE_SERVERS = REPLICAS
RESTORE_SECONDS = 1.0
ANSWER_WITHIN_S = 2.0
"""The contract's 503 while the database is unreachable comes within this."""
CLIENT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
OUTAGE_S = 3.0
"""PostgreSQL stays stopped at least this long, and until the balancer has taken every replica
out of service."""
RECOVERY_TIMEOUT_S = 20.0
LATE_503_S = 2.0
"""After every replica is back in service, a 503 may still be on its way (a pooled connection
that broke in the restart is found broken on its next use); later than this it is a failure."""
KILLED = "replica2"
SICK = "replica3"
"""The replica that reaches PostgreSQL through a relay, so that it alone can lose the database."""
KILL_WINDOW_S = 1.0
"""502s and dropped connections are expected from the kill until this long after the balancer
took the killed replica out of service."""
ACKS_PER_PHASE = 60
AGAIN_PER_WINDOW = 32
# The seed's own tokens: the stub refuses its public demo tokens on a shared database.
TOKENS = {DEMO_PROJECT: "topology-tenant-a-3f6c2d1e", OTHER_PROJECT: "topology-tenant-b-8a9b0c7d"}
ADMIN_TOKEN = "topology-admin-5e4f3a2b"
STRICT_SPEC = REPO_ROOT / "generated" / "csbs-restore.strict.yaml"


def _check_timeout(config: Path) -> float:
    """The balancer's `timeout check` (seconds): a health answer later than this is a timeout."""
    found = re.search(r"^\s*timeout check (\d+)s\s*$", config.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"no `timeout check <N>s` in {config}"
    return float(found.group(1))


HEALTH_WITHIN_S = _check_timeout(balancer.CONFIG)
"""/_stub/health must say 503 before the balancer's check gives up, so the balancer sees why."""


def _missing() -> str | None:
    return postgres.missing_reason() or balancer.missing_reason()


@pytest.fixture(scope="module")
def requirements() -> None:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the topology test must run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def error_schema() -> dict[str, Any]:
    document = yaml.safe_load(STRICT_SPEC.read_text(encoding="utf-8"))
    schema: dict[str, Any] = document["components"]["schemas"]["ErrorResponse"]
    return schema


def write_private_seed(path: Path, per_project: int) -> dict[str, list[SeedServer]]:
    """write_seed's servers, with this test's own tokens instead of the public demo ones (each
    token is a YAML list item of its own line; replaced as text, as parsing is slow)."""
    servers = write_seed(path, per_project)
    own = {
        DEMO_TOKEN: TOKENS[DEMO_PROJECT],
        OTHER_TOKEN: TOKENS[OTHER_PROJECT],
        DEMO_ADMIN_TOKEN: ADMIN_TOKEN,
    }
    text = re.sub(
        r"^(\s*- )(\S+)$",
        lambda m: m.group(1) + own.get(m.group(2), m.group(2)),
        path.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert all(token not in text for token in own), "a demo token is left in the seed"
    path.write_text(text, encoding="utf-8")
    return servers


def health(replica: StubProcess) -> tuple[int | None, Any, float]:
    began = time.monotonic()
    try:
        response = httpx.get(f"{replica.base_url}/_stub/health", timeout=CLIENT_TIMEOUT)
    except httpx.HTTPError as exc:
        return None, repr(exc), time.monotonic() - began
    return response.status_code, response.json(), time.monotonic() - began


def wait_all_healthy(replicas: list[StubProcess], timeout: float) -> float:
    """Poll each replica's health until all answer 200; returns when that was (monotonic)."""
    deadline = time.monotonic() + timeout
    pending = list(replicas)
    while pending:
        pending = [r for r in pending if health(r)[0] != 200]
        if pending and time.monotonic() > deadline:
            raise AssertionError(f"{len(pending)} replicas still unhealthy {timeout:g}s after the database")
        if pending:
            time.sleep(0.1)
    return time.monotonic()


def wait_all_in_service(haproxy: HAProxy, timeout: float) -> float:
    for index in range(REPLICAS):
        haproxy.wait_for(f"replica{index + 1}", in_service=True, timeout=timeout)
    return time.monotonic()


@pytest.fixture
def topology(requirements: None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """PostgreSQL, three replicas of two workers and HAProxy, all stopped by PID afterwards."""
    began = time.monotonic()
    seed = tmp_path / "seed.yaml"
    pg = PostgresServer()
    relay: TcpRelay | None = None
    replicas: list[StubProcess] = []
    haproxy: HAProxy | None = None
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            written = pool.submit(write_private_seed, seed, CLIENTS // 2 * SERVERS_PER_CLIENT + PROBE_SERVERS)
            pg.start()
            servers = written.result()
        relay = TcpRelay(pg.port).start()
        for index in range(REPLICAS):
            name = f"replica{index + 1}"
            port = relay.port if name == SICK else pg.port
            store = f"postgresql://{postgres.USER}@127.0.0.1:{port}/{postgres.DATABASE}"
            args = ("--store", store, "--restore-seconds", str(RESTORE_SECONDS), "--no-swagger-ui")
            replica = StubProcess(tmp_path / name, workers=WORKERS, seed=seed, args=args, ready_timeout=90)
            replicas.append(replica)
        with concurrent.futures.ThreadPoolExecutor(REPLICAS) as pool:
            for started in [pool.submit(r.start) for r in replicas]:
                started.result()
        haproxy = HAProxy([f"127.0.0.1:{r.port}" for r in replicas], tmp_path / "haproxy.log").start()
        wait_all_in_service(haproxy, 10)
        yield {
            "pg": pg,
            "relay": relay,
            "replicas": replicas,
            "haproxy": haproxy,
            "servers": servers,
            "setup_s": time.monotonic() - began,
        }
    finally:
        if haproxy is not None:
            haproxy.stop()
        for replica in replicas:
            replica.stop()
        if relay is not None:
            relay.stop()
        pg.stop()


def client_plans(servers: dict[str, list[SeedServer]]) -> list[tuple[str, list[SeedServer]]]:
    """Half the clients in each project; each client its own SERVERS_PER_CLIENT servers."""
    plans = []
    for index in range(CLIENTS):
        project = DEMO_PROJECT if index % 2 == 0 else OTHER_PROJECT
        slot = index // 2
        owned = servers[project][slot * SERVERS_PER_CLIENT : (slot + 1) * SERVERS_PER_CLIENT]
        assert len(owned) == SERVERS_PER_CLIENT
        plans.append((TOKENS[project], owned))
    return plans


def check_error_answer(attempt: Attempt, schema: dict[str, Any]) -> str | None:
    """Why a 503 is not the service's CSBS.9998 in its error format, or None."""
    if attempt.content_type.split(";")[0].strip() != "application/json":
        return f"Content-Type {attempt.content_type!r}"
    try:
        jsonschema.validate(attempt.body, schema)
    except jsonschema.ValidationError as problem:
        return f"not an ErrorResponse: {problem.message}"
    if attempt.error_code != "CSBS.9998":
        return f"error_code {attempt.error_code}"
    if not attempt.request_id:
        return "no X-Request-Id"
    if attempt.elapsed > ANSWER_WITHIN_S:
        return f"answered after {attempt.elapsed:.2f}s"
    return None


def by_balancer(attempt: Attempt) -> bool:
    """HAProxy's own 503 names its request ID in the body, as a gateway's answer does; a
    replica's CSBS.9998 does not."""
    return isinstance(attempt.body, dict) and "request_id" in attempt.body


def judge(
    attempts: list[Attempt],
    schema: dict[str, Any],
    kill_window: tuple[float, float],
    db_windows: dict[str, tuple[float, float]],
    began: float,
) -> tuple[list[str], Counter[str]]:
    """Each attempt against the clauses: violations, and a count of answers by kind."""
    violations: list[str] = []
    kinds: Counter[str] = Counter()

    def violation(attempt: Attempt, why: str) -> None:
        violations.append(f"{attempt.tag} sent +{attempt.sent - began:.2f}s, {attempt.elapsed:.2f}s: {why}")

    for attempt in attempts:
        during_kill = attempt.overlaps(*kill_window)
        db_window = next((name for name, w in db_windows.items() if attempt.overlaps(*w)), None)
        if attempt.acknowledged:
            restore = attempt.restore
            assert restore is not None
            kinds["200"] += 1
            if restore.get("restore_target") != attempt.tag or restore.get("status") != "in_progress":
                violation(attempt, f"200 with an unexpected restore {restore}")
        elif attempt.timed_out:
            kinds["hang"] += 1
            violation(attempt, f"no answer within the client's timeout: {attempt.error}")
        elif attempt.status is None:
            kinds["connection error"] += 1
            if not during_kill:
                violation(attempt, f"connection error outside the kill: {attempt.error}")
        elif attempt.status == 502:
            kinds["502 (balancer)"] += 1
            if not during_kill:
                violation(attempt, f"502 outside the kill: {attempt.text[:200]}")
        elif attempt.status == 503:
            origin = "balancer" if by_balancer(attempt) else "replica"
            kinds[f"503 ({origin})"] += 1
            problem = check_error_answer(attempt, schema)
            if problem is not None:
                violation(attempt, f"503 {problem}: {attempt.text[:200]}")
            elif db_window is None:
                violation(attempt, f"503 while the database was up: {attempt.text[:200]}")
        else:
            kinds[str(attempt.status)] += 1
            violation(attempt, f"answered {attempt.status}: {attempt.text[:300]}")
    return violations, kinds


def probe_outage(replicas: list[StubProcess], probes: list[SeedServer], schema: dict[str, Any]) -> list[str]:
    """Straight to each replica while the database is down: health 503 within the balancer's
    check timeout, a create 503 CSBS.9998 within 2 s."""

    def probe(replica: StubProcess, server: SeedServer) -> list[str]:
        problems = []
        status, body, elapsed = health(replica)
        code = body.get("error_code") if isinstance(body, dict) else None
        if status != 503 or code != "STUB.0503" or elapsed > HEALTH_WITHIN_S:
            problems.append(f"health of {replica.base_url}: {status} {body} after {elapsed:.2f}s")
        with httpx.Client(base_url=replica.base_url, timeout=CLIENT_TIMEOUT) as http:
            attempt = send(http, -1, "topology/probe", server, TOKENS[server.project_id])
        problem = "not a 503" if attempt.status != 503 else check_error_answer(attempt, schema)
        if problem is not None:
            problems.append(f"create on {replica.base_url}: {problem}: {attempt.status} {attempt.text[:200]}")
        return problems

    with concurrent.futures.ThreadPoolExecutor(len(replicas)) as pool:
        return [problem for found in pool.map(probe, replicas, probes) for problem in found]


def test_replicas_behind_haproxy_survive_a_kill_and_database_restarts(
    topology: dict[str, Any], error_schema: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    pg: PostgresServer = topology["pg"]
    relay: TcpRelay = topology["relay"]
    replicas: list[StubProcess] = topology["replicas"]
    haproxy: HAProxy = topology["haproxy"]
    servers: dict[str, list[SeedServer]] = topology["servers"]
    probes = servers[DEMO_PROJECT][-PROBE_SERVERS:]
    killed = replicas[int(KILLED.removeprefix("replica")) - 1]
    timeline: dict[str, float] = {}

    watcher = StatsWatcher(haproxy).start()
    load = PacedLoad(haproxy.base_url, client_plans(servers), pace=PACE_S, timeout=CLIENT_TIMEOUT)
    began = time.monotonic()
    load.start()
    try:
        # 1. kill -9 one replica mid-load; the balancer takes it out; start it again.
        load.wait_acknowledged_since(began, ACKS_PER_PHASE, timeout=30)
        timeline["kill"] = time.monotonic()
        killed.kill9()
        haproxy.wait_for(KILLED, in_service=False, timeout=5)
        timeline["killed replica out of service"] = time.monotonic()
        load.wait_acknowledged_since(timeline["killed replica out of service"], ACKS_PER_PHASE // 2, 15)
        killed.start()
        timeline["killed replica restarted"] = time.monotonic()
        haproxy.wait_for(KILLED, in_service=True, timeout=10)
        timeline["killed replica in service"] = time.monotonic()
        sessions = haproxy.servers()[KILLED].sessions_total
        deadline = time.monotonic() + 10
        while haproxy.servers()[KILLED].sessions_total <= sessions + 5:
            assert time.monotonic() < deadline, "the restarted replica gets no requests"
            time.sleep(0.05)
        load.wait_acknowledged_since(timeline["killed replica in service"], ACKS_PER_PHASE, 15)

        # 2. One replica loses the database alone: its health says so, the balancer routes
        # around it while the others serve, and puts it back once it reaches the database again.
        timeline["sick: link cut"] = time.monotonic()
        relay.cut()
        haproxy.wait_for(SICK, in_service=False, timeout=RECOVERY_TIMEOUT_S)
        timeline["sick: out of service"] = time.monotonic()
        load.wait_acknowledged_since(timeline["sick: out of service"], ACKS_PER_PHASE, 15)
        timeline["sick: link mended"] = time.monotonic()
        relay.mend()
        haproxy.wait_for(SICK, in_service=True, timeout=RECOVERY_TIMEOUT_S)
        timeline["sick: in service"] = time.monotonic()
        sessions = haproxy.servers()[SICK].sessions_total
        deadline = time.monotonic() + 10
        while haproxy.servers()[SICK].sessions_total <= sessions + 5:
            assert time.monotonic() < deadline, "the mended replica gets no requests"
            time.sleep(0.05)

        # 3. pg_ctl restart -m fast mid-load.
        timeline["database restart"] = time.monotonic()
        pg.restart()
        timeline["database restarted"] = time.monotonic()
        timeline["restart: replicas healthy"] = wait_all_healthy(replicas, RECOVERY_TIMEOUT_S)
        timeline["restart: all in service"] = wait_all_in_service(haproxy, RECOVERY_TIMEOUT_S)
        load.wait_acknowledged_since(timeline["restart: all in service"], ACKS_PER_PHASE, 15)

        # 4. The database stopped (OUTAGE_S at least): every replica says so, the balancer takes
        # each out and answers for them, and all come back by themselves once it is started.
        timeline["database stop"] = time.monotonic()
        pg.pg_ctl("stop", "-m", "fast")
        timeline["database stopped"] = time.monotonic()
        outage_problems = probe_outage(replicas, probes, error_schema)
        for index in range(REPLICAS):
            haproxy.wait_for(f"replica{index + 1}", in_service=False, timeout=OUTAGE_S + 2)
        timeline["outage: all out of service"] = time.monotonic()
        time.sleep(max(0.0, timeline["database stop"] + OUTAGE_S - time.monotonic()))
        timeline["database start"] = time.monotonic()
        pg.pg_ctl("start")
        timeline["database started"] = time.monotonic()
        timeline["outage: replicas healthy"] = wait_all_healthy(replicas, RECOVERY_TIMEOUT_S)
        timeline["outage: all in service"] = wait_all_in_service(haproxy, RECOVERY_TIMEOUT_S)
        load.wait_acknowledged_since(timeline["outage: all in service"], ACKS_PER_PHASE, 15)
    finally:
        attempts = load.stop()
        watcher.stop()
    timeline["load stopped"] = time.monotonic()
    served = {name: state.sessions_total for name, state in haproxy.servers().items()}

    kill_window = (timeline["kill"], timeline["killed replica out of service"] + KILL_WINDOW_S)
    sick_window = (timeline["sick: link cut"], timeline["sick: in service"] + LATE_503_S)
    db_windows = {
        "sick replica": sick_window,
        "restart": (timeline["database restart"], timeline["restart: all in service"] + LATE_503_S),
        "outage": (timeline["database stop"], timeline["outage: all in service"] + LATE_503_S),
    }
    violations, kinds = judge(attempts, error_schema, kill_window, db_windows, began)

    # Finishes: after the restore period every acknowledged restore has ended in the store.
    time.sleep(RESTORE_SECONDS + 1.0)
    stored = read_stored_restores(pg.url)
    acknowledged = [a for a in attempts if a.acknowledged]
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for record in stored.values():
        by_tag.setdefault(str(record["document"].get("restore_target")), []).append(record)
    duplicates = {tag: len(records) for tag, records in by_tag.items() if len(records) > 1}
    lost, changed, unfinished = [], [], []
    for attempt in acknowledged:
        restore = attempt.restore
        assert restore is not None
        record = stored.get(restore["id"])
        if record is None:
            lost.append(attempt.tag)
            continue
        if {k: record["document"].get(k) for k in IMMUTABLE_FIELDS} != {
            k: restore.get(k) for k in IMMUTABLE_FIELDS
        } or record["document"].get("restore_target") != attempt.tag:
            changed.append(attempt.tag)
        if record["status"] not in ("success", "fail"):
            unfinished.append(attempt.tag)
    acknowledged_tags = {a.tag for a in acknowledged}
    unacknowledged_stored = Counter(
        "503" if a.status == 503 else "502/connection error"
        for a in attempts
        if not a.acknowledged and a.tag in by_tag
    )
    assert acknowledged_tags <= set(by_tag)

    # Finished for real: the stored end freed the server. Servers whose last restore was stored
    # during a disruption (up to AGAIN_PER_WINDOW each, the earliest) are restored again.
    last_by_server: dict[str, Attempt] = {}
    for attempt in attempts:
        last_by_server[attempt.server.server_id] = attempt
    again: list[Attempt] = []
    for window in [kill_window, *db_windows.values()]:
        inside = [a for a in last_by_server.values() if a.tag in by_tag and a.overlaps(*window)]
        again += [a for a in sorted(inside, key=lambda a: a.sent) if a not in again][:AGAIN_PER_WINDOW]
    with (
        concurrent.futures.ThreadPoolExecutor(16) as pool,
        httpx.Client(
            base_url=haproxy.base_url, timeout=CLIENT_TIMEOUT, limits=httpx.Limits(max_connections=16)
        ) as http,
    ):
        second = list(
            pool.map(
                lambda a: send(http, a.client, f"{a.tag}/again", a.server, TOKENS[a.server.project_id]), again
            )
        )
    not_freed = [f"{a.tag}: {a.status} {a.text[:200]}" for a in second if not a.acknowledged]

    fives = [a.elapsed for a in attempts if a.status == 503]
    # Why the balancer took each replica out during the outage: its health check's answer.
    outage_reasons = {
        name: sorted(
            {
                f"{t.check_status.lstrip('* ')} {t.check_code}".strip()
                for t in watcher.transitions
                if t.server == name and t.status == "DOWN" and db_windows["outage"][0] <= t.at
            }
        )
        for name in served
    }
    kill_reasons = sorted(
        {
            t.check_status.lstrip("* ")
            for t in watcher.transitions
            if t.server == KILLED and t.status == "DOWN" and kill_window[0] <= t.at <= kill_window[1]
        }
    )
    # While one replica was sick the others stayed in service, and the balancer never had to
    # answer for them.
    healthy_taken_out = [
        t
        for t in watcher.transitions
        if t.server != SICK and t.status == "DOWN" and sick_window[0] <= t.at <= sick_window[1]
    ]
    sick_reasons = sorted(
        {
            f"{t.check_status.lstrip('* ')} {t.check_code}".strip()
            for t in watcher.transitions
            if t.server == SICK and t.status == "DOWN" and sick_window[0] <= t.at <= sick_window[1]
        }
    )
    balancer_503_while_sick = sum(
        1 for a in attempts if a.status == 503 and a.overlaps(*sick_window) and by_balancer(a)
    )
    errors = Counter(str(a.error).split("(")[0] for a in attempts if a.status is None)
    violation_kinds = Counter(v.split(": ", 1)[1].split(":")[0][:60] for v in violations)
    at = {name: f"+{moment - began:.1f}s" for name, moment in timeline.items()}
    with capsys.disabled():
        print(
            f"\ntopology: {REPLICAS} replicas x {WORKERS} workers, PostgreSQL, HAProxy; {CLIENTS} clients;"
            f" setup {topology['setup_s']:.1f}s, load {timeline['load stopped'] - began:.1f}s\n"
            f"  timeline: {at}\n"
            f"  creates sent {len(attempts)}: {dict(sorted(kinds.items()))}\n"
            f"  acknowledged {len(acknowledged)}, stored {len(stored)}, lost {len(lost)},"
            f" duplicates {len(duplicates)}, changed {len(changed)}, finished"
            f" {len(acknowledged) - len(unfinished) - len(lost)}/{len(acknowledged)},"
            f" stored without a 200: {dict(unacknowledged_stored)}\n"
            f"  503s {len(fives)}: max {max(fives, default=0):.3f}s,"
            f" median {statistics.median(fives) if fives else 0:.3f}s;"
            f" outage probes straight to replicas: {len(outage_problems)} problems\n"
            f"  balancer: killed replica taken out for {kill_reasons}; sick replica for {sick_reasons},"
            f" others taken out meanwhile {len(healthy_taken_out)}, balancer 503s meanwhile"
            f" {balancer_503_while_sick}; all during the outage for {outage_reasons};"
            f" requests per replica {served}; connection errors {dict(errors)}\n"
            f"  restored again after the end: {len(second) - len(not_freed)}/{len(second)};"
            f" violations {len(violations)} {dict(violation_kinds)}"
        )

    assert not violations, f"{len(violations)} answers break the clauses:\n" + "\n".join(violations[:40])
    assert not outage_problems, outage_problems
    assert not lost, f"acknowledged but not stored: {lost[:20]}"
    assert not duplicates, f"stored more than once: {duplicates}"
    assert not changed, f"stored differently from the answer: {changed[:20]}"
    assert not unfinished, f"not finished {RESTORE_SECONDS + 1:g}s after the load: {unfinished[:20]}"
    assert not not_freed, f"a finished restore did not free its server: {not_freed[:20]}"
    assert again, "no restore was under way during a disruption: the disruptions missed the load"
    for name, reasons in outage_reasons.items():
        # Out of service because its health check answered 503 (the database is down).
        assert "L7STS 503" in reasons, (name, reasons)
    assert kinds["503 (balancer)"] > 0, "the balancer never answered for the replicas during the outage"
    assert "L7STS 503" in sick_reasons, sick_reasons
    assert not healthy_taken_out, healthy_taken_out
    assert balancer_503_while_sick == 0, "with one replica sick, the balancer answered for the others"
    assert all(count > 0 for count in served.values()), served
    assert "unhandled error serving" not in "".join(r.logs() for r in replicas)
