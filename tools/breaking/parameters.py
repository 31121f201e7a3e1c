"""Request parameters: added, removed, required, lifecycle, serialization and schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.openapi import child

from . import lifecycle
from .context import Context
from .document import Document, Operation
from .schemas import Where, compare_schema

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


@dataclass(frozen=True)
class Parameter:
    where: str  # path, query, header, cookie
    name: str
    node: dict[str, Any]
    location: str
    from_path_item: bool  # declared on the Path Item (shared by its operations)

    @property
    def required(self) -> bool:
        return self.node.get("required") is True or self.where == "path"

    @property
    def label(self) -> str:
        return f"{self.where} parameter {self.name}"

    @property
    def style(self) -> str:
        style = self.node.get("style")
        return style if isinstance(style, str) else _DEFAULT_STYLE.get(self.where, "form")

    @property
    def explode(self) -> bool:
        explode = self.node.get("explode")
        return explode if isinstance(explode, bool) else self.style == "form"


def parameters_of(document: Document, operation: Operation) -> dict[tuple[str, str], Parameter]:
    """The operation's parameters by (in, name); the operation's own override the Path Item's."""
    found: dict[tuple[str, str], Parameter] = {}
    for owner, owner_location, shared in (
        (operation.path_item, operation.path_item_location, True),
        (operation.operation, operation.location, False),
    ):
        for index, raw in enumerate(owner.get("parameters") or []):
            node, location, _ = document.deref(raw, child(owner_location, "parameters", index))
            if isinstance(node, dict) and "name" in node and "in" in node:
                where, name = str(node["in"]), str(node["name"])
                key = (where, name.lower() if where == "header" else name)
                found[key] = Parameter(where, name, node, location, shared)
    return found


def _schema_of(parameter: Parameter) -> tuple[Any, str] | None:
    if "schema" in parameter.node:
        return parameter.node["schema"], child(parameter.location, "schema")
    content = parameter.node.get("content")
    if isinstance(content, dict) and content:
        media_type, media = next(iter(content.items()))
        if isinstance(media, dict) and "schema" in media:
            return media["schema"], child(parameter.location, "content", media_type, "schema")
    return None


def compare_parameters(
    context: Context,
    old_params: dict[tuple[str, str], Parameter],
    new_params: dict[tuple[str, str], Parameter],
) -> None:
    options = context.options
    for key, old in old_params.items():
        if key in new_params:
            continue
        verdict, detail = lifecycle.judge_removal(old.node, options)
        rule_id = {
            "without": "request-parameter-removed",
            "with": "request-parameter-removed-with-deprecation",
            "before-sunset": "request-parameter-removed-before-sunset",
            "sunset-parse": "request-parameter-sunset-parse",
        }[verdict]
        extra = f" ({detail})" if detail else ""
        context.emit(
            rule_id, old.label, f"removed the {old.where} parameter `{old.name}`{extra}", None, old.location
        )
    for key, new in new_params.items():
        if key not in old_params:
            _added(context, new)
            continue
        old = old_params[key]
        _compare_one(context, old, new)


def _added(context: Context, new: Parameter) -> None:
    kind = "required" if new.required else "optional"
    if new.where == "path":
        rule_id = "new-request-path-parameter"
    elif new.from_path_item:
        rule_id = f"new-{kind}-request-default-parameter-to-existing-path"
    else:
        rule_id = f"new-{kind}-request-parameter"
    context.emit(rule_id, new.label, f"added the {kind} {new.where} parameter `{new.name}`", new.location)


def _compare_one(context: Context, old: Parameter, new: Parameter) -> None:
    label, what = new.label, f"the {new.where} parameter `{new.name}`"
    if new.required and not old.required:
        context.emit(
            "request-parameter-became-required",
            label,
            f"{what} became required",
            child(new.location, "required"),
            old.location,
        )
    elif old.required and not new.required:
        context.emit(
            "request-parameter-became-optional", label, f"{what} became optional", new.location, old.location
        )
    _lifecycle(context, old, new)
    if old.style != new.style:
        context.emit(
            "request-parameter-style-changed",
            label,
            f"the style of {what} changed from `{old.style}` to `{new.style}`; clients encode it the old way",
            child(new.location, "style"),
            old.location,
        )
    if old.explode != new.explode:
        context.emit(
            "request-parameter-explode-changed",
            label,
            f"explode of {what} changed from {str(old.explode).lower()} to {str(new.explode).lower()}",
            child(new.location, "explode"),
            old.location,
        )
    old_reserved, new_reserved = old.node.get("allowReserved") is True, new.node.get("allowReserved") is True
    if old_reserved != new_reserved:
        state = "enabled" if new_reserved else "disabled"
        context.emit(
            f"request-parameter-allow-reserved-{state}",
            label,
            f"allowReserved of {what} was {state}",
            new.location,
            old.location,
        )
    old_schema, new_schema = _schema_of(old), _schema_of(new)
    if old_schema is not None and new_schema is not None:
        where = Where(
            request=True,
            kind="parameter",
            location=label,
            root_phrase=what,
            part_phrase="item",
            part_suffix=f" of {what}",
            strongly_typed="content" in new.node,
            header_parameter=new.where == "header",
        )
        compare_schema(context, old_schema, new_schema, where)


def _lifecycle(context: Context, old: Parameter, new: Parameter) -> None:
    label, what = new.label, f"the {new.where} parameter `{new.name}`"
    was, now = old.node.get("deprecated") is True, new.node.get("deprecated") is True
    if now and not was:
        judged = lifecycle.judge_deprecation(new.node, context.options)
        suffix = {
            "sunset-missing": "deprecated-sunset-missing",
            "sunset-too-small": "sunset-date-too-small",
        }.get(judged.suffix, "deprecated")
        detail = f" ({judged.detail})" if judged.detail else ""
        context.emit(
            f"request-parameter-{suffix}",
            label,
            f"{what} was deprecated{detail}",
            child(new.location, "deprecated"),
            old.location,
        )
    elif was and not now:
        context.emit(
            "request-parameter-reactivated",
            label,
            f"{what} is no longer deprecated",
            new.location,
            old.location,
        )
    elif was and now:
        _sunset_changed(
            context, old.node, new.node, "request-parameter-", label, what, new.location, old.location
        )


def _sunset_changed(
    context: Context,
    old: dict[str, Any],
    new: dict[str, Any],
    prefix: str,
    label: str,
    what: str,
    new_location: str,
    old_location: str,
) -> None:
    """A deprecated element's sunset date removed, or moved earlier than the policy allows."""
    if lifecycle.SUNSET in old and lifecycle.SUNSET not in new:
        context.emit(
            "sunset-deleted" if not prefix else f"{prefix}sunset-deleted",
            label,
            f"the sunset date of {what} was removed",
            new_location,
            old_location,
        )
        return
    try:
        before, after = lifecycle.sunset_of(old), lifecycle.sunset_of(new)
        stability = lifecycle.stability_of(new)
    except lifecycle.BadValue:
        return
    if before is None or after is None or not after < before:
        return
    days = lifecycle.deprecation_days(context.options, stability)
    if (after - context.options.today).days < days:
        context.emit(
            (prefix or "api-") + "sunset-date-changed-too-small",
            label,
            f"the sunset date of {what} moved from {before} to {after}, less than {days} days ahead",
            child(new_location, lifecycle.SUNSET),
            old_location,
        )


sunset_changed = _sunset_changed
