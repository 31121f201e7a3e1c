"""Paths and operations: matched by method and path template, added, removed, deprecated."""

from __future__ import annotations

import re

from server.openapi import child

from . import lifecycle
from .bodies import compare_request_body
from .context import Context
from .document import Document, Operation
from .parameters import compare_parameters, parameters_of, sunset_changed
from .responses import compare_responses
from .security import compare_operation_security

_TEMPLATE_PARAMETER = re.compile(r"\{([^}/]+)\}")


def path_key(path: str) -> str:
    """Paths match with their parameter names blanked: a rename is not a new endpoint."""
    return _TEMPLATE_PARAMETER.sub("{}", path)


def _by_path(document: Document) -> dict[str, dict[str, Operation]]:
    found: dict[str, dict[str, Operation]] = {}
    for operation in document.operations():
        found.setdefault(path_key(operation.path), {})[operation.method] = operation
    for path in document.root.get("paths") or {}:
        found.setdefault(path_key(str(path)), {})
    return found


def _skipped(operation: Operation) -> bool:
    """oasdiff leaves out operations still in draft or alpha: they promise nothing yet."""
    try:
        return lifecycle.stability_of(operation.operation) in ("draft", "alpha")
    except lifecycle.BadValue:
        return False


def compare_paths(context: Context) -> None:
    old_paths, new_paths = _by_path(context.old.doc), _by_path(context.new.doc)
    for key, old_operations in old_paths.items():
        start = len(context.changes)
        new_operations = new_paths.get(key)
        for method, old in old_operations.items():
            new = new_operations.get(method) if new_operations is not None else None
            if new is None:
                _removed(context, old, path_removed=new_operations is None)
            else:
                context.enter(method, new.path, new.operation, new.location, old.location)
                _compare_operation(context, old, new)
        if new_operations is not None:
            for method, new in new_operations.items():
                if method not in old_operations:
                    context.enter(method, new.path, new.operation, new.location, None)
                    context.emit(
                        "endpoint-added",
                        "",
                        f"added the operation {method.upper()} `{new.path}`",
                        new.location,
                    )
        context.leave()
        context.changes[start:] = sorted(context.changes[start:], key=lambda change: -change.level)
    for key, new_operations in new_paths.items():
        if key in old_paths:
            continue
        for method, new in new_operations.items():
            context.enter(method, new.path, new.operation, new.location, None)
            context.emit(
                "endpoint-added", "", f"added the operation {method.upper()} `{new.path}`", new.location
            )
        context.leave()


def _removed(context: Context, old: Operation, path_removed: bool) -> None:
    context.enter(old.method, old.path, old.operation, None, old.location)
    try:
        if lifecycle.stability_of(old.operation) in ("draft", "alpha"):
            return
    except lifecycle.BadValue as error:
        context.emit("api-invalid-stability-level", "", f"the operation's {error}", None, old.location)
        return
    verdict, detail = lifecycle.judge_removal(old.operation, context.options)
    what = (
        f"the path `{old.path}` and its {old.method.upper()} operation"
        if path_removed
        else (f"the operation {old.method.upper()} `{old.path}`")
    )
    prefix = "api-path" if path_removed else "api"
    rule_id = {
        "without": f"{prefix}-removed-without-deprecation",
        "with": f"{prefix}-removed-with-deprecation",
        "before-sunset": f"{prefix}-removed-before-sunset",
        "sunset-parse": "api-path-sunset-parse",
    }[verdict]
    extra = f" ({detail})" if detail else ""
    context.emit(rule_id, "", f"removed {what}{extra}", None, old.location)


