"""The benchmark's parts that decide what is measured: loads, seed, result parsing, ratios.

These check correctness only; `make bench` itself is the measurement, never a timed test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft4Validator

from server.seeds import parse_seed
from tools.bench.compare import Measurement, ratios, targets
from tools.bench.loads import (
    ID_PREFIXES,
    bench_seed,
    create_body,
    creates_load,
    document_request,
    example_load,
)
from tools.bench.wrk import WrkError, WrkResult, parse_result

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "csbs-restore.yaml"


def _request_validator() -> Draft4Validator:
    spec = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    return Draft4Validator({**schemas["CreateRestoreRequest"], "components": spec["components"]})


def test_every_rotated_body_is_valid_and_names_a_seeded_backup_of_its_own_server() -> None:
    seed = parse_seed(bench_seed(50))
    by_item = {backup.id: backup for backup in seed.backups}
    validator = _request_validator()
    servers = set()
    for index in range(50):
        body = create_body(index)
        assert not list(validator.iter_errors(body)), body
        restore = body["restore"]
        backup = by_item[restore["parameters"]["checkpoint_item_id"]]
        assert backup.status == "available"
        assert backup.checkpoint_id == restore["checkpoint_id"]
        assert backup.resource_id == restore["parameters"]["targets"]["server_id"]
        (volume,) = backup.volume_backups
        assert restore["parameters"]["targets"]["volumes"] == [
            {"backup_id": volume.id, "volume_id": volume.source_volume_id}
        ]
        servers.add(backup.resource_id)
    assert len(servers) == 50


def test_creates_script_builds_the_same_bodies_as_python() -> None:
    """The Lua template, filled the way the script fills it, gives create_body(i) byte for byte."""
    script = creates_load(300, 1).script
    template = script.split("local template = [==[", 1)[1].split("]==]", 1)[0]
    for index in (0, 7, 255, 299):
        suffix = f"{index:012x}"
        filled = template.replace("%%", "\0").replace("%s", suffix).replace("\0", "%")
        assert json.loads(filled) == create_body(index)
    assert template.count("%s") == len(ID_PREFIXES)
    assert "local slices = 1" in script and "done = function" in script


def test_example_script_sends_the_document_example_with_prefer_200() -> None:
    script = example_load().script
    body = script.split("wrk.body = [==[", 1)[1].split("]==]", 1)[0]
    assert json.loads(body) == document_request()
    assert 'wrk.headers["Prefer"] = [==[code=200]==]' in script


def test_wrk_result_line_is_parsed_into_milliseconds_and_counts_failures() -> None:
    output = (
        "Running 10s test @ http://127.0.0.1:1/\n"
        'BENCH_JSON {"requests":20000,"duration_us":10000000,"status_errors":3,"connect_errors":1,'
        '"read_errors":2,"write_errors":0,"timeout_errors":4,"p50_us":1500,"p90_us":2500,'
        '"p99_us":9000,"max_us":31000,"mean_us":1700.5}\n'
    )
    result = parse_result(output)
    assert result.requests_per_s == 2000.0
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 9.0, 31.0)
    assert result.non_2xx == 3 and result.socket_errors == 7
    with pytest.raises(WrkError):
        parse_result("Running 10s test\nRequests/sec: 1.0\n")


def _result(rps: float, p99: float) -> WrkResult:
    return WrkResult(
        requests=int(rps * 10),
        duration_s=10.0,
        requests_per_s=rps,
        non_2xx=0,
        socket_errors=0,
        p50_ms=1.0,
        p90_ms=2.0,
        p99_ms=p99,
        max_ms=p99 * 2,
        mean_ms=1.0,
    )


def test_ratios_and_targets_use_only_runs_of_the_same_round() -> None:
    def measurement(
        round_number: int, server: str, rps: float, p99: float, load: str = "creates", cpu_s: float = 1.0
    ) -> Measurement:
        result = _result(rps, p99)
        return Measurement(round_number, server, load, result, result, 0.0, server_cpu_s=cpu_s)

    measurements = [
        measurement(1, "prism", 1000, 20),
        measurement(1, "stub-2w", 2100, 9, cpu_s=0.4 * 2100 * 10 / 1000),
        measurement(1, "stub-1w", 1400, 30),
        measurement(1, "ceiling-2w", 8400, 5),
        measurement(2, "prism", 500, 40),
        measurement(2, "stub-2w", 1000, 30, cpu_s=0.6 * 1000 * 10 / 1000),
        measurement(1, "stub-pg", 1400, 12),
        measurement(1, "prism", 1000, 20, load="example"),
        measurement(1, "stub-2w", 3400, 5, load="example"),
    ]
    rows = {(r["round"], r["load"], r["server"]): r for r in ratios(measurements, 2)}
    assert rows[(1, "creates", "stub-2w")]["rps_vs_prism"] == 2.1
    assert rows[(1, "creates", "stub-2w")]["rps_vs_ceiling"] == 0.25
    assert rows[(2, "creates", "stub-2w")]["rps_vs_prism"] == 2.0
    assert rows[(2, "creates", "stub-2w")]["rps_vs_ceiling"] is None
    assert rows[(1, "creates", "stub-pg")]["rps_vs_sqlite_stub"] == 0.667
    checks = targets(list(rows.values()), 2)
    verdicts = {(c["round"], c["load"], c["server"], c["target"]): c["met"] for c in checks}
    assert verdicts == {
        (1, "creates", "stub-2w", "req/s >= 2.0x Prism"): True,
        (1, "creates", "stub-2w", "p99 <= 0.5x Prism's"): True,
        (1, "creates", "stub-2w", "server CPU <= 0.45 ms per create"): True,
        (1, "creates", "stub-1w", "req/s >= 1.5x Prism (one worker)"): False,
        (2, "creates", "stub-2w", "req/s >= 2.0x Prism"): True,
        (2, "creates", "stub-2w", "p99 <= 0.5x Prism's"): False,
        (2, "creates", "stub-2w", "server CPU <= 0.45 ms per create"): False,
        (1, "example", "stub-2w", "req/s >= 3.5x Prism"): False,
        (1, "creates", "stub-pg", "req/s >= 0.7x the SQLite stub's"): False,
    }


def test_cpu_time_of_a_process_group_is_read_from_proc() -> None:
    import subprocess
    import sys

    from tools.bench.servers import group_cpu_seconds

    busy = (
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    )
    process = subprocess.Popen([sys.executable, "-c", busy], start_new_session=True)
    try:
        used = 0.0
        for _ in range(100):  # at most about 10 s
            used = group_cpu_seconds(process.pid)
            if used >= 0.3:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert used >= 0.25, used
        assert group_cpu_seconds(2**22 + 12345) == 0.0
    finally:
        process.kill()
        process.wait(timeout=10)
