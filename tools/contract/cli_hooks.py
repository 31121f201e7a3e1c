"""The hooks module of the `st` CLI runs (`make contract`, `make fuzz-long`): the kit's checks, and
the reports of what `st` is doing to the process that started it (tools/contract/live.py).

Both reports are schemathesis' documented extension points: an `after_call` hook (one line per
request, its status) and a CLI event handler (phase changes, engine errors). They write to the
descriptor named by `CSBS_CONTRACT_EVENTS_FD` and do nothing without it, so the configuration
kept under reports/ still runs by hand.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import schemathesis
from schemathesis import cli
from schemathesis.engine import events

import tools.contract.checks  # noqa: F401  (registers the kit's checks)
from tools.contract.live import EVENTS_FD_ENV


class Channel:
    """JSON lines to the parent; each line is one `write` of less than PIPE_BUF bytes, so lines
    from the fuzzing workers' threads never interleave."""

    def __init__(self) -> None:
        raw = os.environ.get(EVENTS_FD_ENV)
        self.fd = int(raw) if raw else None
        self.lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        if self.fd is None:
            return
        data = (json.dumps(message) + "\n").encode()
        with self.lock:
            try:
                os.write(self.fd, data)
            except OSError:
                # The parent stopped listening (interrupted): the run goes on without a display.
                self.fd = None


CHANNEL = Channel()


@schemathesis.hook
def after_call(
    ctx: schemathesis.HookContext, case: schemathesis.Case[Any], response: schemathesis.Response
) -> None:
    CHANNEL.send({"status": response.status_code})


@cli.handler()
class LiveEvents(cli.EventHandler[Any]):
    def __init__(self, *args: Any, **params: Any) -> None:
        pass

    def handle_event(self, ctx: Any, event: events.EngineEvent) -> None:
        if isinstance(event, events.PhaseStarted) and event.phase.is_enabled and not event.phase.skip_reason:
            CHANNEL.send({"phase": event.phase.name.value.replace("_", " ")})
        elif isinstance(event, events.NonFatalError):
            CHANNEL.send({"error": type(event.value).__name__})
