"""Responses: statuses, headers, and (through bodies.py) their media types and schemas."""

from __future__ import annotations

from typing import Any

from server.openapi import child

from .bodies import compare_content
from .context import Context
from .schemas import Where, compare_schema


def compare_responses(
    context: Context, old_op: dict[str, Any], new_op: dict[str, Any], old_location: str, new_location: str
) -> None:
    old_responses = {str(status): value for status, value in (old_op.get("responses") or {}).items()}
    new_responses = {str(status): value for status, value in (new_op.get("responses") or {}).items()}
    responses_location = child(new_location, "responses")
    for status in old_responses:
        if status not in new_responses:
            kind = "success" if status.startswith("2") else "non-success"
            context.emit(
                f"response-{kind}-status-removed",
                f"response {status}",
                f"removed the {status} response",
                responses_location,
                child(old_location, "responses", status),
            )
    for status, raw in new_responses.items():
        status_location = child(responses_location, status)
        if status not in old_responses:
            kind = "success" if status.startswith("2") else "non-success"
            context.emit(
                f"response-{kind}-status-added",
                f"response {status}",
                f"added the {status} response",
                status_location,
            )
            continue
        old_response, old_response_location, _ = context.old.doc.deref(
            old_responses[status], child(old_location, "responses", status)
        )
        response, response_location, _ = context.new.doc.deref(raw, status_location)
        if isinstance(old_response, dict) and isinstance(response, dict):
            _compare_headers(
                context, status, (old_response, old_response_location), (response, response_location)
            )
            compare_content(
                context, False, status, (old_response, old_response_location), (response, response_location)
            )


def _headers(context: Context, new_side: bool, response: dict[str, Any], location: str) -> dict[str, Any]:
    doc = context.new.doc if new_side else context.old.doc
    found: dict[str, Any] = {}
    for name, raw in (response.get("headers") or {}).items():
        node, node_location, _ = doc.deref(raw, child(location, "headers", str(name)))
        if isinstance(node, dict):
            found[str(name).lower()] = (str(name), node, node_location)
    return found


def _compare_headers(
    context: Context, status: str, old: tuple[dict[str, Any], str], new: tuple[dict[str, Any], str]
) -> None:
    old_headers = _headers(context, False, *old)
    new_headers = _headers(context, True, *new)
    for key, (name, header, header_location) in old_headers.items():
        if key not in new_headers:
            kind = "required" if header.get("required") is True else "optional"
            context.emit(
                f"{kind}-response-header-removed",
                f"response {status} header {name}",
                f"removed the {kind} header `{name}` from the {status} response",
                child(new[1], "headers"),
                header_location,
            )
    for key, (name, header, header_location) in new_headers.items():
        label = f"response {status} header {name}"
        if key not in old_headers:
            context.emit(
                "response-header-added",
                label,
                f"added the header `{name}` to the {status} response",
                header_location,
            )
            continue
        _, old_header, old_header_location = old_headers[key]
        if old_header.get("required") is True and header.get("required") is not True:
            context.emit(
                "response-header-became-optional",
                label,
                f"the header `{name}` of the {status} response is no longer required",
                header_location,
                old_header_location,
            )
        if "schema" in old_header and "schema" in header:
            where = Where(
                request=False,
                kind="header",
                location=label,
                root_phrase=f"the header `{name}` of the {status} response",
                part_phrase="property",
                part_suffix=f" of the header `{name}` of the {status} response",
                strongly_typed=False,
            )
            compare_schema(
                context,
                (old_header["schema"], child(old_header_location, "schema")),
                (header["schema"], child(header_location, "schema")),
                where,
            )
