"""Check a running provider against the contract with the schemathesis CLI (`st run`).

    python -m tools.contract [--url URL --token TOKEN --project PROJECT_ID] [--strict] [--long]

Without `--url` it starts the stub on a free loopback port, checks it and stops it. Every check
schemathesis has runs, on positive and negative data, with a pinned seed. Reports go to
`reports/<name>/`: JUnit XML, a VCR cassette of all traffic, schemathesis' JSON summary and the
configuration used. The exit code is non-zero when any check failed or the run errored.

While `st` runs, its output is relayed line by line and the phase, the requests sent and the
errors so far (5xx answers, requests without an answer) are shown: a live line on a terminal, a
plain line every few seconds in CI (tools/contract/live.py says why schemathesis' own display
cannot do this here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from server.kit import LAUNCH_DIR, add_version_option, program_name
from tools.contract.config import (
    CONTRACT_SPEC,
    DEFAULT_BUDGET,
    DEFAULT_SEED,
    DEMO_PROJECT_ID,
    DEMO_TOKEN,
    LONG_BUDGET,
    RunSettings,
    build_config,
    contract_settings,
    to_toml,
)
from tools.contract.live import EVENTS_FD_ENV, LiveRun, expected_requests
from tools.contract.report import read_reports, render_summary
from tools.harness.progress import (
    Advanced,
    Noted,
    PhaseStarted,
    Publisher,
    RunFinished,
    RunStarted,
    progress_bus,
)
from tools.harness.stub_process import StubProcess, StubStartError

# The token reaches schemathesis through the environment, so it is not written into the
# configuration file kept under reports/.
TOKEN_ENV = "CSBS_CONTRACT_TOKEN"
CONTRACT_STUB_READY_TIMEOUT_S = 30.0
# Another process may take the chosen port before the stub binds it; try a new one then.
CONTRACT_STUB_START_ATTEMPTS = 3
# The hooks module of CLI runs: the kit's checks and the reports to this process.
CLI_HOOKS = f"{__package__}.cli_hooks"  # tools.contract.cli_hooks, or its installed name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=program_name("python -m tools.contract"),
        description="Check a CSBS create-restore provider against openapi/csbs-restore.yaml.",
    )
    add_version_option(parser, "csbs-contract")
    parser.add_argument("--url", help="base URL of the provider (default: start the stub)")
    parser.add_argument("--token", default=DEMO_TOKEN, help="X-Auth-Token to send (default: the stub's)")
    parser.add_argument(
        "--project", default=DEMO_PROJECT_ID, help="project ID the token may act on (default: the stub's)"
    )
    parser.add_argument(
        "--foreign-project",
        action="append",
        default=None,
        metavar="PROJECT_ID",
        help="a project the token must NOT reach (403 expected; repeatable; default: the stub's second "
        "tenant's project, which on any other provider is simply a project the token does not own)",
    )
    parser.add_argument(
        "--known",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an ID that exists on the provider, mixed into generated requests; KEY is a schemathesis "
        "binding such as body.restore.checkpoint_id (repeatable; default: the document's example IDs)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also report answers that carry fields or values the contract does not document "
        "(checked against the strict profile, generated/csbs-restore.strict.yaml)",
    )
    parser.add_argument("--long", action="store_true", help="nightly budget: 10,000+ cases, reports cases/s")
    parser.add_argument("--max-examples", type=int, help="fuzzing cases per operation (overrides the budget)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generation seed")
    parser.add_argument("--spec", type=Path, default=CONTRACT_SPEC, help="the contract to check against")
    parser.add_argument("--report-dir", type=Path, help="where reports go (default: reports/contract)")
    parser.add_argument(
        "--progress-interval",
        type=float,
        help="seconds between two progress lines off a terminal (default 5, or CSBS_PROGRESS_INTERVAL)",
    )
    return parser.parse_args(argv)


def known_values(pairs: list[str]) -> dict[str, list[str]] | None:
    if not pairs:
        return None
    values: dict[str, list[str]] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key or not value:
            raise SystemExit(f"--known expects KEY=VALUE, got {pair!r}")
        values.setdefault(key, []).append(value)
    return values


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    budget = LONG_BUDGET if args.long else DEFAULT_BUDGET
    if args.max_examples is not None:
        budget = replace(budget, max_examples=args.max_examples)
    settings = contract_settings(
        token=f"${{{TOKEN_ENV}}}",
        project_id=args.project,
        foreign_project_ids=args.foreign_project,
        known_values=known_values(args.known),
        budget=budget,
        seed=args.seed,
        strict=args.strict,
    )
    return settings


def run_st(
    spec: Path, base_url: str, token: str, settings: RunSettings, report_dir: Path, progress: Publisher
) -> int:
    """Run `st run` with the kit's configuration; its output and what it reports go to `progress`."""
    report_dir.mkdir(parents=True, exist_ok=True)
    config_path = report_dir / "schemathesis.toml"
    config_path.write_text(to_toml({**build_config(settings), "hooks": CLI_HOOKS}), encoding="utf-8")
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:
        raise SystemExit("the schemathesis CLI `st` is not installed; run `make venv`")
    command = [
        st,
        "--config-file",
        str(config_path),
        "run",
        str(spec),
        "--url",
        base_url,
        "--report",
        "junit,vcr,json",
        "--report-dir",
        str(report_dir),
        "--report-junit-path",
        str(report_dir / "junit.xml"),
        "--report-vcr-path",
        str(report_dir / "cassette.yaml"),
        "--report-json-path",
        str(report_dir / "run.json"),
        "--no-color",
    ]
    progress.publish(Noted("$ " + " ".join(command)))
    live = LiveRun(progress)
    events_read, events_write = os.pipe()
    environment = {**os.environ, TOKEN_ENV: token, EVENTS_FD_ENV: str(events_write), "PYTHONUNBUFFERED": "1"}
    if sys.stdout.isatty():
        # st writes into a pipe now; let it wrap its lines to the terminal's width, not rich's 80.
        environment["COLUMNS"] = str(shutil.get_terminal_size().columns)
    try:
        process = subprocess.Popen(
            command,
            cwd=LAUNCH_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=(events_write,),
        )
    finally:
        os.close(events_write)  # st holds the only write end: the reader ends when st does
    reader = threading.Thread(target=_read_events, args=(events_read, live), name="st-events", daemon=True)
    reader.start()
    assert process.stdout is not None
    try:
        with process.stdout:
            for raw in process.stdout:
                progress.publish(Noted(raw.decode("utf-8", errors="replace").rstrip("\n")))
        exit_code = process.wait()
    finally:
        if process.poll() is None:  # interrupted here: st must not outlive the run
            process.kill()
            process.wait()
    reader.join(timeout=30)
    return exit_code


