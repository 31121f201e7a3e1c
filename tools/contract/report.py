"""Turn the reports of an `st run` into a summary a provider team can act on.

The JUnit XML holds, per failing request, the failure codes, the response status and the curl
command that reproduces it; the VCR cassette holds which check failed for that request (the test
case ID links the two); the JSON report holds the counts. Each failure is printed with the check
that caught it and its curl command.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemathesis.failure_codes import FAILURE_CLASSES

CASE_HEADER = re.compile(r"^\d+\. Test Case ID: (?P<case_id>\S+)\s*$", re.MULTILINE)
FAILURE_LINE = re.compile(r"^- (?P<code>ST\d{3}) (?P<title>.+)$", re.MULTILINE)
STATUS_LINE = re.compile(r"^\[(?P<status>\d{3})\] ", re.MULTILINE)
CURL_LINE = re.compile(r"^\s*(?P<curl>curl .+)$", re.MULTILINE)
CASSETTE_ID = re.compile(r"^- id: '(?P<case_id>[^']+)'")
CASSETTE_CHECK = re.compile(r"^\s+- name: '(?P<name>[^']+)'")
CASSETTE_STATUS = re.compile(r"^\s+status: '(?P<status>[A-Z]+)'")

# The checks that can report each failure code, for when the cassette is not at hand.
CHECKS_BY_CODE: dict[str, tuple[str, ...]] = {cls.code: cls.checks for cls in FAILURE_CLASSES}


@dataclass
class ReportedFailure:
    """One failing request with everything needed to reproduce it."""

    operation: str
    case_id: str
    codes: list[tuple[str, str]]
    checks: list[str]
    status_code: int | None
    curl: str | None


@dataclass
class RunReport:
    cases: int
    running_time: float
    failures: list[ReportedFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.running_time if self.running_time > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors and self.exit_code == 0

    def failed_checks(self) -> set[str]:
        return {check for failure in self.failures for check in failure.checks}


def failed_checks_by_case(cassette: Path) -> dict[str, list[str]]:
    """Test case ID -> names of the checks that failed on it, read line by line from a VCR cassette.

    A line scan rather than a YAML load: a nightly cassette holds tens of thousands of requests.
    """
    result: dict[str, list[str]] = {}
    case_id: str | None = None
    check: str | None = None
    with cassette.open(encoding="utf-8") as lines:
        for line in lines:
            if match := CASSETTE_ID.match(line):
                case_id, check = match["case_id"], None
            elif case_id is not None and (match := CASSETTE_CHECK.match(line)):
                check = match["name"]
            elif check is not None and (match := CASSETTE_STATUS.match(line)):
                if match["status"] == "FAILURE":
                    result.setdefault(case_id or "", []).append(check)
                check = None
    return result


def parse_junit(junit: Path) -> tuple[list[ReportedFailure], list[str]]:
    """Failing requests and run errors from the JUnit XML of `st run`."""
    failures: list[ReportedFailure] = []
    errors: list[str] = []
    root = ET.parse(junit).getroot()
    for testcase in root.iter("testcase"):
        operation = testcase.get("name", "")
        for element in testcase:
            text = element.text or ""
            if element.tag == "error":
                errors.append(f"{operation}: {(element.get('message') or text).strip()}")
            elif element.tag == "failure":
                failures.extend(_parse_failure_text(operation, text))
    return failures, errors


def _parse_failure_text(operation: str, text: str) -> list[ReportedFailure]:
    headers = list(CASE_HEADER.finditer(text))
    result = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        block = text[header.end() : end]
        codes = [(match["code"], match["title"].strip()) for match in FAILURE_LINE.finditer(block)]
        status = STATUS_LINE.search(block)
        curl = CURL_LINE.search(block)
        result.append(
            ReportedFailure(
                operation=operation,
                case_id=header["case_id"],
                codes=codes,
                checks=[],
                status_code=int(status["status"]) if status else None,
                curl=curl["curl"].strip() if curl else None,
            )
        )
    return result


def read_reports(junit: Path, cassette: Path | None, run_json: Path | None) -> RunReport:
    """Combine the three reports of one run."""
    summary: dict[str, Any] = {}
    if run_json is not None and run_json.exists():
        summary = json.loads(run_json.read_text(encoding="utf-8"))
    failures, errors = parse_junit(junit) if junit.exists() else ([], [f"no JUnit report at {junit}"])
    checks_by_case = failed_checks_by_case(cassette) if cassette is not None and cassette.exists() else {}
    for failure in failures:
        checks = checks_by_case.get(failure.case_id)
        if not checks:
            checks = sorted({name for code, _ in failure.codes for name in CHECKS_BY_CODE.get(code, ())})
        failure.checks = checks
    errors.extend(f"{item['title']} ({item['count']}x)" for item in summary.get("errors", []))
    return RunReport(
        cases=int(summary.get("test_cases", {}).get("generated", 0)),
        running_time=float(summary.get("running_time") or 0.0),
        failures=failures,
        errors=errors,
        exit_code=summary.get("exit_code"),
    )


def render_summary(report: RunReport, *, target: str, report_files: list[Path]) -> str:
    """The text printed at the end of `make contract`."""
    verdict = "PASSED" if report.ok else "FAILED"
    lines = [
        "",
        "=" * 78,
        f"Contract check of {target}: {verdict}",
        f"{report.cases} cases in {report.running_time:.1f}s ({report.cases_per_second:.1f} cases/s), "
        f"{len(report.failures)} failing requests, {len(report.errors)} errors",
    ]
    for number, failure in enumerate(report.failures, start=1):
        checks = ", ".join(failure.checks) or "unknown check"
        codes = "; ".join(f"{code} {title}" for code, title in failure.codes)
        status = f", answered {failure.status_code}" if failure.status_code is not None else ""
        lines.append("")
        lines.append(f"{number}. {failure.operation}: check {checks} failed ({codes}{status})")
        lines.append(f"   reproduce: {failure.curl or '(no request: see the JUnit report)'}")
        for code, _ in failure.codes:
            lines.append(f"   explain:   st explain {code}")
    for error in report.errors:
        lines.append(f"error: {error}")
    if any(failure.curl and "[Filtered]" in failure.curl for failure in report.failures):
        lines.append("")
        lines.append("Secrets are shown as [Filtered]: put your token back into the curl command.")
    lines.append("")
    lines.append("Reports: " + ", ".join(str(path) for path in report_files))
    lines.append("=" * 78)
    return "\n".join(lines)
