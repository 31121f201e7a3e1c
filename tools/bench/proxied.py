"""The stub behind its own validating proxy, as one bench server: `python -m tools.bench.proxied
--port P --data-dir D --seed S [stub options]`.

Starts the stub (default workers, data in D) on a free loopback port in this process group,
waits until its health check answers, then becomes the proxy (`python -m server --proxy`) on P.
Stopping the group stops both, and the bench's CPU count covers both: what the proxy adds is the
difference to `stub-<n>w` of the same round.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.servers import HOST, STARTUP_TIMEOUT_S, free_port
from tools.harness.stub_process import stub_command


def _wait_for_health(port: int, upstream: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if upstream.poll() is not None:
            raise SystemExit(f"the upstream stub exited with {upstream.returncode} while starting")
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", "/_stub/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise SystemExit(f"the upstream stub did not start within {STARTUP_TIMEOUT_S:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.proxied", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seed", required=True)
    arguments, stub_args = parser.parse_known_args(argv)
    upstream_port = free_port()
    upstream = subprocess.Popen(
        stub_command(upstream_port, Path(arguments.data_dir), seed=Path(arguments.seed), args=stub_args)
    )
    _wait_for_health(upstream_port, upstream)
    proxy = [sys.executable, "-m", "server", "--host", HOST, "--port", str(arguments.port)]
    proxy += ["--proxy", f"http://{HOST}:{upstream_port}"]
    os.execv(sys.executable, proxy)
    return 0  # not reached: the proxy replaced this process


if __name__ == "__main__":
    raise SystemExit(main())
