"""Reading a JSON request body: its Content-Type, its encoding and its syntax.

One function per rule, used by the pipeline and by connexion's path alike
(`server/connexion_app.py: BodyGuard`), so both refuse the same bodies with the same words:
a missing, repeated or non-JSON Content-Type, a charset other than UTF-8, an empty body, bytes
that are not UTF-8, malformed JSON, NaN/Infinity, a member name repeated in one object, and
nesting deeper than `MAX_JSON_DEPTH`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import errors

MAX_JSON_DEPTH = 64
JSON_MEDIA_TYPE = "application/json"


def checked_content_type(values: Sequence[str], path: str) -> str:
    """The request's one Content-Type, checked, with its media type in lower case."""
    if not values:
        raise errors.bad_request(path, "the Content-Type header is missing; send application/json.")
    if len(values) > 1 or "," in values[0]:
        raise errors.bad_request(path, "send exactly one Content-Type, application/json.")
    media_type, *params = (part.strip() for part in values[0].split(";"))
    if media_type.lower() != JSON_MEDIA_TYPE:
        raise errors.bad_request(
            path, f"Content-Type {errors.shorten(media_type, 80)!r} is not supported; send application/json."
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise errors.bad_request(path, "the only supported charset is utf-8.")
    return "; ".join([JSON_MEDIA_TYPE, *(param for param in params if param)])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse an object that repeats a name: parsers disagree on which value wins (RFC 8259 §4)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise ValueError(f"the name {errors.shorten(name, 80)!r} appears twice in one object")
            seen.add(name)
    return result


def decode_json(body: bytes, path: str) -> Any:
    """The JSON value of a request body, or a 400 `StubError` saying what is wrong with it."""
    if not body.strip():
        raise errors.bad_request(path, "the request body is empty; send a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(
            path, f"the request body is not valid UTF-8 (invalid byte at offset {exc.start})."
        ) from None
    try:
        parsed = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_names)
    except json.JSONDecodeError as exc:
        raise errors.bad_request(
            path, f"the request body is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})."
        ) from None
    except (ValueError, RecursionError) as exc:
        raise errors.bad_request(path, f"the request body is not valid JSON: {exc}.") from None
    # Nesting needs an opening bracket per level: with few brackets in the text, skip the walk.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and _depth_exceeds(parsed, MAX_JSON_DEPTH):
        raise errors.bad_request(path, f"the request body nests deeper than {MAX_JSON_DEPTH} levels.")
    return parsed


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False