def _compare_operation(context: Context, old: Operation, new: Operation) -> None:
    old_op, new_op = old.operation, new.operation
    stability_checked = _stability(context, old, new)
    if stability_checked is None or _skipped(old):
        return
    _deprecation(context, old, new)
    old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
    if old_id and old_id != new_id:
        what = f"changed from `{old_id}` to `{new_id}`" if new_id else f"`{old_id}` was removed"
        context.emit(
            "api-operation-id-removed",
            "operationId",
            f"operationId {what}; generated clients rename the function for this operation",
            child(new.location, "operationId"),
            child(old.location, "operationId"),
        )
    elif new_id and not old_id:
        context.emit(
            "api-operation-id-added",
            "operationId",
            f"operationId `{new_id}` was added",
            child(new.location, "operationId"),
        )
    old_tags = [tag for tag in old_op.get("tags") or [] if isinstance(tag, str)]
    new_tags = [tag for tag in new_op.get("tags") or [] if isinstance(tag, str)]
    for tag in old_tags:
        if tag not in new_tags:
            context.emit("api-tag-removed", "tags", f"removed the tag `{tag}`", child(new.location, "tags"))
    for tag in new_tags:
        if tag not in old_tags:
            context.emit("api-tag-added", "tags", f"added the tag `{tag}`", child(new.location, "tags"))
    compare_operation_security(context, old, new)

    renamed: dict[str, str] = {}
    for old_name, new_name in zip(
        _TEMPLATE_PARAMETER.findall(old.path), _TEMPLATE_PARAMETER.findall(new.path), strict=True
    ):
        if old_name != new_name:
            renamed[old_name] = new_name
            context.emit(
                "request-path-parameter-renamed",
                f"path parameter {new_name}",
                f"path parameter `{old_name}` was renamed to `{new_name}`; the URL is unchanged "
                "but generated clients rename the argument",
                new.path_item_location,
            )
    old_params = {}
    for (where, name), parameter in parameters_of(context.old.doc, old).items():
        old_params[(where, renamed.get(name, name) if where == "path" else name)] = parameter
    compare_parameters(context, old_params, parameters_of(context.new.doc, new))
    compare_request_body(context, old_op, new_op, old.location, new.location)
    compare_responses(context, old_op, new_op, old.location, new.location)


def _stability(context: Context, old: Operation, new: Operation) -> bool | None:
    """Report invalid or changed stability levels; None when one of them cannot be read."""
    levels = []
    unchanged = old.operation.get(lifecycle.STABILITY) == new.operation.get(lifecycle.STABILITY)
    for operation, side in ((old, "old"), (new, "new")):
        try:
            levels.append(lifecycle.stability_of(operation.operation))
        except lifecycle.BadValue as error:
            levels.append("invalid")
            if unchanged:
                break  # not this change's doing: said once, when the value was written
            location = operation.location
            context.emit(
                "api-invalid-stability-level",
                "x-stability-level",
                f"in the {side} spec, {error}",
                child(location, lifecycle.STABILITY) if side == "new" else None,
                child(location, lifecycle.STABILITY) if side == "old" else None,
            )
    if "invalid" in levels:
        return None
    before, after = levels
    if before in ("draft", "alpha"):
        return True
    if lifecycle.rank(before) != lifecycle.rank(after):
        word = "decreased" if lifecycle.rank(after) < lifecycle.rank(before) else "increased"
        context.emit(
            f"api-stability-{word}",
            "x-stability-level",
            f"the operation's stability level {word} from {before or 'stable'} to {after or 'stable'}",
            child(new.location, lifecycle.STABILITY),
            child(old.location, lifecycle.STABILITY),
        )
    return True


def _deprecation(context: Context, old: Operation, new: Operation) -> None:
    was, now = old.operation.get("deprecated") is True, new.operation.get("deprecated") is True
    location = child(new.location, "deprecated")
    if now and not was:
        judged = lifecycle.judge_deprecation(new.operation, context.options)
        rule_id = {
            "deprecated": "endpoint-deprecated",
            "with-sunset": "endpoint-deprecated-with-sunset",
            "sunset-missing": "api-deprecated-sunset-missing",
            "sunset-parse": "api-deprecated-sunset-parse",
            "sunset-too-small": "api-sunset-date-too-small",
        }[judged.suffix]
        detail = f" ({judged.detail})" if judged.detail else ""
        context.emit(rule_id, "", f"the operation was deprecated{detail}", location, old.location)
    elif was and not now:
        context.emit(
            "endpoint-reactivated", "", "the operation is no longer deprecated", new.location, old.location
        )
    elif was and now:
        sunset_changed(
            context, old.operation, new.operation, "", "", "the operation", new.location, old.location
        )
