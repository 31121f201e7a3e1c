"""`make soak` (tools/soak.py): its verdicts, and one short real run with a kill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import soak
from tools.harness.progress import Advanced, Counted, Event, PhaseStarted
from tools.harness.rawhttp import RawResponse, parse_response
from tools.harness.seeds import DEMO_PROJECT, seed_servers
from tools.soak import Soak, SoakReport


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


CUT_OFF_ANSWER = (
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n"
    b'{"error_code": "CSBS.9'
)


def test_an_answer_shorter_than_its_content_length_is_marked_incomplete() -> None:
    whole = b'{"error_code": "CSBS.9001", "error_msg": "Invalid parameter."}'
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(whole)}\r\n\r\n".encode()
    assert parse_response(head + whole).complete
    cut = parse_response(CUT_OFF_ANSWER)
    assert not cut.complete
    assert cut.status == 403


class _NoStub:
    port = 0


@pytest.mark.parametrize(
    ("generation", "expected_class", "expected_violations"),
    [
        (1, "no answer: stub killed or restarting", {}),  # odd: the stub is being killed
        (2, "no answer while up", {"no answer while up": 1}),  # even: the stub was up
    ],
)
def test_an_answer_cut_off_is_judged_as_no_answer_not_as_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
    generation: int,
    expected_class: str,
    expected_violations: dict[str, int],
) -> None:
    # Regression: a kill between the head and the body of a 403 was reported as an
    # "unclean refusal: body is not JSON" and failed a soak that lost nothing.
    monkeypatch.setattr(soak, "raw_exchange", lambda *args, **kwargs: parse_response(CUT_OFF_ANSWER))
    monkeypatch.setattr(soak.time, "sleep", lambda seconds: None)
    run = Soak(_NoStub(), [], SoakReport(minutes=1, workers=1, clients=1), random_seed=0)  # type: ignore[arg-type]
    run.generation = generation
    run.hostile_request("other-tenant-path", b"", generation)
    assert dict(run.answers) == {expected_class: 1}
    assert dict(run.violations) == expected_violations
    assert run.report.requests_served == 0


class Recording:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


class _RefusingStub:
    """Where the clients find no server (a closed loopback port); kills and restarts are counted."""

    def __init__(self, data_dir: Path) -> None:
        self.port = 9
        self.base_url = "http://127.0.0.1:9"
        self.data_dir = data_dir
        self.kills = 0

    def kill9(self) -> None:
        self.kills += 1

    def start(self) -> None:
        pass


def test_a_soak_publishes_its_phases_counts_and_kills_and_keeps_a_timeline(tmp_path: Path) -> None:
    stub = _RefusingStub(tmp_path)
    progress = Recording()
    report = SoakReport(minutes=0.15, workers=1, clients=2)
    run = Soak(stub, seed_servers(DEMO_PROJECT, 4), report, random_seed=3, progress=progress)  # type: ignore[arg-type]
    run.run(minutes=0.15, kill_every=2)
    phases = [event.name for event in progress.events if isinstance(event, PhaseStarted)]
    assert stub.kills >= 1
    expected = ["traffic"]
    for kill in range(1, stub.kills + 1):
        expected += [f"kill -9 #{kill}, restarting", f"verifying after kill #{kill}", "traffic"]
    assert phases == [*expected, "stopping clients"]
    counts = [event for event in progress.events if isinstance(event, Counted)]
    # A stub that is up yet never answers: every request it was sent while up is a violation.
    violations = sum(run.violations.values())
    assert violations > 0
    assert counts and counts[-1] == Counted(requests=report.requests_sent, errors=violations)
    assert report.requests_sent > 0 and report.requests_served == 0
    done = [event.done for event in progress.events if isinstance(event, Advanced)]
    assert done == sorted(done) and len(done) == len(report.timeline)
    assert len(report.kills_at_s) == report.kills_survived == stub.kills
    last = report.timeline[-1]
    assert last["sent"] == report.requests_sent and last["unanswered"] == report.requests_sent


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
    # Not a terminal: plain progress lines, one of them during a restart.
    progress = [line for line in printed.splitlines() if line.startswith("[soak] ")]
    assert any("phase: kill -9 #1, restarting" in line for line in progress), progress
    assert report["timeline"][-1]["served"] == report["requests_served"]
    assert len(report["kills_at_s"]) == report["kills_survived"]
    chart = report_path.with_suffix(".svg").read_text()
    assert "kill -9 #1" in chart
