"""Security: requirements of operations and of the whole API, and the schemes in components."""

from __future__ import annotations

from typing import Any

from server.openapi import child

from .context import Context
from .document import Operation


def _requirements(value: Any) -> dict[str, dict[str, list[str]]] | None:
    """Security requirements by the schemes they combine ("a+b"); None when not declared."""
    if not isinstance(value, list):
        return None
    found: dict[str, dict[str, list[str]]] = {}
    for requirement in value:
        if isinstance(requirement, dict):
            schemes = {
                str(name): [str(scope) for scope in scopes or []] for name, scopes in requirement.items()
            }
            found["+".join(sorted(schemes)) or "(none)"] = schemes
    return found


def _compare(context: Context, prefix: str, old: Any, new: Any, new_location: str, old_location: str) -> None:
    old_reqs, new_reqs = _requirements(old) or {}, _requirements(new) or {}
    where = "the API" if prefix == "api-global-security" else "the operation"
    section = "security" if prefix == "api-global-security" else "paths"
    for key in old_reqs:
        if key not in new_reqs:
            context.emit(
                f"{prefix}-removed",
                "security",
                f"removed the security requirement `{key}` from {where}",
                new_location,
                old_location,
                section,
            )
    for key, schemes in new_reqs.items():
        if key not in old_reqs:
            context.emit(
                f"{prefix}-added",
                "security",
                f"added the security requirement `{key}` to {where}",
                new_location,
                old_location,
                section,
            )
            continue
        for scheme, scopes in schemes.items():
            before = old_reqs[key].get(scheme, [])
            for scope in before:
                if scope not in scopes:
                    context.emit(
                        f"{prefix}-scope-removed",
                        "security",
                        f"removed the scope `{scope}` of `{scheme}` from {where}",
                        new_location,
                        old_location,
                        section,
                    )
            for scope in scopes:
                if scope not in before:
                    context.emit(
                        f"{prefix}-scope-added",
                        "security",
                        f"added the scope `{scope}` of `{scheme}` to {where}",
                        new_location,
                        old_location,
                        section,
                    )


def compare_operation_security(context: Context, old: Operation, new: Operation) -> None:
    """Only an operation's own `security` (an operation without one follows the API's)."""
    old_value, new_value = old.operation.get("security"), new.operation.get("security")
    if old_value is None and new_value is None:
        return
    _compare(
        context,
        "api-security",
        old_value,
        new_value,
        child(new.location, "security"),
        child(old.location, "security"),
    )


def compare_global_security(context: Context) -> None:
    _compare(
        context,
        "api-global-security",
        context.old.document.get("security"),
        context.new.document.get("security"),
        context.new.doc.location("security"),
        context.old.doc.location("security"),
    )


def _schemes(document: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    return schemes if isinstance(schemes, dict) else {}


def compare_security_schemes(context: Context) -> None:
    old_schemes, new_schemes = _schemes(context.old.document), _schemes(context.new.document)
    for name in old_schemes:
        if name not in new_schemes:
            context.emit(
                "api-security-component-removed",
                f"security scheme {name}",
                f"removed the security scheme `{name}`",
                context.new.doc.location("components"),
                context.old.doc.location("components", "securitySchemes", name),
                "components",
            )
    for name, raw in new_schemes.items():
        location = context.new.doc.location("components", "securitySchemes", name)
        if name not in old_schemes:
            context.emit(
                "api-security-component-added",
                f"security scheme {name}",
                f"added the security scheme `{name}`",
                location,
                None,
                "components",
            )
            continue
        old_location = context.old.doc.location("components", "securitySchemes", name)
        old, _, _ = context.old.doc.deref(old_schemes[name], old_location)
        new, _, _ = context.new.doc.deref(raw, location)
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        label = f"security scheme {name}"

        def emit(
            rule_id: str,
            message: str,
            label: str = label,
            old_location: str = old_location,
            location: str = location,
        ) -> None:
            context.emit(rule_id, label, message, location, old_location, "components")

        if old.get("type") != new.get("type"):
            emit(
                "api-security-component-type-changed",
                f"the type of the security scheme `{name}` changed "
                f"from `{old.get('type')}` to `{new.get('type')}`",
            )
        old_flows, new_flows = old.get("flows") or {}, new.get("flows") or {}
        for flow, new_flow in new_flows.items():
            old_flow = old_flows.get(flow)
            if not isinstance(old_flow, dict) or not isinstance(new_flow, dict):
                continue
            for key, rule_id in (
                ("authorizationUrl", "api-security-component-oauth-url-changed"),
                ("tokenUrl", "api-security-component-oauth-token-url-changed"),
            ):
                if old_flow.get(key) != new_flow.get(key):
                    emit(
                        rule_id,
                        f"the {key} of the {flow} flow of `{name}` changed from "
                        f"`{old_flow.get(key)}` to `{new_flow.get(key)}`",
                    )
            old_scopes, new_scopes = old_flow.get("scopes") or {}, new_flow.get("scopes") or {}
            for scope in old_scopes:
                if scope not in new_scopes:
                    emit(
                        "api-security-component-oauth-scope-removed",
                        f"removed the scope `{scope}` from the {flow} flow of `{name}`",
                    )
            for scope, text in new_scopes.items():
                if scope not in old_scopes:
                    emit(
                        "api-security-component-oauth-scope-added",
                        f"added the scope `{scope}` to the {flow} flow of `{name}`",
                    )
                elif old_scopes[scope] != text:
                    emit(
                        "api-security-component-oauth-scope-changed",
                        f"the description of the scope `{scope}` of `{name}` changed",
                    )
