"""Render a report as text, JSON, Markdown (PR comment), GitHub Actions annotations or a changelog."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from .rules import Change, Level, Source

FORMATS = ("text", "json", "markdown", "githubactions", "changelog")
_HEADINGS = {
    Level.ERR: "Breaking changes",
    Level.WARN: "Changes that may break clients",
    Level.INFO: "Other changes",
}
_ANNOTATION = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}
_MARK = {Level.ERR: "🔴 ERR", Level.WARN: "🟡 WARN", Level.INFO: "🔵 INFO"}


@dataclass(frozen=True)
class Report:
    changes: list[Change]
    base: str  # label of the old spec, e.g. "HEAD~1:openapi/csbs-restore.yaml"
    revision: str  # label of the new spec
    file: str  # the new spec's file, for annotations

    @property
    def counted(self) -> list[Change]:
        return [change for change in self.changes if not change.ignored]

    @property
    def ignored(self) -> list[Change]:
        return [change for change in self.changes if change.ignored]

    def count(self, level: Level) -> int:
        return sum(1 for change in self.counted if change.level == level)

    def summary(self) -> str:
        if not self.changes:
            return "no changes"
        total = len(self.counted)
        errors, warnings, infos = (self.count(level) for level in (Level.ERR, Level.WARN, Level.INFO))
        parts = f"{errors} breaking, {warnings} may break, {infos} other"
        ignored = f"; {len(self.ignored)} ignored" if self.ignored else ""
        return f"{total} change{'' if total == 1 else 's'} ({parts}){ignored}"

    def by_operation(self) -> dict[str, list[Change]]:
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.operation, []).append(change)
        return groups


def _operation_title(changes: list[Change]) -> str:
    first = changes[0]
    if not first.operation:
        return "Whole document"
    return f"{first.operation} ({first.operation_id})" if first.operation_id else first.operation


def render_text(report: Report) -> str:
    lines = [f"{report.base} -> {report.revision}: {report.summary()}"]
    for changes in report.by_operation().values():
        lines += ["", _operation_title(changes)]
        for change in changes:
            if change.ignored:
                lines.append(f"  ignored {change.rule_id} ({change.level.name}): {change.message}")
                lines.append(f"          reason: {change.ignored_reason}")
            else:
                lines.append(f"  {change.level.name:<4}  {change.rule_id}: {change.message}")
    return "\n".join(lines) + "\n"


def _source(source: Source | None) -> dict[str, object] | None:
    return None if source is None else {"file": source.file, "line": source.line, "column": source.column}


def fingerprint(change: Change) -> str:
    """A short stable hash of what the change is and where, to track it across runs."""
    key = "\x00".join((change.rule_id, change.method, change.path, change.location))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def render_json(report: Report) -> str:
    """oasdiff's `changelog --format json`: an array of changes, ignored ones left out.

    Fields as oasdiff names them: id, text, level (3 ERR, 2 WARN, 1 INFO), operation (the
    method), operationId, path, section, baseSource / revisionSource ({file, line, column}),
    fingerprint; plus `location` (what an ignore entry matches). Empty fields are omitted.
    """
    changes = []
    for change in report.counted:
        item: dict[str, object] = {
            "id": change.rule_id,
            "text": change.message,
            "level": int(change.level),
            "operation": change.method,
            "operationId": change.operation_id,
            "path": change.path,
            "section": change.section,
            "baseSource": _source(change.base_source),
            "revisionSource": _source(change.revision_source),
            "fingerprint": fingerprint(change),
            "location": change.location,
        }
        changes.append({key: value for key, value in item.items() if value not in (None, "")})
    return json.dumps(changes, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    errors, warnings = report.count(Level.ERR), report.count(Level.WARN)
    if errors:
        verdict = "🔴 This change breaks existing clients."
    elif warnings:
        verdict = "🟡 This change may break some clients."
    elif report.changes:
        verdict = "🟢 No breaking changes."
    else:
        verdict = "🟢 The contract did not change."
    lines = [
        "### Contract review: " + report.summary(),
        "",
        verdict,
        "",
        f"Compared `{report.base}` with `{report.revision}`.",
    ]
    if report.counted:
        lines += ["", "| Level | Rule | Operation | Change |", "|---|---|---|---|"]
        for change in report.counted:
            mark, operation = _MARK[change.level], _cell(change.operation)
            lines.append(f"| {mark} | `{change.rule_id}` | `{operation}` | {_cell(change.message)} |")
    if report.ignored:
        lines += [
            "",
            f"<details><summary>{len(report.ignored)} accepted change(s) from the ignore file</summary>",
            "",
            "| Level | Rule | Operation | Change | Reason |",
            "|---|---|---|---|---|",
        ]
        for change in report.ignored:
            lines.append(
                f"| {change.level.name} | `{change.rule_id}` | `{_cell(change.operation)}` | "
                f"{_cell(change.message)} | {_cell(change.ignored_reason or '')} |"
            )
        lines += ["", "</details>"]
    lines += [
        "",
        "ERR breaks existing clients, WARN may break some, INFO is safe. "
        "Accept a change with a reason in `openapi/breaking-ignore.yaml`.",
    ]
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_githubactions(report: Report) -> str:
    """Workflow commands: one annotation per counted change, on the changed line of the new spec."""
    lines = []
    for change in report.counted:
        file = change.revision_source.file if change.revision_source is not None else report.file
        properties = [f"file={_escape_property(file)}"]
        if change.line is not None:
            properties.append(f"line={change.line}")
        properties.append(f"title={_escape_property(change.rule_id)}")
        where = f"{change.operation}: " if change.operation else ""
        message = _escape_data(f"{where}{change.message}")
        lines.append(f"::{_ANNOTATION[change.level]} {','.join(properties)}::{message}")
    lines.append(f"Contract review: {report.summary()}")
    return "\n".join(lines) + "\n"


def render_changelog(report: Report) -> str:
    lines = ["# Contract changelog", "", f"Changes from `{report.base}` to `{report.revision}`."]
    if not report.changes:
        return "\n".join([*lines, "", "No changes to the contract."]) + "\n"
    for changes in report.by_operation().values():
        lines += ["", f"## {_operation_title(changes)}"]
        for level in sorted(Level, reverse=True):
            selected = [change for change in changes if change.level == level and not change.ignored]
            if selected:
                lines += ["", f"### {_HEADINGS[level]}", ""]
                lines += [f"- {change.message} (`{change.rule_id}`)" for change in selected]
        accepted = [change for change in changes if change.ignored]
        if accepted:
            lines += ["", "### Accepted changes", ""]
            lines += [
                f"- {change.message} (`{change.rule_id}`, {change.level.name}): {change.ignored_reason}"
                for change in accepted
            ]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "githubactions": render_githubactions,
    "changelog": render_changelog,
}
