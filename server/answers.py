"""How an answer goes out: its JSON bytes and headers, the same on every path.

The pipeline sends these itself; on connexion's path the handlers and error handlers hand the
same bytes and headers to connexion as a ready response, so a request gets byte for byte the
same answer on either path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import errors, jsonbytes
from .errors import StubError

JSON_CONTENT_TYPE = (b"content-type", b"application/json")


def json_bytes(value: Any) -> bytes:
    return jsonbytes.dumps(value)


def headers_of(payload: bytes, extra: Mapping[str, str] | None = None) -> list[tuple[bytes, bytes]]:
    headers = [JSON_CONTENT_TYPE, (b"content-length", str(len(payload)).encode("ascii"))]
    for name, value in (extra or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return headers


def error_answer(error: StubError, request_id: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    payload = errors.encode(error, request_id)
    return error.status, payload, headers_of(payload, error.headers)
