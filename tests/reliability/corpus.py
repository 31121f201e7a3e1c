"""The hostile-input corpus: raw HTTP requests a shared test environment gets from broken clients.

Each case is the exact bytes sent over the socket and what the stub may answer. By default a
case must get a 4xx whose body is the service's error format `{"error_code", "error_msg"}`.
Built deterministically (no randomness), so a failure names a case that can be replayed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from server.openapi import load_document
from server.settings import CONTRACT_SPEC
from tools.harness.rawhttp import build_request
from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN, OTHER_PROJECT, SeedServer, seed_servers

RESTORES_PATH = f"/v1/{DEMO_PROJECT}/restores"
JSON_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Auth-Token", DEMO_TOKEN),
    ("Content-Type", "application/json"),
)
FOUR_XX = frozenset(range(400, 500))
INVALID_PARAMETER = "CSBS.9001"
TEN_MB = 10 * 1024 * 1024

CORPUS_SERVERS = 600
"""Servers per project in the corpus stub's seed (tools.harness.seeds.write_seed)."""
RESERVED_SERVERS = 40
"""The last servers of the seed belong to cases that may legitimately succeed; probes use the rest."""
_reserved = iter(seed_servers(DEMO_PROJECT, CORPUS_SERVERS)[-RESERVED_SERVERS:])

# The document's example request, read from the contract so the two cannot drift apart, with a
# restore_target added. The corpus server's seed need not hold its IDs: every case that uses them
# must be refused before a backup is looked up.
_DOCUMENT_EXAMPLE = load_document(CONTRACT_SPEC)["components"]["examples"]["DocumentRequest"]["value"]
DOCUMENT_BODY: dict[str, Any] = {
    "restore": {**_DOCUMENT_EXAMPLE["restore"], "restore_target": "http://192.168.1.2:35357/v2.0/"}
}
DOCUMENT_BYTES = json.dumps(DOCUMENT_BODY).encode()


@dataclass(frozen=True)
class HostileCase:
    """One raw request and the answers allowed for it."""

    name: str
    request: bytes
    statuses: frozenset[int] = FOUR_XX
    error_code: str | None = None
    """When set, the error body's `error_code` must be exactly this."""
    names_field: str | None = None
    """When set, `error_msg` must mention this field name (issue 3: the message names the field)."""
    method: str = "POST"
    half_close: bool = False
    """Shut the write side after sending (a client that gives up mid-request)."""
    may_get_no_answer: bool = False
    """The server may close without answering (the request never completed)."""
    server: SeedServer | None = None
    """For a case that may succeed (200 in `statuses`): the server its request restores."""
    check: Callable[[dict[str, Any]], None] | None = field(default=None, compare=False)
    """Extra check of a 200 answer's `restore` object (only for cases that may succeed)."""

    @property
    def id(self) -> str:
        return self.name


def post(
    body: bytes, *, headers: tuple[tuple[str, str], ...] = JSON_HEADERS, path: str = RESTORES_PATH
) -> bytes:
    return build_request("POST", path, body=body, headers=headers)


