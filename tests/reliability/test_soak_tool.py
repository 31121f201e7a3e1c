"""`make soak` (tools/soak.py): its verdicts, and one short real run with a kill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import soak
from tools.rawhttp import RawResponse
from tools.soak import SoakReport


def answer(status: int, body: bytes, content_type: str = "application/json") -> RawResponse:
    return RawResponse(status=status, reason="", headers=(("Content-Type", content_type),), body=body)


def test_refusal_problem_accepts_only_clean_refusals() -> None:
    clean = b'{"error_code": "CSBS.9001", "error_msg": "Invalid parameter."}'
    assert soak.refusal_problem(answer(400, clean)) is None
    assert soak.refusal_problem(answer(200, clean)) == "status 200"
    assert soak.refusal_problem(answer(500, clean)) == "status 500"
    assert soak.refusal_problem(answer(400, clean, "text/plain")) is not None
    assert soak.refusal_problem(answer(400, b"Invalid HTTP request received.")) is not None
    assert soak.refusal_problem(answer(400, b'{"detail": "x"}')) == "body lacks error_code/error_msg"
    leaked = b'{"error_code": "x", "error_msg": "Traceback (most recent call last): /work/server/app.py"}'
    assert "leaks" in (soak.refusal_problem(answer(400, leaked)) or "")


def test_the_report_fails_on_any_loss_violation_or_missing_kill() -> None:
    def report(**changes: object) -> SoakReport:
        base = SoakReport(minutes=1, workers=2, clients=4, kills_survived=1, creates_acknowledged=10)
        for key, value in changes.items():
            setattr(base, key, value)
        return base

    assert report().ok
    assert not report(restores_lost=1).ok
    assert not report(restores_changed=1).ok
    assert not report(restores_stuck=1).ok
    assert not report(violations={"5xx": 1}).ok
    assert not report(kills_survived=0).ok, "a soak without a kill proves nothing about crashes"
    assert not report(creates_acknowledged=0).ok
    assert "result: FAIL" in report(restores_lost=1).render()


def test_the_soak_refuses_unbounded_runs() -> None:
    with pytest.raises(SystemExit):
        soak.main(["--minutes", "0"])
    with pytest.raises(SystemExit):
        soak.main(["--minutes", "61"])


def test_a_short_soak_survives_a_kill_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "soak.json"
    status = soak.main(
        [
            "--minutes", "0.3",
            "--kill-every", "6",
            "--workers", "1",
            "--clients", "6",
            "--servers", "120",
            "--report", str(report_path),
            "--keep-data", str(tmp_path / "run"),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert status == 0, printed
    assert report["kills_survived"] >= 1
    assert report["restores_lost"] == 0
    assert report["creates_acknowledged"] > 0
    assert report["answers_by_class"].get("hostile: 400", 0) > 0
    assert "result: PASS" in printed
