"""What every check shares: the two specs, the operation being compared, and `emit`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .loader import Spec
from .rules import RULES, Change, Source


@dataclass(frozen=True)
class Options:
    """Policy the checks read. Defaults are oasdiff's: no minimum deprecation period."""

    deprecation_days_beta: int = 0
    deprecation_days_stable: int = 0
    # oasdiff always adds the versioning-policy notes (INFO); here they are asked for with
    # --version-policy, so the report of a PR that does not touch info.version stays about the API.
    version_policy: bool = False
    today: datetime.date = field(default_factory=datetime.date.today)


@dataclass
class OperationScope:
    method: str  # upper case
    path: str
    operation_id: str | None
    new_location: str | None  # the operation in the new spec, when it exists there
    old_location: str | None


class Context:
    def __init__(self, old: Spec, new: Spec, options: Options | None = None) -> None:
        self.old, self.new = old, new
        self.options = options or Options()
        self.changes: list[Change] = []
        self.scope = OperationScope("", "", None, None, None)

    def enter(
        self,
        method: str,
        path: str,
        operation: dict[str, Any],
        new_location: str | None,
        old_location: str | None,
    ) -> None:
        operation_id = operation.get("operationId")
        self.scope = OperationScope(
            method.upper(),
            path,
            operation_id if isinstance(operation_id, str) else None,
            new_location,
            old_location,
        )

    def leave(self) -> None:
        self.scope = OperationScope("", "", None, None, None)

    def _source(self, spec: Spec, *candidates: str | None) -> Source | None:
        for candidate in candidates:
            if candidate is None:
                continue
            position = spec.doc.position_of(candidate)
            if position is not None:
                return Source(spec.file_of(candidate), position[1], position[2])
        return None

    def emit(
        self,
        rule_id: str,
        location: str,
        message: str,
        new: str | None = None,
        old: str | None = None,
        section: str = "paths",
    ) -> None:
        """Report a change; `new` and `old` are the changed node's locations in either spec."""
        scope = self.scope
        revision = self._source(self.new, new, scope.new_location) if new or scope.new_location else None
        base = self._source(self.old, old, scope.old_location) if old or scope.old_location else None
        if revision is None and section != "paths" and new is not None:
            revision = self._source(self.new, self.new.doc.root_location)
        self.changes.append(
            Change(
                rule_id=rule_id,
                level=RULES[rule_id].level,
                operation=f"{scope.method} {scope.path}" if scope.method else "",
                operation_id=scope.operation_id,
                location=location,
                message=message,
                method=scope.method,
                path=scope.path,
                section=section,
                pointer=new,
                base_source=base,
                revision_source=revision,
            )
        )
