"""What the generated-client tests read from the contract: paths, examples, documented errors."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "openapi" / "csbs-restore.yaml"
CLIENT_DIR = REPO_ROOT / "generated" / "csbs-restore-client"
CONFIG_PATH = REPO_ROOT / "generated" / "config.yaml"
CREATE_RESTORE_PATH = "/v1/{project_id}/restores"


@cache
def contract() -> dict[str, Any]:
    """The contract, parsed (do not mutate: it is shared)."""
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/components/...`) until a node that is not a reference."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = contract()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return resolve(target)


def error_examples() -> dict[int, dict[str, dict[str, Any]]]:
    """Every documented error status of create-restore with its example bodies, by example name."""
    responses = contract()["paths"][CREATE_RESTORE_PATH]["post"]["responses"]
    errors: dict[int, dict[str, dict[str, Any]]] = {}
    for status, response in responses.items():
        if int(status) < 400:
            continue
        media = resolve(response)["content"]["application/json"]
        errors[int(status)] = {name: resolve(example)["value"] for name, example in media["examples"].items()}
    return errors


def example_value(name: str) -> dict[str, Any]:
    """The value of `components.examples.<name>`."""
    value: dict[str, Any] = contract()["components"]["examples"][name]["value"]
    return value
