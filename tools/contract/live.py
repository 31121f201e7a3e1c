"""How `make contract` and `make fuzz-long` show a run of `st` while it runs.

schemathesis draws its own progress as a transient rich live display, and rich draws a live
display only on a terminal: in CI, or through a pipe, nothing shows between the blocks it prints
when a phase ends. Its progress also counts API operations, and the contract has one, so even on a
terminal the 12,000-case fuzzing phase of `make fuzz-long` sits at 0/1 for four minutes.

So `st` reports to the kit instead, through schemathesis' documented extension points, loaded
with the kit's checks (`tools/contract/cli_hooks.py`): an `after_call` hook sends one line per
request sent (its status), and a CLI event handler sends the phase changes and the errors the
engine reports (no answer, a timeout). The lines go to a pipe whose descriptor `st` inherits
(`CSBS_CONTRACT_EVENTS_FD`); `LiveRun` here turns them into progress events
(tools/harness/progress.py), and `st`'s own output, read from a pipe, is relayed line by line,
so its phase blocks and its report still show as they come.
"""

from __future__ import annotations

import json
from typing import Any

from tools.harness.progress import Advanced, Counted, PhaseStarted, Publisher

EVENTS_FD_ENV = "CSBS_CONTRACT_EVENTS_FD"
# The examples and coverage phases add about this many cases to the fuzzing budget (546 cases for
# `--max-examples 400`, 206 for 60, 12,137 for the 12,000 of `make fuzz-long`): the estimate of
# the whole run the remaining time is computed from.
CASES_BEYOND_FUZZING = 146


def expected_requests(max_examples: int) -> int:
    return max_examples + CASES_BEYOND_FUZZING


class LiveRun:
    """Folds the lines `st` sends into request and error counts and publishes them."""

    def __init__(self, progress: Publisher) -> None:
        self.progress = progress
        self.requests = 0
        self.errors = 0

    def feed(self, line: bytes | str) -> None:
        try:
            message: dict[str, Any] = json.loads(line)
        except ValueError:
            return
        if "phase" in message:
            self.progress.publish(PhaseStarted(str(message["phase"])))
            return
        if "status" in message:
            self.requests += 1
            if int(message["status"]) >= 500:
                self.errors += 1
        elif "error" in message:
            self.errors += 1
        else:
            return
        self.progress.publish(Counted(requests=self.requests, errors=self.errors))
        self.progress.publish(Advanced(done=self.requests))
