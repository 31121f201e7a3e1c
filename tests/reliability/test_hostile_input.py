"""Every hostile-input case over a real socket: a clean 4xx in the service's format, then more service.

The stub runs as a subprocess with one worker (so a request that kills the worker kills the
server), and after each case a valid create on a fresh server must still get 200.
"""

from __future__ import annotations

import json
import time

import pytest

from .corpus import HostileCase, all_cases
from .harness import ProbedStub, assert_error_body, assert_no_leak

CASES = all_cases()
MAX_ERROR_BODY_BYTES = 16 * 1024
"""Error messages quote input; a 1 MB input must not come back as a 1 MB answer."""
MAX_SECONDS_PER_CASE = 5.0
"""A refusal must be cheap: a slow one blocks the worker's event loop for every other client."""


def test_corpus_covers_every_kind_of_hostile_input() -> None:
    kinds = {case.name.split("/")[0] for case in CASES}
    assert kinds >= {
        "malformed-json",
        "truncated-json",
        "non-utf8",
        "bom",
        "control-chars",
        "huge-string",
        "huge-body",
        "deep-nesting",
        "big-array",
        "wrong-type",
        "number-for-string",
        "duplicate-keys",
        "content-type",
        "chunked",
        "method",
        "upgrade",
        "path",
        "header",
    }
    print(f"\nhostile-input corpus: {len(CASES)} cases in {len(kinds)} kinds")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_gets_a_clean_refusal(corpus_stub: ProbedStub, case: HostileCase) -> None:
    started = time.monotonic()
    response = corpus_stub.raw(case)
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS_PER_CASE, f"the answer took {elapsed:.1f}s"
    if response is None:
        assert case.may_get_no_answer, "the stub closed the connection without an answer"
    else:
        assert response.status < 500, (response.status, response.body[:500])
        assert response.status in case.statuses, (response.status, response.body[:500])
        assert_no_leak(response)
        if response.status == 200:
            # Only cases that may succeed get here (200 is in their statuses).
            assert case.server is not None
            restore = response.json()["restore"]  # type: ignore[index]
            assert restore["status"] == "in_progress"
            assert restore["parameters"]["targets"]["server_id"] == case.server.server_id
            if case.check is not None:
                case.check(restore)
        elif case.method != "HEAD":
            assert len(response.body) <= MAX_ERROR_BODY_BYTES, len(response.body)
            body = assert_error_body(response, case.error_code)
            if case.names_field is not None:
                assert case.names_field in body["error_msg"], body
    corpus_stub.assert_still_serving()


def test_probe_restores_are_distinct(corpus_stub: ProbedStub) -> None:
    """The probes themselves: every acknowledged create got its own ID (the harness can fail)."""
    first = corpus_stub.assert_still_serving()
    second = corpus_stub.assert_still_serving()
    assert first["restore"]["id"] != second["restore"]["id"]
    assert json.dumps(first) != json.dumps(second)
