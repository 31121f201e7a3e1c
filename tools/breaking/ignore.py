"""The ignore file: changes reviewers accepted, each with a reason.

Format (YAML), see `openapi/breaking-ignore.yaml`:

    ignore:
      - id: response-property-enum-value-added          # rule id, as printed
        operation: POST /v1/{project_id}/restores        # method and path, as printed
        location: response 200 restore.status            # optional: one location, as printed
        reason: Clients were told in release notes ...   # required

An entry without `location` accepts every change of that rule on that operation. A matching
change is still listed, marked ignored, and does not count towards `--fail-on`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from .rules import RULES, Change

_FIELDS = frozenset({"id", "operation", "location", "reason"})


class IgnoreFileError(Exception):
    """The ignore file cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class IgnoreEntry:
    rule_id: str
    operation: str
    location: str | None
    reason: str

    def matches(self, change: Change) -> bool:
        return (
            self.rule_id == change.rule_id
            and _normalize_operation(self.operation) == _normalize_operation(change.operation)
            and (self.location is None or self.location == change.location)
        )

    def describe(self) -> str:
        where = f" at {self.location!r}" if self.location is not None else ""
        return f"{self.rule_id} on {self.operation}{where}"


def _normalize_operation(operation: str) -> str:
    method, _, path = operation.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


def parse_ignore(text: str, source: str) -> list[IgnoreEntry]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise IgnoreFileError(f"{source}: not valid YAML: {error}") from error
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) - {"ignore"}:
        raise IgnoreFileError(f"{source}: expected a mapping with one key, 'ignore'")
    raw_entries = document.get("ignore")
    if raw_entries is None:
        return []
    if not isinstance(raw_entries, list):
        raise IgnoreFileError(f"{source}: 'ignore' must be a list of entries")
    entries: list[IgnoreEntry] = []
    for index, raw in enumerate(raw_entries, start=1):
        where = f"{source}: entry {index}"
        if not isinstance(raw, dict):
            raise IgnoreFileError(
                f"{where}: must be a mapping with id, operation, reason (and optional location)"
            )
        unknown = set(raw) - _FIELDS
        if unknown:
            raise IgnoreFileError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        values = {key: raw.get(key) for key in _FIELDS}
        for key in ("id", "operation", "reason"):
            value = values[key]
            if not isinstance(value, str) or not value.strip():
                raise IgnoreFileError(f"{where}: '{key}' is required and must be a non-empty string")
        rule_id = str(values["id"]).strip()
        if rule_id not in RULES:
            raise IgnoreFileError(
                f"{where}: unknown rule id {rule_id!r} (see `python -m tools.breaking --list-rules`)"
            )
        location = values["location"]
        if location is not None and not isinstance(location, str):
            raise IgnoreFileError(f"{where}: 'location' must be a string")
        operation = str(values["operation"])
        if " " not in operation.strip():
            raise IgnoreFileError(
                f"{where}: 'operation' must be METHOD and path, e.g. 'POST /v1/{{project_id}}/restores'"
            )
        entries.append(IgnoreEntry(rule_id, operation.strip(), location, str(values["reason"]).strip()))
    return entries


def load_ignore(path: str | Path) -> list[IgnoreEntry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IgnoreFileError(f"cannot read ignore file {path}: {error}") from error
    return parse_ignore(text, str(path))


def apply_ignore(changes: list[Change], entries: list[IgnoreEntry]) -> tuple[list[Change], list[IgnoreEntry]]:
    """Mark the accepted changes; also returns the entries that matched nothing (likely stale)."""
    used: set[IgnoreEntry] = set()
    result: list[Change] = []
    for change in changes:
        entry = next((entry for entry in entries if entry.matches(change)), None)
        if entry is None:
            result.append(change)
        else:
            used.add(entry)
            result.append(dataclasses.replace(change, ignored_reason=entry.reason))
    return result, [entry for entry in entries if entry not in used]