def with_value(path: tuple[str | int, ...], value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the document body with the field at `path` replaced by `value`."""
    body = copy.deepcopy(base if base is not None else DOCUMENT_BODY)
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()


def chunked(body: bytes, chunk_size: int = 1 << 16) -> bytes:
    pieces = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    out = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces)
    return out + b"0\r\n\r\n"


def may_succeed(name: str, restore_target: str) -> HostileCase:
    """An odd but valid-JSON value in the free-text field: refused, or stored and echoed exactly."""
    server = next(_reserved)

    def echoed_exactly(restore: dict[str, Any]) -> None:
        assert restore["restore_target"] == restore_target, restore["restore_target"]

    return HostileCase(
        name,
        post(dumps(server.create_body(restore_target=restore_target))),
        statuses=frozenset({200, 400}),
        server=server,
        check=echoed_exactly,
    )


def malformed_json() -> Iterator[HostileCase]:
    texts = {
        "open-brace": b"{",
        "close-brace": b"}",
        "missing-value": b'{"restore": }',
        "single-quotes": b"{'restore': {}}",
        "unquoted-key": b"{restore: {}}",
        "trailing-comma": b'{"restore": {},}',
        "trailing-garbage": DOCUMENT_BYTES + b"x",
        "two-documents": DOCUMENT_BYTES + DOCUMENT_BYTES,
        "comment": b'/* note */ {"restore": {}}',
        "nan-literal": b'{"restore": NaN}',
        "infinity-literal": b'{"restore": {"checkpoint_id": -Infinity}}',
        "bad-escape": b'{"restore": {"checkpoint_id": "\\x41"}}',
        "short-unicode-escape": b'{"restore": {"checkpoint_id": "\\u12"}}',
        "bare-word": b"nul",
        "unterminated-string": b'{"restore": "abc',
        "lone-bracket": b"[",
        "empty": b"",
        "whitespace-only": b" \r\n\t ",
        "json-null": b"null",
        "json-array": b"[]",
        "json-number": b"42",
        "json-string": b'"restore"',
        "json-true": b"true",
        "empty-object": b"{}",
        "restore-null": b'{"restore": null}',
        "restore-empty": b'{"restore": {}}',
    }
    for name, text in texts.items():
        yield HostileCase(f"malformed-json/{name}", post(text), error_code=INVALID_PARAMETER)
    # Truncated copies of a valid body, at several points.
    for cut in (1, len(DOCUMENT_BYTES) // 4, len(DOCUMENT_BYTES) // 2, len(DOCUMENT_BYTES) - 1):
        yield HostileCase(
            f"truncated-json/{cut}-bytes", post(DOCUMENT_BYTES[:cut]), error_code=INVALID_PARAMETER
        )
    # Content-Length promises more than is sent, then the client stops: no answer is owed.
    head = build_request(
        "POST",
        RESTORES_PATH,
        headers=(*JSON_HEADERS, ("Content-Length", str(len(DOCUMENT_BYTES)))),
        content_length=False,
    )
    yield HostileCase(
        "truncated-json/client-gives-up-mid-body",
        head + DOCUMENT_BYTES[:40],
        half_close=True,
        may_get_no_answer=True,
    )


def non_utf8() -> Iterator[HostileCase]:
    checkpoint = b"a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"
    bodies = {
        "invalid-bytes": b"\xff\xfe\xfd",
        "latin1-in-string": DOCUMENT_BYTES.replace(checkpoint, b"a2b9fb53-2770-4fcd-9bad-6cadd56e6c0\xe9"),
        "latin1-in-key": DOCUMENT_BYTES.replace(b'"restore"', b'"r\xe9store"'),
        "overlong-slash": DOCUMENT_BYTES.replace(b"http://", b"http:\xc0\xaf/"),
        "encoded-surrogate": DOCUMENT_BYTES.replace(b"http://", b"\xed\xa0\x80http://"),
        "truncated-sequence": DOCUMENT_BYTES.replace(b"http://", b"\xe6\x81http://"),
        # RFC 8259: JSON exchanged between systems must be UTF-8.
        "utf16-le-document": json.dumps(DOCUMENT_BODY).encode("utf-16-le"),
        "utf16-with-bom": json.dumps(DOCUMENT_BODY).encode("utf-16"),
        "utf32-document": json.dumps(DOCUMENT_BODY).encode("utf-32"),
    }
    for name, body in bodies.items():
        yield HostileCase(f"non-utf8/{name}", post(body), error_code=INVALID_PARAMETER)
    # A lone surrogate written as a JSON escape: valid JSON syntax, not valid Unicode.
    yield HostileCase(
        "non-utf8/escaped-lone-surrogate-in-id",
        post(dumps(with_value(("restore", "checkpoint_id"), "\ud800" * 36))),
        error_code=INVALID_PARAMETER,
    )
    # In the free-text field a lone surrogate passes the schema; storing and echoing it is fine.
    yield may_succeed("non-utf8/escaped-lone-surrogate-in-free-text", "target-\udfff")
    yield may_succeed("non-utf8/escaped-surrogate-pair-in-free-text", "target-\U0001f600")


def byte_order_mark() -> Iterator[HostileCase]:
    bom = b"\xef\xbb\xbf"
    # RFC 8259 §8.1: senders must not add a BOM; a parser may ignore it. Either way the answer is
    # a 4xx here, because the rest of the body is itself invalid or refused before any lookup.
    yield HostileCase("bom/before-empty-object", post(bom + b"{}"), error_code=INVALID_PARAMETER)
    yield HostileCase("bom/only", post(bom), error_code=INVALID_PARAMETER)
    yield HostileCase("bom/doubled", post(bom + bom + DOCUMENT_BYTES), error_code=INVALID_PARAMETER)
    yield HostileCase(
        "bom/inside-id",
        post(dumps(with_value(("restore", "checkpoint_id"), "\ufeffa2b9fb53-2770-4fcd-9bad-6cadd56e6c0"))),
        error_code=INVALID_PARAMETER,
    )


def control_characters() -> Iterator[HostileCase]:
    checkpoint = DOCUMENT_BODY["restore"]["checkpoint_id"]
    for name, value in {
        "escaped-nul-in-id": checkpoint[:-1] + "\u0000",
        "escaped-nul-prefix": "\u0000" + checkpoint[1:],
        "newline-after-id": checkpoint + "\n",  # Python's `$` matches before a final newline
        "tab-in-id": checkpoint[:8] + "\t" + checkpoint[9:],
        "escape-char-in-id": checkpoint[:-1] + "\u001b",
        "delete-char-in-id": checkpoint[:-1] + "\u007f",
    }.items():
        yield HostileCase(
            f"control-chars/{name}",
            post(dumps(with_value(("restore", "checkpoint_id"), value))),
            error_code=INVALID_PARAMETER,
            names_field="checkpoint_id",
        )
    yield HostileCase(
        "control-chars/newline-after-volume-id",
        post(
            dumps(
                with_value(
                    ("restore", "parameters", "targets", "volumes", 0, "volume_id"),
                    "ee27f809-6fb5-40ae-ac46-c932bb4ee8fe\n",
                )
            )
        ),
        error_code=INVALID_PARAMETER,
        names_field="volume_id",
    )
    # Raw (unescaped) control characters inside a JSON string are not JSON.
    for name, raw in {"raw-nul": b"\x00", "raw-newline": b"\n", "raw-bell": b"\x07"}.items():
        body = DOCUMENT_BYTES.replace(b"http://", b"http:" + raw + b"//")
        yield HostileCase(f"control-chars/{name}-in-string", post(body), error_code=INVALID_PARAMETER)
    yield HostileCase(
        "control-chars/nul-in-key",
        post(dumps(with_value(("restore", "power\u0000_on"), True))),
        error_code=INVALID_PARAMETER,
    )
    yield HostileCase("control-chars/raw-nul-body", post(b"\x00" * 64), error_code=INVALID_PARAMETER)
    for name, text in {"nul": "a\u0000b", "escape": "\u001b[31mred", "newlines": "a\r\nb\n"}.items():
        yield may_succeed(f"control-chars/escaped-{name}-in-free-text", text)


def huge_strings() -> Iterator[HostileCase]:
    megabyte = 1_000_000
    cases = {
        "checkpoint-id": with_value(("restore", "checkpoint_id"), "a" * megabyte),
        "restore-target": with_value(("restore", "restore_target"), "t" * megabyte),
        "server-id": with_value(("restore", "parameters", "targets", "server_id"), "f" * megabyte),
        "unknown-field-value": with_value(("restore", "comment"), "c" * megabyte),
        "unknown-field-name": with_value(("restore", "k" * megabyte), 1),
        "provider-id": with_value(("restore", "provider_id"), "0" * megabyte),
    }
    for name, body in cases.items():
        # 400 (field too long) or 413 (over a body limit below 1 MB): both are refusals.
        yield HostileCase(
            f"huge-string/{name}",
            post(dumps(body)),
            statuses=frozenset({400, 413}),
            error_code=INVALID_PARAMETER,
        )


def huge_bodies() -> Iterator[HostileCase]:
    padding = b" " * TEN_MB
    ten_mb_json = b'{"restore": {"restore_target": "' + b"x" * TEN_MB + b'"}}'
    yield HostileCase(
        "huge-body/10mb-content-length",
        post(ten_mb_json),
        statuses=frozenset({413}),
        error_code=INVALID_PARAMETER,
    )
    yield HostileCase(
        "huge-body/10mb-valid-json-whitespace",
        post(padding + DOCUMENT_BYTES),
        statuses=frozenset({413}),
        error_code=INVALID_PARAMETER,
    )
    chunked_headers = (*JSON_HEADERS, ("Transfer-Encoding", "chunked"))
    yield HostileCase(
        "huge-body/10mb-chunked-no-length",
        build_request("POST", RESTORES_PATH, headers=chunked_headers, content_length=False)
        + chunked(ten_mb_json),
        statuses=frozenset({413}),
        error_code=INVALID_PARAMETER,
    )
    # Announced as 10 MB; the server can refuse on the header alone.
    head = build_request(
        "POST", RESTORES_PATH, headers=(*JSON_HEADERS, ("Content-Length", str(TEN_MB))), content_length=False
    )
    yield HostileCase(
        "huge-body/10mb-announced-then-stop",
        head + b"{" * 1024,
        statuses=frozenset({413}),
        error_code=INVALID_PARAMETER,
        half_close=True,
    )


def deep_nesting() -> Iterator[HostileCase]:
    depth = 10_000
    arrays = b"[" * depth + b"]" * depth
    objects = b'{"a":' * depth + b"1" + b"}" * depth
    prefix, suffix = b'{"restore": {"parameters": ', b"}}"
    for name, body in {
        "arrays-as-body": arrays,
        "objects-as-body": objects,
        "arrays-in-parameters": prefix + arrays + suffix,
        "objects-in-parameters": prefix + objects + suffix,
        "arrays-in-volumes": DOCUMENT_BYTES.replace(
            b'"volumes": [', b'"volumes": [' + b"[" * depth, 1
        ).replace(b"}]", b"}]" + b"]" * depth, 1),
        "objects-in-unknown-field": b'{"restore": {"extra": ' + objects + b"}}",
        "unclosed-100k-arrays": b"[" * 100_000,
    }.items():
        yield HostileCase(f"deep-nesting/{name}", post(body), error_code=INVALID_PARAMETER)


def big_arrays() -> Iterator[HostileCase]:
    count = 100_000
    mapping = DOCUMENT_BODY["restore"]["parameters"]["targets"]["volumes"][0]
    for name, body in {
        "numbers-as-body": [0] * count,
        "volumes-of-empty-objects": with_value(("restore", "parameters", "targets", "volumes"), [{}] * count),
        "volumes-of-numbers": with_value(("restore", "parameters", "targets", "volumes"), list(range(count))),
        "volumes-of-one-mapping": with_value(
            ("restore", "parameters", "targets", "volumes"), [mapping] * 10_000
        ),
        "restore-target-as-array": with_value(("restore", "restore_target"), ["x"] * count),
        "restore-as-array": {"restore": [None] * count},
    }.items():
        yield HostileCase(
            f"big-array/{name}",
            post(dumps(body)),
            statuses=frozenset({400, 413}),
            error_code=INVALID_PARAMETER,
        )


# Every field of the request and the JSON type it must have. Optional fields also take null
# (it means "not given", openapi/DECISIONS.md), so null is no wrong type for them.
NULLABLE_FIELDS: frozenset[tuple[str | int, ...]] = frozenset(
    {
        ("restore", "restore_target"),
        ("restore", "parameters", "checkpoint_item_id"),
        ("restore", "parameters", "power_on"),
        ("restore", "parameters", "targets", "server_id"),
        ("restore", "parameters", "targets", "volumes"),
    }
)
FIELD_TYPES: dict[tuple[str | int, ...], str] = {
    ("restore",): "object",
    ("restore", "provider_id"): "string",
    ("restore", "checkpoint_id"): "string",
    ("restore", "restore_target"): "string",
    ("restore", "parameters"): "object",
    ("restore", "parameters", "checkpoint_item_id"): "string",
    ("restore", "parameters", "power_on"): "boolean",
    ("restore", "parameters", "targets"): "object",
    ("restore", "parameters", "targets", "server_id"): "string",
    ("restore", "parameters", "targets", "volumes"): "array",
    ("restore", "parameters", "targets", "volumes", 0): "object",
    ("restore", "parameters", "targets", "volumes", 0, "backup_id"): "string",
    ("restore", "parameters", "targets", "volumes", 0, "volume_id"): "string",
}
SAMPLES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 7,
    "float": 1.5,
    "string": "text",
    "array": ["text"],
    "object": {"key": "text"},
}
JSON_TYPE_OF_SAMPLE = {
    "null": "null",
    "boolean": "boolean",
    "integer": "number",
    "float": "number",
    "string": "string",
    "array": "array",
    "object": "object",
}


def wrong_types() -> Iterator[HostileCase]:
    for path, expected in FIELD_TYPES.items():
        field_name = next((str(key) for key in reversed(path) if isinstance(key, str)), "restore")
        label = ".".join(str(key) for key in path)
        for sample_name, sample in SAMPLES.items():
            if JSON_TYPE_OF_SAMPLE[sample_name] == expected or (sample is None and path in NULLABLE_FIELDS):
                continue
            yield HostileCase(
                f"wrong-type/{label}={sample_name}",
                post(dumps(with_value(path, sample))),
                statuses=frozenset({400}),
                error_code=INVALID_PARAMETER,
                names_field=field_name,
            )


def numbers_for_strings() -> Iterator[HostileCase]:
    numbers: dict[str, bytes] = {
        "zero": b"0",
        "negative-zero": b"-0",
        "float": b"3.14",
        "exponent-overflow": b"1e400",  # parses to infinity in Python
        "huge-integer": b"9" * 5000,  # over Python's int-from-string digit limit (4300)
        "uuid-as-number": b"123456789012345678901234567890123456",
    }
    fields = {
        "checkpoint_id": b'"a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"',
        "provider_id": b'"fc4d5750-22e7-4798-8a46-f48f62c4c1da"',
        "server_id": b'"f45c477a-57e5-465f-999f-d845083962db"',
        "backup_id": b'"bc118c24-3234-4afd-8423-d66d3d677649"',
        "restore_target": b'"http://192.168.1.2:35357/v2.0/"',
    }
    for field_name, quoted in fields.items():
        for number_name, number in numbers.items():
            body = DOCUMENT_BYTES.replace(quoted, number, 1)
            yield HostileCase(
                f"number-for-string/{field_name}={number_name}",
                post(body),
                statuses=frozenset({400}),
                error_code=INVALID_PARAMETER,
            )


def duplicate_keys() -> Iterator[HostileCase]:
    restore = json.dumps(DOCUMENT_BODY["restore"])
    checkpoint = '"checkpoint_id": "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"'
    bodies = {
        "restore-twice": f'{{"restore": {restore}, "restore": {restore}}}',
        "invalid-then-valid-id": DOCUMENT_BYTES.decode().replace(
            checkpoint, f'"checkpoint_id": 1, {checkpoint}'
        ),
        "valid-then-invalid-id": DOCUMENT_BYTES.decode().replace(
            checkpoint, f'{checkpoint}, "checkpoint_id": 1'
        ),
        "provider-twice": DOCUMENT_BYTES.decode().replace(
            '"provider_id": ', '"provider_id": "00000000-0000-0000-0000-000000000000", "provider_id": ', 1
        ),
        "power-on-twice": DOCUMENT_BYTES.decode().replace(
            '"power_on": true', '"power_on": true, "power_on": false'
        ),
    }
    for name, body in bodies.items():
        # Parsers disagree on which duplicate wins, so the stub must refuse instead of guessing.
        yield HostileCase(f"duplicate-keys/{name}", post(body.encode()), error_code=INVALID_PARAMETER)


def content_types() -> Iterator[HostileCase]:
    token = ("X-Auth-Token", DEMO_TOKEN)
    variants: dict[str, tuple[tuple[str, str], ...]] = {
        "missing": (token,),
        "text-plain": (token, ("Content-Type", "text/plain")),
        "xml": (token, ("Content-Type", "application/xml")),
        "form-urlencoded": (token, ("Content-Type", "application/x-www-form-urlencoded")),
        "multipart": (token, ("Content-Type", "multipart/form-data; boundary=xyz")),
        "octet-stream": (token, ("Content-Type", "application/octet-stream")),
        "empty-value": (token, ("Content-Type", "")),
        "no-subtype": (token, ("Content-Type", "application/")),
        "garbage": (token, ("Content-Type", ";;;=\x7f")),
        "list-in-one-header": (token, ("Content-Type", "application/json, text/plain")),
        "two-headers-json-and-text": (
            token,
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
        ),
        "two-headers-text-and-json": (
            token,
            ("Content-Type", "text/plain"),
            ("Content-Type", "application/json"),
        ),
        "two-headers-both-json": (
            token,
            ("Content-Type", "application/json"),
            ("Content-Type", "application/json"),
        ),
        "utf16-charset-utf8-body": (token, ("Content-Type", "application/json; charset=utf-16")),
    }
    for name, headers in variants.items():
        yield HostileCase(f"content-type/{name}", post(DOCUMENT_BYTES, headers=headers))


def chunked_bodies() -> Iterator[HostileCase]:
    headers = (*JSON_HEADERS, ("Transfer-Encoding", "chunked"))
    head = build_request("POST", RESTORES_PATH, headers=headers, content_length=False)
    # A valid body sent chunked is a valid request (HTTP/1.1 clients may stream).
    for size in (1 << 16, 1):
        server = next(_reserved)
        yield HostileCase(
            f"chunked/valid-document-in-{size}-byte-chunks",
            head + chunked(dumps(server.create_body()), chunk_size=size),
            statuses=frozenset({200}),
            server=server,
        )
    yield HostileCase(
        "chunked/malformed-json-in-chunks",
        head + chunked(b'{"restore": {"checkpoint_id": ', chunk_size=7),
        error_code=INVALID_PARAMETER,
    )
    yield HostileCase(
        "chunked/one-byte-chunks-invalid-body",
        head + chunked(dumps(with_value(("restore", "power_on"), "yes")), chunk_size=1),
        error_code=INVALID_PARAMETER,
    )
    yield HostileCase("chunked/bad-chunk-size", head + b"zz\r\n{}\r\n0\r\n\r\n")
    yield HostileCase(
        "chunked/size-larger-than-data",
        head + b"ffff\r\n{}\r\n0\r\n\r\n",
        half_close=True,
        may_get_no_answer=True,
    )
    # Both framings at once is the classic request-smuggling shape; a server must not guess.
    both = build_request(
        "POST",
        RESTORES_PATH,
        headers=(*headers, ("Content-Length", "5")),
        content_length=False,
    )
    yield HostileCase("chunked/with-content-length", both + chunked(DOCUMENT_BYTES))
    two_lengths = build_request(
        "POST",
        RESTORES_PATH,
        headers=(*JSON_HEADERS, ("Content-Length", "2"), ("Content-Length", str(len(DOCUMENT_BYTES)))),
        content_length=False,
    )
    yield HostileCase("chunked/two-different-content-lengths", two_lengths + DOCUMENT_BYTES)


def other_methods() -> Iterator[HostileCase]:
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"):
        request = build_request(method, RESTORES_PATH, body=DOCUMENT_BYTES, headers=JSON_HEADERS)
        yield HostileCase(f"method/{method}", request, statuses=frozenset({405}), method=method)
    # HEAD answers carry no body, so only the status is checked for it.
    yield HostileCase(
        "method/HEAD",
        build_request("HEAD", RESTORES_PATH, headers=JSON_HEADERS, content_length=False),
        statuses=frozenset({405}),
        method="HEAD",
    )
    yield HostileCase(
        "method/CONNECT",
        build_request("CONNECT", RESTORES_PATH, headers=JSON_HEADERS, content_length=False),
        statuses=frozenset({405}),
        method="CONNECT",
    )
    # Not HTTP methods at all: the parser refuses them before any route is looked at.
    for name, method in {"unknown": "FROB", "lowercase": "post"}.items():
        yield HostileCase(
            f"method/{name}-{method}", build_request(method, RESTORES_PATH, body=DOCUMENT_BYTES)
        )


def protocol_upgrades() -> Iterator[HostileCase]:
    """Upgrade requests: the stub speaks only HTTP/1.1, so they are served (and refused) as HTTP."""
    websocket = (
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    )
    yield HostileCase(
        "upgrade/websocket-handshake-on-the-path",
        build_request("GET", RESTORES_PATH, headers=(*JSON_HEADERS, *websocket), content_length=False),
        statuses=frozenset({405}),
        method="GET",
    )
    yield HostileCase(
        "upgrade/websocket-without-key",
        build_request("GET", RESTORES_PATH, headers=(*JSON_HEADERS, *websocket[:3]), content_length=False),
        statuses=frozenset({405}),
        method="GET",
    )
    yield HostileCase(
        "upgrade/websocket-with-invalid-body",
        post(b"{", headers=(*JSON_HEADERS, *websocket)),
        error_code=INVALID_PARAMETER,
    )
    yield HostileCase(
        "upgrade/h2c-with-invalid-body",
        post(b"{", headers=(*JSON_HEADERS, ("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"))),
        error_code=INVALID_PARAMETER,
    )


def bad_paths() -> Iterator[HostileCase]:
    project = DEMO_PROJECT
    paths = {
        "root": "/",
        "v1-only": "/v1",
        "no-project": "/v1/restores",
        "empty-project": "/v1//restores",
        "wrong-version": f"/v2/{project}/restores",
        "extra-segment": f"/v1/{project}/restores/extra",
        "restore-id-segment": f"/v1/{project}/restores/d3a54e80-6483-485d-98f6-c0409e6f2e0a",
        "double-slash": f"/v1/{project}//restores",
        "uppercase-project": f"/v1/{project.upper()}/restores",
        "short-project": f"/v1/{project[:-1]}/restores",
        "long-project": f"/v1/{project}0/restores",
        "dot-dot-raw": f"/v1/../v1/{project}/restores",
        "dot-dot-encoded": "/v1/%2e%2e/restores",
        "traversal-encoded": "/v1/..%2f..%2f..%2fetc%2fpasswd/restores",
        "traversal-fully-encoded": "/v1/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd/restores",
        "traversal-double-encoded": "/v1/%252e%252e%252fetc%252fpasswd/restores",
        "traversal-to-other-project": f"/v1/{project}%2f..%2f{OTHER_PROJECT}/restores",
        "backslash-traversal": "/v1/..%5c..%5cwindows%5cwin.ini/restores",
        "encoded-nul": f"/v1/{project}%00/restores",
        "encoded-newline": f"/v1/{project}%0a/restores",
        "malformed-percent": "/v1/%zz/restores",
        "lone-percent": "/v1/%/restores",
        "encoded-unicode": "/v1/%C3%A9%C3%A9/restores",
        "invalid-utf8-percent": "/v1/%ff%fe/restores",
        "semicolon-params": f"/v1/{project};x=1/restores",
        "long-path": "/v1/" + "a" * 8000 + "/restores",
        "control-prefix-spoof": "/_stub/../v1/restores",
        "query-garbage": f"{RESTORES_PATH}?%zz=%&&=&a[b]=1",
    }
    for name, path in paths.items():
        yield HostileCase(f"path/{name}", post(DOCUMENT_BYTES, path=path))


def oversized_headers() -> Iterator[HostileCase]:
    big = "a" * (64 * 1024)
    for name, headers in {
        "64kb-custom-header": (*JSON_HEADERS, ("X-Filler", big)),
        "64kb-token": (("X-Auth-Token", big), ("Content-Type", "application/json")),
        "64kb-content-type": (("X-Auth-Token", DEMO_TOKEN), ("Content-Type", "application/json;" + big)),
        "1000-headers": (*JSON_HEADERS, *((f"X-Filler-{index}", "b" * 64) for index in range(1000))),
        "1mb-header": (*JSON_HEADERS, ("X-Filler", "c" * 1_000_000)),
    }.items():
        yield HostileCase(f"header/{name}", post(DOCUMENT_BYTES, headers=headers), names_field="headers")
    # The limit leaves room for ordinary large headers (long cookies, trace baggage).
    server = next(_reserved)
    yield HostileCase(
        "header/8kb-header-is-fine",
        post(dumps(server.create_body()), headers=(*JSON_HEADERS, ("X-Filler", "d" * 8192))),
        statuses=frozenset({200}),
        server=server,
    )


GROUPS: tuple[Callable[[], Iterator[HostileCase]], ...] = (
    malformed_json,
    non_utf8,
    byte_order_mark,
    control_characters,
    huge_strings,
    huge_bodies,
    deep_nesting,
    big_arrays,
    wrong_types,
    numbers_for_strings,
    duplicate_keys,
    content_types,
    chunked_bodies,
    other_methods,
    protocol_upgrades,
    bad_paths,
    oversized_headers,
)


def all_cases() -> list[HostileCase]:
    cases = [case for group in GROUPS for case in group()]
    names = [case.name for case in cases]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"duplicate case names: {sorted(duplicates)}"
    return cases
