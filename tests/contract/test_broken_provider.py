"""The contract check catches a provider that breaks the contract.

Each deliberately broken variant of a small provider (tests/contract/broken_provider.py) must be
reported by the check that names its defect, and the correct variant must pass: otherwise a green
contract run would prove nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.contract.broken_provider import Defect, create_provider
from tools.contract.config import CONTRACT_SPEC, Budget, contract_settings
from tools.contract.inprocess import RunResult, load_asgi_schema, run_schema
from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN
from tools.harness.stub_process import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
# Small: every defect is reachable from the examples and coverage phases alone.
BUDGET = Budget(max_examples=30)


@cache
def check_provider(defect: Defect | None, strict: bool = False) -> RunResult:
    """One schemathesis run per variant, shared by the tests that look at it."""
    settings = contract_settings(budget=BUDGET, strict=strict)
    schema = load_asgi_schema(CONTRACT_SPEC, create_provider(defect), settings)
    return run_schema(schema)


def test_correct_provider_passes_every_check() -> None:
    result = check_provider(None)

    assert result.errors == []
    assert result.failures == [], result.summary()
    assert result.cases > 100
    # The run reached the success path, the validation errors and the token check.
    assert {200, 400, 401} <= set(result.statuses)


@pytest.mark.parametrize(
    ("defect", "expected_check"),
    [
        (Defect.MISSING_REQUIRED_FIELD, "response_schema_conformance"),
        (Defect.SERVER_ERROR_ON_INPUT, "not_a_server_error"),
        (Defect.IGNORED_TOKEN, "ignored_auth"),
        (Defect.REFUSES_VALID_INPUT, "valid_input_not_refused_as_invalid"),
    ],
    ids=lambda value: value.value if isinstance(value, Defect) else value,
)
def test_broken_provider_is_reported_by_the_matching_check(defect: Defect, expected_check: str) -> None:
    result = check_provider(defect)

    assert expected_check in result.failed_checks, result.summary()
    reported = next(failure for failure in result.failures if failure.check == expected_check)
    assert reported.operation == "POST /v1/{project_id}/restores"
    assert reported.curl.startswith("curl -X POST ")


def test_an_undocumented_field_passes_the_tolerant_contract() -> None:
    result = check_provider(Defect.UNDOCUMENTED_FIELD)

    assert result.failures == [], result.summary()
    assert 200 in set(result.statuses)


def test_strict_reports_an_undocumented_field_as_its_own_finding() -> None:
    result = check_provider(Defect.UNDOCUMENTED_FIELD, strict=True)

    assert result.failed_checks == {"undocumented_response_content"}, result.summary()
    messages = [f.message for f in result.failures]
    assert any("/restore" in message and "progress_percent" in message for message in messages), messages


def test_strict_finds_nothing_on_the_correct_provider() -> None:
    result = check_provider(None, strict=True)

    assert result.failures == [], result.summary()


def test_missing_field_failure_names_the_field() -> None:
    result = check_provider(Defect.MISSING_REQUIRED_FIELD)

    messages = [f.message for f in result.failures if f.check == "response_schema_conformance"]
    assert any('"status" is a required property' in message for message in messages), result.summary()


def test_server_error_failure_reproduces_with_the_offending_input() -> None:
    result = check_provider(Defect.SERVER_ERROR_ON_INPUT)

    reported = next(f for f in result.failures if f.check == "not_a_server_error")
    assert reported.status_code == 500
    assert '"power_on": false' in reported.curl


# --- the `make contract` command line against a provider served over HTTP -----------------------


@pytest.fixture
def serve_provider() -> Iterator[object]:
    """Start a provider variant with uvicorn on a free port; stop it by PID afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(defect: Defect | None) -> str:
        port = free_port()
        environment = {**os.environ, "BROKEN_PROVIDER_DEFECT": defect.value if defect else ""}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.contract.broken_provider:create_provider_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=environment,
        )
        processes.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert process.poll() is None, "the provider exited early"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return f"http://127.0.0.1:{port}"
            time.sleep(0.1)
        raise AssertionError("the provider did not start listening")

    yield start
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def run_contract_cli(base_url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.contract",
            "--url",
            base_url,
            "--token",
            DEMO_TOKEN,
            "--project",
            DEMO_PROJECT,
            "--max-examples",
            "20",
            "--report-dir",
            str(report_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_contract_cli_fails_on_broken_provider_with_check_name_and_curl(
    serve_provider: object, tmp_path: Path
) -> None:
    base_url = serve_provider(Defect.SERVER_ERROR_ON_INPUT)  # type: ignore[operator]

    completed = run_contract_cli(base_url, tmp_path)

    assert completed.returncode == 1, completed.stdout + completed.stderr
    summary = completed.stdout.split("Contract check of", 1)[1]
    assert f"{base_url}: FAILED" in summary
    assert "check not_a_server_error failed (ST101 Server error, answered 500)" in summary
    assert "reproduce: curl -X POST " in summary
    assert f"{base_url}/v1/{DEMO_PROJECT}/restores" in summary
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8").count("<failure") >= 1
    cassette = (tmp_path / "cassette.yaml").read_text(encoding="utf-8")
    assert "name: 'not_a_server_error'\n      status: 'FAILURE'" in cassette
    # The token stays out of the files kept under reports/.
    assert DEMO_TOKEN not in (tmp_path / "schemathesis.toml").read_text(encoding="utf-8")
    assert DEMO_TOKEN not in cassette


def test_contract_cli_passes_correct_provider(serve_provider: object, tmp_path: Path) -> None:
    base_url = serve_provider(None)  # type: ignore[operator]

    completed = run_contract_cli(base_url, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"Contract check of {base_url}: PASSED" in completed.stdout
    assert "0 failing requests, 0 errors" in completed.stdout
