"""The stub's JSON encoder: compact UTF-8 from orjson, the standard library's ASCII escapes for
what UTF-8 cannot carry, the same value either way."""

from __future__ import annotations

import json

import pytest

from server import answers, errors, jsonbytes
from server.errors import StubError


@pytest.mark.parametrize(
    "value",
    [
        {"restore": {"id": "a", "volumes": [{"backup_id": "b"}], "power_on": True, "target": None}},
        {"name": "恢复 备份", "emoji": "\U0001f600"},
        [1, -2, 0.5, 1e16, "x"],
    ],
)
def test_compact_utf8_of_the_same_value(value: object) -> None:
    encoded = jsonbytes.dumps(value)
    assert json.loads(encoded) == value
    assert b", " not in encoded and b": " not in encoded
    if isinstance(value, dict) and "name" in value:
        assert "恢复".encode() in encoded  # as itself, not as \u escapes


@pytest.mark.parametrize("value", [{"target": "\ud800"}, {"size": 2**70}, ["a\udfffb", 1]])
def test_what_utf8_or_orjson_cannot_carry_takes_ascii_escapes(value: object) -> None:
    encoded = jsonbytes.dumps(value)
    assert encoded.isascii()
    assert json.loads(encoded) == value
    assert jsonbytes.dumps_text(value) == encoded.decode("ascii")


def test_unencodable_values_still_raise() -> None:
    with pytest.raises(TypeError):
        jsonbytes.dumps({"when": object()})


def test_answers_and_errors_share_the_encoder() -> None:
    assert answers.json_bytes({"restore": {"id": "é"}}) == '{"restore":{"id":"é"}}'.encode()
    error = StubError(400, errors.INVALID_PARAMETER, "bad \ud800 value")
    assert json.loads(errors.encode(error, "rid"))["error_msg"] == "bad \ud800 value"
