"""Drive one server with wrk and read back its numbers.

wrk prints its summary in a fixed text layout; instead of parsing that, every script we hand it
ends with a `done` callback that writes one JSON line (prefixed with `BENCH_JSON `) holding the
request count, the error counters and the latency percentiles in microseconds.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

RESULT_PREFIX = "BENCH_JSON "

DONE_CALLBACK = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeout_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured. `non_2xx` is wrk's count of answers with a status of 400 or more."""

    requests: int
    duration_s: float
    requests_per_s: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class WrkError(RuntimeError):
    """wrk failed or printed no result line."""


def parse_result(stdout: str) -> WrkResult:
    """Turn the `BENCH_JSON` line of wrk's output into a `WrkResult`."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            raw = json.loads(line[len(RESULT_PREFIX) :])
            duration_s = raw["duration_us"] / 1e6
            return WrkResult(
                requests=raw["requests"],
                duration_s=round(duration_s, 3),
                requests_per_s=round(raw["requests"] / duration_s, 1) if duration_s else 0.0,
                non_2xx=raw["status_errors"],
                socket_errors=raw["connect_errors"]
                + raw["read_errors"]
                + raw["write_errors"]
                + raw["timeout_errors"],
                p50_ms=raw["p50_us"] / 1000,
                p90_ms=raw["p90_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                mean_ms=round(raw["mean_us"] / 1000, 3),
            )
    raise WrkError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{stdout[-2000:]}")


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
    timeout_s: float = 5.0,
) -> WrkResult:
    """Run wrk once against `url` for `seconds` and return what it measured.

    The subprocess gets a hard deadline well past the run's length, so a stuck server cannot hang
    the benchmark.
    """
    if not url.startswith(("http://127.", "http://localhost")):
        raise ValueError(f"benchmarks only target loopback addresses, not {url}")
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout_s))}s",
        f"--script={script}",
        url,
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish: {' '.join(command)}") from exc
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    return parse_result(completed.stdout)
