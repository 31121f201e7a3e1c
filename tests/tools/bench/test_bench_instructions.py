"""The instruction counter's parts that need no valgrind: the in-process driver, the parsing of
callgrind's totals and the difference of two runs."""

from __future__ import annotations

import json

import pytest

from tools.bench import instructions


def test_the_driver_sends_only_creates_the_stub_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert instructions.run_inner(32) == 0
    statuses = json.loads(capsys.readouterr().out)
    assert statuses == {"200": instructions.WARMUP_GROUPS * instructions.GROUP + 32}


def test_callgrind_totals_are_read_from_its_output() -> None:
    text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 7608201276\n"
    assert instructions.instructions_of(text) == 7_608_201_276
    assert instructions.instructions_of(text.replace("summary", "totals")) == 7_608_201_276
    with pytest.raises(ValueError):
        instructions.instructions_of("events: Ir\n")


def test_one_create_is_the_difference_of_two_runs() -> None:
    assert instructions.per_create((480, 1440), (6_968_808_961, 7_608_201_276)) == pytest.approx(
        666_033.7, abs=1
    )
    with pytest.raises(ValueError):
        instructions.per_create((480, 480), (1, 2))


@pytest.mark.parametrize(
    "argv", [["--counts", "480"], ["--counts", "a,b"], ["--stub-checkout", "/nonexistent"]]
)
def test_bad_arguments_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        instructions.main(argv)
    assert exited.value.code == 2
