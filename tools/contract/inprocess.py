"""Run schemathesis in-process against an ASGI app, the way `st run` runs it over the network.

Uses schemathesis' own engine (`schemathesis.engine.from_schema`, which the CLI drives too), so
`make test` runs the same phases (examples, coverage, fuzzing, stateful) and the same checks as
`make contract`, just without a socket. The result lists every failed check with the curl command
that reproduces it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder

from tools.contract.config import RunSettings, build_config


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one request."""

    check: str
    operation: str
    title: str
    message: str
    curl: str
    status_code: int | None

    def describe(self) -> str:
        status = f" (answered {self.status_code})" if self.status_code is not None else ""
        return f"[{self.check}] {self.operation}: {self.title}{status}\n    {self.curl}\n    {self.message}"


@dataclass
class RunResult:
    """What a run did and what it found."""

    cases: int = 0
    elapsed: float = 0.0
    failures: list[CheckFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cases_per_phase: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    # Which checks ran at least once (passed or failed).
    checks_run: set[str] = field(default_factory=set)
    # Stateful steps that followed a link with the value it extracted: (transition, status
    # answered) -> count. A transition reads "POST /a -> [200] LinkName -> GET /b".
    links_followed: Counter[tuple[str, int]] = field(default_factory=Counter)

    @property
    def failed_checks(self) -> set[str]:
        return {failure.check for failure in self.failures}

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.elapsed if self.elapsed > 0 else 0.0

    def followed(self, link: str, status: int) -> int:
        """How many stateful steps followed the link named `link` and were answered `status`."""
        return sum(
            count
            for (transition, answered), count in self.links_followed.items()
            if f"] {link} -> " in transition and answered == status
        )

    def summary(self) -> str:
        phases = ", ".join(f"{phase} {count}" for phase, count in sorted(self.cases_per_phase.items()))
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items()))
        lines = [
            f"{self.cases} cases in {self.elapsed:.1f}s ({self.cases_per_second:.0f}/s); {phases}",
            f"responses by status: {statuses}",
            f"checks run: {', '.join(sorted(self.checks_run))}",
        ]
        if self.links_followed:
            followed = ", ".join(
                f"{transition} = {status}: {count}"
                for (transition, status), count in sorted(self.links_followed.items())
            )
            lines.append(f"links followed: {followed}")
        if self.failures:
            lines.append(f"{len(self.failures)} failed checks:")
            lines.extend(failure.describe() for failure in self.failures)
        lines.extend(f"error: {error}" for error in self.errors)
        return "\n".join(lines)


def load_asgi_schema(
    spec: Path | dict[str, Any], app: Any, settings: RunSettings, *, base_url: str = "http://127.0.0.1"
) -> Any:
    """Load `spec` (a file or a parsed document), bind it to the ASGI `app`, configure it from `settings`.

    Requests go to the app in-process; `base_url` (with the spec's base path, e.g. `/_stub`) only
    shapes the URLs and the curl commands, the spec's `servers` entry is not used.
    """
    config = schemathesis.Config.from_dict(build_config(settings))
    if isinstance(spec, dict):
        schema = schemathesis.openapi.from_dict(spec, config=config)
    else:
        schema = schemathesis.openapi.from_path(spec, config=config)
    schema.app = app
    schema.config.base_url = base_url
    return schema


def run_schema(schema: Any) -> RunResult:
    """Run every enabled phase of `schema` and collect the result."""
    result = RunResult()
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _collect(result, event.recorder, phase=event.phase.value)
        elif isinstance(event, events.FuzzScenarioFinished):
            _collect(result, event.recorder, phase="fuzz")
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.format(base_url_is_set=True)}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            result.failures.extend(
                CheckFailure(
                    check="after_run",
                    operation=failure.operation or "",
                    title=failure.title,
                    message=failure.message,
                    curl="",
                    status_code=None,
                )
                for failure in event.failures
            )
    result.elapsed = time.monotonic() - started
    return result


def _collect(result: RunResult, recorder: ScenarioRecorder, *, phase: str) -> None:
    result.cases += len(recorder.cases)
    result.cases_per_phase[phase] += len(recorder.cases)
    for recorded in recorder.interactions.values():
        if recorded.response is not None:
            result.statuses[recorded.response.status_code] += 1
    for case_id, node in recorder.cases.items():
        answered = recorder.interactions.get(case_id)
        # Only steps that sent the value the link extracted (schemathesis sometimes sends a
        # generated one instead, to probe the target with other input).
        transition = node.transition if node.is_transition_applied else None
        if transition is not None and answered is not None and answered.response is not None:
            result.links_followed[(transition.id, answered.response.status_code)] += 1
    seen: set[tuple[str, str, str]] = {(f.check, f.operation, f.title) for f in result.failures}
    for case_id, checks in recorder.checks.items():
        for check in checks:
            result.checks_run.add(check.name)
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            failure = check.failure_info.failure
            failed_case = recorder.cases.get(case_id)
            operation = failed_case.value.operation.label if failed_case is not None else recorder.label
            key = (check.name, operation, failure.title)
            if key in seen:
                continue
            seen.add(key)
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            result.failures.append(
                CheckFailure(
                    check=check.name,
                    operation=operation,
                    title=failure.title,
                    message=failure.message,
                    curl=check.failure_info.code_sample,
                    status_code=response.status_code if response is not None else None,
                )
            )
