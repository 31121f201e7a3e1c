"""How a server's workers share the load generator's connections, read from /proc.

The workers of a stub accept from one listening socket, and the first one woken takes every
connection waiting: wrk opens its 32 at once, so a run may put all of them on one worker, and
then it measures one worker whatever `--workers` says (seen on two cores: 32/0, 30/2, 25/7, 15/17
in runs of one commit; 4,400 req/s with 10/22, 2,960 with 32/0). The bench records the spread of
every measured run, so such a run can be told from a slower commit.

No kept library reads this without a new dependency (psutil would), so it is read here: the
socket inodes each process holds (`/proc/<pid>/fd`) against the established TCP connections to
the server's port (`/proc/net/tcp` and `tcp6`).
"""

from __future__ import annotations

import os
from pathlib import Path

from tools.bench.servers import group_processes

ESTABLISHED = "01"
PROC = Path("/proc")


def _established_inodes(port: int, proc: Path) -> set[str]:
    """Socket inodes of established connections whose local port is `port`."""
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, state, inode = fields[1], fields[3], fields[9]
            if state == ESTABLISHED and int(local.rsplit(":", 1)[1], 16) == port:
                found.add(inode)
    return found


def connections_per_process(process_group: int, port: int, proc: Path = PROC) -> dict[int, int]:
    """Established connections to `port` held by each process of `process_group` that holds any."""
    inodes = _established_inodes(port, proc)
    held: dict[int, int] = {}
    for pid, _ in group_processes(process_group, proc):
        try:
            targets = [os.readlink(link) for link in (proc / str(pid) / "fd").iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        count = sum(1 for target in targets if target.startswith("socket:[") and target[8:-1] in inodes)
        if count:
            held[pid] = count
    return held


def spread(process_group: int, port: int, proc: Path = PROC) -> list[int]:
    """Connections per worker holding any, most first (e.g. [17, 15], or [32] for one worker)."""
    return sorted(connections_per_process(process_group, port, proc).values(), reverse=True)
