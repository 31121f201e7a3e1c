"""The bench's count of connections per worker, against real processes and sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from tools.bench.spread import spread

# A server of two processes in one process group: the first accepts three connections, then
# forks a second (which lets go of the first's three) that accepts one more.
_SERVER = """
import os, socket, sys, time
listener = socket.socket(fileno=int(sys.argv[1]))
held = [listener.accept()[0] for _ in range(3)]
print("ready", flush=True)
if os.fork() == 0:
    for connection in held:
        connection.close()
    held = [listener.accept()[0]]
    print("ready", flush=True)
listener.close()
time.sleep(60)
"""


def test_connections_are_counted_per_process_of_the_group_holding_them() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(listener.fileno())],
        pass_fds=(listener.fileno(),),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    listener.close()  # the test's copy: only the server's processes hold connections
    clients: list[socket.socket] = []
    try:
        assert server.stdout is not None
        for wanted in (3, 1):
            clients += [socket.create_connection(("127.0.0.1", port)) for _ in range(wanted)]
            assert server.stdout.readline().strip() == "ready"
        assert spread(server.pid, port) == [3, 1]
        assert spread(server.pid, port - 1) == []
    finally:
        for client in clients:
            client.close()
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
