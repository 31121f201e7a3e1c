"""Every bad input gets a clear error in the service's format, never a 500 or problem+json."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from stub_helpers import (
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    OTHER_PROJECT,
    OTHER_TOKEN,
    RESTORES_PATH,
    StubApi,
    assert_contract_answer,
    assert_error,
    document_request,
)

JSON = {"Content-Type": "application/json"}


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "not-a-token", ADMIN_TOKEN])
def test_missing_or_unknown_token_is_the_gateways_401(api: StubApi, token: str | None) -> None:
    answer = api.create(document_request(), token=token)
    body = assert_error(answer, 401, "APIGW.0301")
    assert body["error_msg"].startswith("Incorrect IAM authentication information")
    assert body["request_id"] == answer.headers["x-request-id"]


def test_401_comes_before_body_validation(api: StubApi) -> None:
    assert_error(api.create(content=b"\xff", headers=JSON, token=None), 401, "APIGW.0301")


def test_token_on_another_projects_path_is_403_csbs_9009(api: StubApi) -> None:
    body = assert_error(api.create(document_request(), token=OTHER_TOKEN), 403, "CSBS.9009")
    assert DEMO_PROJECT in body["error_msg"]
    assert_error(api.create(document_request(), project=OTHER_PROJECT), 403, "CSBS.9009")


def test_malformed_project_id_is_400_naming_it(api: StubApi) -> None:
    body = assert_error(
        api.create(document_request(), project="B942CC8342734D15BCB246BABB1953CF"), 400, "CSBS.9001"
    )
    assert "project_id" in body["error_msg"]


# --- schema validation -------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], Any]


def _volumes(r: dict[str, Any]) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = r["parameters"]["targets"]["volumes"]
    return volumes


INVALID_FIELDS: list[tuple[str, Mutation, str]] = [
    (
        "bad uuid",
        lambda r: _volumes(r)[0].update(backup_id="x"),
        "restore.parameters.targets.volumes[0].backup_id",
    ),
    ("missing", lambda r: r.pop("checkpoint_id"), "restore.checkpoint_id"),
    ("missing nested", lambda r: r["parameters"].pop("targets"), "restore.parameters.targets"),
    (
        "provider",
        lambda r: r.update(provider_id="fc4d5750-22e7-4798-8a46-f48f62c4c1db"),
        "restore.provider_id",
    ),
    ("type", lambda r: r["parameters"].update(power_on="yes"), "restore.parameters.power_on"),
    ("unknown field", lambda r: r.update(color="blue"), "restore.color"),
    ("unknown nested", lambda r: _volumes(r)[0].update(size=1), "restore.parameters.targets.volumes[0].size"),
    ("response-only field", lambda r: r["parameters"]["targets"].update(resource_type="x"), "resource_type"),
    ("too long", lambda r: r.update(restore_target="x" * 256), "restore.restore_target"),
    ("newline", lambda r: r.update(checkpoint_id=r["checkpoint_id"] + "\n"), "restore.checkpoint_id"),
    ("null", lambda r: r.update(checkpoint_id=None), "restore.checkpoint_id"),
    ("too many", lambda r: r["parameters"]["targets"].update(volumes=[_volumes(r)[0]] * 257), "volumes"),
]


@pytest.mark.parametrize(
    ("mutate", "field"), [(m, f) for _, m, f in INVALID_FIELDS], ids=[i for i, _, _ in INVALID_FIELDS]
)
def test_invalid_field_is_400_csbs_9001_naming_the_field(api: StubApi, mutate: Mutation, field: str) -> None:
    body = document_request()
    mutate(body["restore"])
    answer = api.create(body)
    assert_contract_answer(answer)
    error = assert_error(answer, 400, "CSBS.9001")
    assert field in error["error_msg"], error
    assert error["error_msg"].startswith("Invalid parameter: ")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"restore": None},
        {"restore": {}},
        [],
        "restore",
        42,
        {"restore": document_request()["restore"], "x": 1},
    ],
    ids=["empty object", "null", "empty restore", "array", "string", "number", "extra top-level"],
)
def test_wrong_shapes_are_400(api: StubApi, body: Any) -> None:
    assert_error(api.create(content=json.dumps(body).encode(), headers=JSON), 400, "CSBS.9001")


def test_error_messages_do_not_echo_huge_values(api: StubApi) -> None:
    body = document_request()
    body["restore"]["x" * 5000] = 1
    error = assert_error(api.create(body), 400, "CSBS.9001")
    assert len(error["error_msg"]) <= 400


# --- bytes, encodings and content types --------------------------------------------------

RAW_BODIES: list[tuple[str, bytes, dict[str, str], str]] = [
    ("non-utf8", b'{"restore": "\xff\xfe"}', JSON, "UTF-8"),
    ("utf16", json.dumps(document_request()).encode("utf-16"), JSON, "UTF-8"),
    ("malformed json", b'{"restore": ', JSON, "not valid JSON"),
    ("trailing garbage", json.dumps(document_request()).encode() + b"}", JSON, "not valid JSON"),
    ("NaN", b'{"restore": NaN}', JSON, "not valid JSON"),
    ("empty body", b"", JSON, "empty"),
    ("whitespace body", b"  \n", JSON, "empty"),
    ("no content type", json.dumps(document_request()).encode(), {}, "Content-Type"),
    ("text/plain", json.dumps(document_request()).encode(), {"Content-Type": "text/plain"}, "Content-Type"),
    ("form", b"restore=1", {"Content-Type": "application/x-www-form-urlencoded"}, "Content-Type"),
    (
        "two types",
        json.dumps(document_request()).encode(),
        {"Content-Type": "application/json, text/plain"},
        "one",
    ),
    ("latin-1 charset", b'{"restore": {}}', {"Content-Type": "application/json; charset=latin-1"}, "charset"),
    ("deep nesting", b'{"restore": ' + b"[" * 5000 + b"]" * 5000 + b"}", JSON, "JSON"),
]


@pytest.mark.parametrize(
    ("content", "headers", "hint"),
    [(c, h, t) for _, c, h, t in RAW_BODIES],
    ids=[i for i, _, _, _ in RAW_BODIES],
)
def test_unreadable_bodies_are_400_never_500(
    api: StubApi, content: bytes, headers: dict[str, str], hint: str
) -> None:
    answer = api.create(content=content, headers=headers)
    assert_contract_answer(answer)
    error = assert_error(answer, 400, "CSBS.9001")
    assert hint.lower() in error["error_msg"].lower(), error


def test_charset_utf8_is_accepted(api: StubApi) -> None:
    answer = api.create(
        content=json.dumps(document_request()).encode(),
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert answer.status_code == 200, answer.text


def test_chunked_body_without_content_length_is_accepted(api: StubApi) -> None:
    def chunks() -> Any:
        data = json.dumps(document_request()).encode()
        yield data[:50]
        yield data[50:]

    if type(api).__name__ == "InProcessStub":
        # httpx's ASGI transport needs an async iterator for streamed bodies.
        async def achunks() -> Any:
            for chunk in chunks():
                yield chunk

        answer = api.create(content=achunks(), headers=JSON)
    else:
        answer = api.create(content=chunks(), headers=JSON)
    assert answer.status_code == 200, answer.text


def test_body_over_the_limit_is_413(api: StubApi) -> None:
    body = document_request()
    body["restore"]["restore_target"] = "x" * (1 << 20)
    error = assert_error(api.create(body), 413, "CSBS.9001")
    assert "1048576" in error["error_msg"]


def test_extra_query_parameter_is_400(api: StubApi) -> None:
    error = assert_error(
        api.request(
            "POST",
            RESTORES_PATH + "?debug=1",
            json=document_request(),
            headers={"X-Auth-Token": DEMO_TOKEN},
        ),
        400,
        "CSBS.9001",
    )
    assert "debug" in error["error_msg"]


# --- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/", "/v2/restores", RESTORES_PATH + "/", RESTORES_PATH + "/x", "/v1/x/y/z"]
)
def test_unknown_path_is_404_in_the_error_format(api: StubApi, path: str) -> None:
    answer = api.request("POST", path, json={}, headers={"X-Auth-Token": DEMO_TOKEN})
    body = assert_error(answer, 404, "APIGW.0101")
    assert body["request_id"] == answer.headers["x-request-id"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_other_methods_are_405_with_allow(api: StubApi, method: str) -> None:
    answer = api.request(method, RESTORES_PATH, headers={"X-Auth-Token": DEMO_TOKEN})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.headers.get("x-request-id")
    if method != "HEAD":
        assert_error(answer, 405, "APIGW.0101")


def test_every_answer_has_its_own_request_id(api: StubApi) -> None:
    answers = [
        api.create(document_request()),
        api.create(document_request(), token=None),
        api.request("GET", "/nowhere"),
        api.request("GET", "/ui/"),
        api.control("GET", "/health"),
        api.control("GET", "/restores", token=None),
    ]
    ids = [a.headers.get("x-request-id") for a in answers]
    assert all(ids), ids
    assert len(set(ids)) == len(ids)


def test_lone_surrogates_in_json_never_cause_a_500(api: StubApi) -> None:
    """JSON may escape lone surrogates ("\\ud800"), which Python holds but UTF-8 cannot encode."""
    unknown_field = api.create(content=b'{"restore": {"\\ud800": 1}}', headers=JSON)
    error = assert_error(unknown_field, 400, "CSBS.9001")
    assert "\ud800" in error["error_msg"]
    body = json.dumps(document_request()).replace(
        '"restore": {', '"restore": {"restore_target": "\\ud800x", ', 1
    )
    echoed = api.create(content=body.encode(), headers=JSON)
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["restore"]["restore_target"] == "\ud800x"
    seed = b'{"admin_tokens": ["\\ud800"], "projects": []}'
    assert_error(api.control("PUT", "/seed", content=seed, headers=JSON), 400, "STUB.0400", control=True)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("[" * 64 + "]" * 64, True),  # exactly the limit: no walk needed, 64 brackets
        ("[" * 65 + "]" * 65, False),
        ('{"a": ' * 65 + "1" + "}" * 65, False),
        ('["' + "[{" * 200 + '"]', True),  # brackets inside a string are not nesting
        ('{"a": "' + "[" * 100 + '", "b": ' + "[" * 65 + "]" * 65 + "}", False),
    ],
)
def test_the_nesting_limit_is_exact_whatever_the_brackets_in_strings(text: str, accepted: bool) -> None:
    from server.bodies import decode_json
    from server.errors import StubError

    if accepted:
        assert decode_json(text.encode(), "/v1/x/restores") is not None
    else:
        with pytest.raises(StubError, match="nests deeper than 64"):
            decode_json(text.encode(), "/v1/x/restores")