def _read_events(fd: int, live: LiveRun) -> None:
    with os.fdopen(fd, "rb") as lines:
        for line in lines:
            live.feed(line)


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from_args(args)
    report_dir: Path = args.report_dir or (LAUNCH_DIR or Path()) / "reports" / (
        "fuzz-long" if args.long else "contract"
    )
    for stale in ("junit.xml", "cassette.yaml", "run.json"):
        (report_dir / stale).unlink(missing_ok=True)

    with progress_bus(interval=args.progress_interval) as progress:
        title = "fuzz-long" if args.long else "contract"
        progress.publish(RunStarted(title, total=expected_requests(settings.budget.max_examples)))
        progress.publish(Advanced(done=0))
        if args.url:
            target = args.url
            exit_code = run_st(args.spec, args.url, args.token, settings, report_dir, progress)
        else:
            progress.publish(PhaseStarted("starting the stub"))
            try:
                with (
                    tempfile.TemporaryDirectory(prefix="csbs-contract-") as data_dir,
                    StubProcess(
                        Path(data_dir),
                        log_path=report_dir / "stub.log",
                        ready_timeout=CONTRACT_STUB_READY_TIMEOUT_S,
                        start_attempts=CONTRACT_STUB_START_ATTEMPTS,
                    ) as stub,
                ):
                    target = f"the stub at {stub.base_url}"
                    exit_code = run_st(args.spec, stub.base_url, args.token, settings, report_dir, progress)
            except StubStartError as exc:
                progress.publish(RunFinished())
                print(f"contract: {exc}", file=sys.stderr)
                return 2
        progress.publish(RunFinished())

    files = [report_dir / name for name in ("junit.xml", "cassette.yaml", "run.json", "schemathesis.toml")]
    report = read_reports(files[0], files[1], files[2])
    shown = [_relative(path) for path in files if path.exists()]
    print(render_summary(report, target=target, report_files=shown))
    if args.long:
        print(f"fuzz-long: {report.cases} cases, {report.cases_per_second:.1f} cases per second")
    return 0 if report.ok and exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
