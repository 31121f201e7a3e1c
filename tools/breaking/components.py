"""Document-wide rules: schemas removed from components, and the versioning policy."""

from __future__ import annotations

import re
from typing import Any

from .context import Context
from .rules import Level

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


def compare_component_schemas(context: Context) -> None:
    new_schemas = _schemas(context.new.document)
    for name in _schemas(context.old.document):
        if name not in new_schemas:
            context.emit(
                "api-schema-removed",
                f"schema {name}",
                f"removed the schema `{name}` from components",
                context.new.doc.location("components"),
                context.old.doc.location("components", "schemas", name),
                "components",
            )


def _version(document: dict[str, Any]) -> tuple[str, tuple[int, ...] | None]:
    info = document.get("info")
    text = str(info.get("version", "")) if isinstance(info, dict) else ""
    match = _VERSION.match(text)
    return text, tuple(int(part or 0) for part in match.groups()) if match else None


def check_version_policy(context: Context) -> None:
    """After the other checks: does info.version say what the changes are?"""
    if not context.options.version_policy:
        return
    if not any(change.level >= Level.WARN for change in context.changes):
        return
    (old_text, old), (new_text, new) = _version(context.old.document), _version(context.new.document)
    location, old_location = (
        context.new.doc.location("info", "version"),
        context.old.doc.location("info", "version"),
    )
    if old_text == new_text:
        context.emit(
            "api-version-not-bumped",
            "info.version",
            f"a change that may break clients, but info.version is still {new_text}",
            location,
            old_location,
            "info",
        )
    elif old is not None and new is not None and new < old:
        context.emit(
            "api-version-decreased",
            "info.version",
            f"a change that may break clients, and info.version decreased from {old_text} to {new_text}",
            location,
            old_location,
            "info",
        )
    elif old is not None and new is not None and new[0] <= old[0]:
        context.emit(
            "api-major-version-not-bumped",
            "info.version",
            f"a change that may break clients, but the major version stayed at {new[0]} "
            f"({old_text} to {new_text})",
            location,
            old_location,
            "info",
        )
