"""Request bodies, and the media types of request and response bodies."""

from __future__ import annotations

from typing import Any

from server.openapi import child

from .context import Context
from .schemas import Where, compare_schema

JSON = "application/json"


def strongly_typed(media_type: str) -> bool:
    """JSON keeps its types on the wire; form, XML and text values are read as text."""
    base = media_type.split(";", 1)[0].strip().lower()
    loose = base.startswith("text/") or base.endswith("xml") or base.startswith("multipart/")
    return not (loose or base == "application/x-www-form-urlencoded")


def compare_request_body(
    context: Context, old_op: dict[str, Any], new_op: dict[str, Any], old_location: str, new_location: str
) -> None:
    old_body, old_body_location = None, child(old_location, "requestBody")
    if "requestBody" in old_op:
        old_body, old_body_location, _ = context.old.doc.deref(old_op["requestBody"], old_body_location)
    new_body, new_body_location = None, child(new_location, "requestBody")
    if "requestBody" in new_op:
        new_body, new_body_location, _ = context.new.doc.deref(new_op["requestBody"], new_body_location)
    if isinstance(new_body, dict) and not isinstance(old_body, dict):
        required = new_body.get("required") is True
        rule_id = "request-body-added-required" if required else "request-body-added-optional"
        kind = "a required" if required else "an optional"
        context.emit(rule_id, "request body", f"added {kind} request body", new_body_location)
        return
    if isinstance(old_body, dict) and not isinstance(new_body, dict):
        context.emit(
            "request-body-removed", "request body", "removed the request body", None, old_body_location
        )
        return
    if not isinstance(old_body, dict) or not isinstance(new_body, dict):
        return
    was_required, required = old_body.get("required") is True, new_body.get("required") is True
    if required and not was_required:
        context.emit(
            "request-body-became-required",
            "request body",
            "the request body became required",
            new_body_location,
            old_body_location,
        )
    elif was_required and not required:
        context.emit(
            "request-body-became-optional",
            "request body",
            "the request body became optional",
            new_body_location,
            old_body_location,
        )
    compare_content(context, True, "", (old_body, old_body_location), (new_body, new_body_location))


def _media_name_change(old_type: str, new_type: str) -> str | None:
    """For a response whose only media type was renamed: changed, generalized or specialized."""
    old_main, _, old_sub = old_type.partition("/")
    new_main, _, new_sub = new_type.partition("/")
    if new_type == "*/*" or (new_sub == "*" and new_main == old_main):
        return "generalized"
    if old_type == "*/*" or (old_sub == "*" and old_main == new_main):
        return "specialized"
    if old_main == new_main and (old_sub.endswith("+json") and new_sub == "json"):
        return "generalized"
    if old_main == new_main and (new_sub.endswith("+json") and old_sub == "json"):
        return "specialized"
    return "changed"


def compare_content(
    context: Context,
    request: bool,
    status: str,
    old: tuple[dict[str, Any], str],
    new: tuple[dict[str, Any], str],
) -> None:
    """The `content` of a request body (status "") or of a response."""
    (old_owner, old_location), (new_owner, new_location) = old, new
    old_content = old_owner.get("content") or {}
    new_content = new_owner.get("content") or {}
    content_location = child(new_location, "content")
    subject = "request body" if request else f"response {status}"
    side = "the request body" if request else f"the {status} response"
    removed = [media_type for media_type in old_content if media_type not in new_content]
    added = [media_type for media_type in new_content if media_type not in old_content]
    if not request and len(removed) == 1 and len(added) == 1 and len(old_content) == 1:
        how = _media_name_change(removed[0], added[0])
        context.emit(
            f"response-media-type-name-{how}",
            f"{subject} {added[0]}",
            f"the media type of {side} changed from `{removed[0]}` to `{added[0]}`",
            child(content_location, added[0]),
            child(old_location, "content", removed[0]),
        )
        pairs = [(removed[0], added[0])]
    else:
        prefix = "request-body" if request else "response"
        for media_type in removed:
            context.emit(
                f"{prefix}-media-type-removed",
                f"{subject} {media_type}",
                f"removed the media type `{media_type}` from {side}",
                content_location,
                child(old_location, "content", media_type),
            )
        for media_type in added:
            context.emit(
                f"{prefix}-media-type-added",
                f"{subject} {media_type}",
                f"added the media type `{media_type}` to {side}",
                child(content_location, media_type),
            )
        pairs = [(media_type, media_type) for media_type in new_content if media_type in old_content]
    for old_type, new_type in pairs:
        old_media, new_media = old_content[old_type], new_content[new_type]
        if not isinstance(old_media, dict) or not isinstance(new_media, dict):
            continue
        media_location = child(content_location, new_type)
        old_media_location = child(old_location, "content", old_type)
        direction = "request" if request else "response"
        if "schema" not in old_media and "schema" in new_media:
            context.emit(
                f"{direction}-body-media-type-schema-added",
                f"{subject} {new_type}",
                f"{side} (`{new_type}`) got a schema",
                child(media_location, "schema"),
                old_media_location,
            )
        elif "schema" in old_media and "schema" not in new_media:
            context.emit(
                f"{direction}-body-media-type-schema-removed",
                f"{subject} {new_type}",
                f"{side} (`{new_type}`) no longer has a schema",
                media_location,
                old_media_location,
            )
        elif "schema" in old_media:
            suffix = "" if new_type == JSON else f" ({new_type})"
            where = Where(
                request=request,
                kind="body" if request else "response",
                location=f"{subject}{suffix}",
                root_phrase=f"{side} body{suffix}" if not request else f"the request body{suffix}",
                part_phrase="request property" if request else "property",
                part_suffix="" if request else f" of the {status} response{suffix}",
                strongly_typed=strongly_typed(new_type),
            )
            compare_schema(
                context,
                (old_media["schema"], child(old_media_location, "schema")),
                (new_media["schema"], child(media_location, "schema")),
                where,
            )
