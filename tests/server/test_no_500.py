"""Generated input never gets a 500 or an answer outside the contract (in process, pinned seed)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stub_helpers import InProcessStub, assert_contract_answer, document_request

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    SCALARS | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELD_PATHS = [
    ("checkpoint_id",),
    ("provider_id",),
    ("restore_target",),
    ("parameters",),
    ("parameters", "checkpoint_item_id"),
    ("parameters", "power_on"),
    ("parameters", "targets"),
    ("parameters", "targets", "server_id"),
    ("parameters", "targets", "volumes"),
]
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def replace_at(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = body["restore"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@FUZZ
@given(path=st.sampled_from(FIELD_PATHS), value=JSON_VALUES)
def test_any_value_in_any_field(stub: InProcessStub, path: tuple[str, ...], value: Any) -> None:
    stub.run(stub.app.store.replace_seed(stub.app.runtime.startup_seed, clear_state=True))
    answer = stub.create(replace_at(document_request(), path, value))
    assert_contract_answer(answer)
    assert answer.status_code in (200, 400, 404), answer.text


@FUZZ
@given(body=JSON_VALUES)
def test_any_json_document(stub: InProcessStub, body: Any) -> None:
    answer = stub.create(content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert_contract_answer(answer)
    assert answer.status_code == 400


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", "", "a/b; x"]),
)
def test_any_bytes(stub: InProcessStub, raw: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = stub.create(content=raw, headers=headers)
    assert_contract_answer(answer)
    assert answer.status_code == 400


@FUZZ
@given(prefer=st.text(max_size=40).filter(lambda t: t.isascii() and t.isprintable()))
def test_any_prefer_header(stub: InProcessStub, prefer: str) -> None:
    answer = stub.create(document_request(), headers={"Prefer": prefer})
    assert_contract_answer(answer)
