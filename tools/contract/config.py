"""One schemathesis configuration for every contract run of the kit.

`make test` (in-process), `make contract` and `make fuzz-long` (the `st run` CLI) all build their
configuration here, so a failure found by one is reproduced by the others with the same seed.
The result is a plain dict in the shape of `schemathesis.toml`; `to_toml` writes it for the CLI
and `schemathesis.Config.from_dict` reads it in-process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.kit import CONTRACT_SPEC as CONTRACT_SPEC
from server.kit import CONTROL_SPEC as CONTROL_SPEC
from server.kit import STRICT_SPEC as STRICT_SPEC
from tools.harness import seeds

# The stub's default seed (server/seeds/default.yaml): the document's project and its demo token.
DEMO_TOKEN = seeds.DEMO_TOKEN
DEMO_PROJECT_ID = seeds.DEMO_PROJECT
ADMIN_TOKEN = seeds.ADMIN_TOKEN
# The default seed's second tenant: our token must not reach it.
OTHER_PROJECT_ID = seeds.OTHER_PROJECT

# schemathesis' default for `positive_data_acceptance` (4.32.5), to which the contract adds 400.
POSITIVE_DATA_ACCEPTANCE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

# Pinned so that every run generates the same cases; change it only on purpose.
DEFAULT_SEED = 20260515

# Share of positive cases whose path parameters come from the dictionaries below rather than
# from the schema; within a dictionary the owned value is listed OWNED_WEIGHT times per foreign
# value, so most requests act on the token's own project and some on another tenant's (403).
OWN_PROJECT_PROBABILITY = 0.9
OWNED_WEIGHT = 3
# Share of positive cases whose IDs come from the document's example (the backup the stub's seed
# holds). Without them almost every generated request would end in 404 and the success path
# would hardly be fuzzed.
KNOWN_ID_PROBABILITY = 0.5

# IDs of the document's example request; the stub's default seed holds exactly this backup.
DOCUMENT_IDS: dict[str, list[str]] = {
    "body.restore.checkpoint_id": ["a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"],
    "body.restore.parameters.checkpoint_item_id": ["504b7d59-c361-411f-9ed3-814f35d08e3d"],
    "body.restore.parameters.targets.server_id": ["f45c477a-57e5-465f-999f-d845083962db"],
    "body.restore.parameters.targets.volumes[*].backup_id": ["bc118c24-3234-4afd-8423-d66d3d677649"],
    "body.restore.parameters.targets.volumes[*].volume_id": ["ee27f809-6fb5-40ae-ac46-c932bb4ee8fe"],
}


@dataclass(frozen=True)
class Budget:
    """How much schemathesis generates.

    `max_examples` bounds the fuzzing phase per operation (and per stateful run); the examples and
    coverage phases always run in full, since they enumerate the schema rather than sample it.
    """

    max_examples: int
    stateful_max_steps: int = 6
    workers: int = 1


# `make test` (in-process). Enough for the fuzzing phase to reach the success path and every
# error branch of the contract, while all contract tests together stay around two minutes on two
# cores (the stub serves 20 to 80 cases per second in-process, depending on the operation).
CI_BUDGET = Budget(max_examples=500)
# The stub-control API has eleven operations: fewer cases each, the stateful phase on top.
CONTROL_CI_BUDGET = Budget(max_examples=40)
# Only the stateful phase, following the create -> read-back links.
STATEFUL_CI_BUDGET = Budget(max_examples=40)
# `make contract` against a provider: the same as CI, over the network.
DEFAULT_BUDGET = CI_BUDGET
# `make fuzz-long`: nightly, at least 10,000 cases in all.
LONG_BUDGET = Budget(max_examples=12_000, stateful_max_steps=10, workers=2)


@dataclass(frozen=True)
class RunSettings:
    """Everything that varies between contract runs."""

    # securitySchemes name -> the value to send (e.g. {"XAuthToken": "csbs-demo-token"}).
    api_keys: Mapping[str, str]
    # Path parameter name -> the value that the credentials own (e.g. {"project_id": "..."}).
    owned_path_values: Mapping[str, str] = field(default_factory=dict)
    # Path parameter name -> values that exist but belong to someone else (must answer 403).
    foreign_path_values: Mapping[str, list[str]] = field(default_factory=dict)
    # Dictionary binding key (`body.a.b`, `path.x`) -> known-good values to mix in.
    known_values: Mapping[str, list[str]] = field(default_factory=dict)
    budget: Budget = CI_BUDGET
    seed: int = DEFAULT_SEED
    base_url: str | None = None
    # Hide secrets in curl commands and reports. Off only for the stub, whose tokens are public,
    # so that reproduction commands are exact.
    sanitize: bool = True
    # Phases to run (all by default): "examples", "coverage", "fuzzing", "stateful".
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")
    # Also report answers that carry undocumented fields or values (`--strict`).
    strict: bool = False


def build_config(settings: RunSettings) -> dict[str, Any]:
    """The schemathesis configuration, as the dict `schemathesis.toml` would parse to."""
    dictionaries: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    for name, value in settings.owned_path_values.items():
        dictionary = f"owned-{name}"
        foreign = list(settings.foreign_path_values.get(name, []))
        values = [value] * (OWNED_WEIGHT * len(foreign)) + foreign if foreign else [value]
        dictionaries[dictionary] = {"values": values}
        parameters[f"path.{name}"] = {"dictionary": dictionary, "probability": OWN_PROJECT_PROBABILITY}
    for index, (key, values) in enumerate(sorted(settings.known_values.items())):
        dictionary = f"known-{index}"
        dictionaries[dictionary] = {"values": list(values)}
        parameters[key] = {"dictionary": dictionary, "probability": KNOWN_ID_PROBABILITY}

    budget = settings.budget
    config: dict[str, Any] = {
        "seed": settings.seed,
        # The on-disk cache and the example database would make a run depend on earlier ones.
        "cache": {"enabled": False},
        "workers": budget.workers,
        "request-timeout": 10.0,
        "generation": {
            # Positive and negative data.
            "mode": "all",
            "max-examples": budget.max_examples,
            "database": "none",
        },
        # Every check schemathesis has, plus the kit's own (tools/contract/checks.py).
        "hooks": f"{__package__}.checks",  # tools.contract.checks, or its installed name
        "checks": {
            "enabled": True,
            # The contract answers 400 to schema-valid requests that break a business rule
            # (CSBS.4000, CSBS.6015, CSBS.6017, ...). `valid_input_not_refused_as_invalid` makes sure
            # such a 400 never claims the input itself is invalid (CSBS.9001).
            "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_STATUSES, "400"]},
            # The published contract's responses are extensible; `--strict` holds them to the
            # strict profile too and reports undocumented content as its own finding.
            "undocumented_response_content": {"enabled": settings.strict},
        },
        "phases": {
            "examples": {"enabled": "examples" in settings.phases},
            "coverage": {"enabled": "coverage" in settings.phases},
            "fuzzing": {"enabled": "fuzzing" in settings.phases},
            "stateful": {"enabled": "stateful" in settings.phases, "max-steps": budget.stateful_max_steps},
        },
        "auth": {"openapi": {name: {"api_key": value} for name, value in settings.api_keys.items()}},
    }
    if dictionaries:
        config["dictionaries"] = dictionaries
        config["parameters"] = parameters
    if settings.base_url is not None:
        config["base-url"] = settings.base_url
    if not settings.sanitize:
        config["output"] = {"sanitization": {"enabled": False}}
    return config


def contract_settings(
    *,
    token: str = DEMO_TOKEN,
    project_id: str = DEMO_PROJECT_ID,
    foreign_project_ids: list[str] | None = None,
    known_values: Mapping[str, list[str]] | None = None,
    budget: Budget = CI_BUDGET,
    seed: int = DEFAULT_SEED,
    base_url: str | None = None,
    sanitize: bool = True,
    strict: bool = False,
) -> RunSettings:
    """Settings for the create-restore contract (`openapi/csbs-restore.yaml`)."""
    return RunSettings(
        api_keys={"XAuthToken": token},
        owned_path_values={"project_id": project_id},
        foreign_path_values={
            "project_id": [OTHER_PROJECT_ID] if foreign_project_ids is None else foreign_project_ids
        },
        known_values=DOCUMENT_IDS if known_values is None else known_values,
        budget=budget,
        seed=seed,
        base_url=base_url,
        sanitize=sanitize,
        strict=strict,
    )


def control_settings(
    *,
    admin_token: str = ADMIN_TOKEN,
    budget: Budget = CI_BUDGET,
    seed: int = DEFAULT_SEED,
    sanitize: bool = True,
) -> RunSettings:
    """Settings for the stub-control API (`openapi/stub-control.yaml`)."""
    return RunSettings(
        api_keys={"AdminToken": admin_token},
        known_values={"query.project_id": [DEMO_PROJECT_ID]},
        budget=budget,
        seed=seed,
        sanitize=sanitize,
    )


def to_toml(config: Mapping[str, Any]) -> str:
    """Render the config as TOML for `st --config-file`.

    Hand-written because the standard library reads TOML but cannot write it; the config only holds
    tables, strings, numbers, booleans and lists of scalars, and JSON string escapes are valid TOML.
    """
    lines: list[str] = []
    _write_table(lines, [], config)
    return "\n".join(lines).strip() + "\n"


def _write_table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    scalars = {key: value for key, value in table.items() if not isinstance(value, Mapping)}
    tables = {key: value for key, value in table.items() if isinstance(value, Mapping)}
    if path and scalars:
        lines.append(f"\n[{'.'.join(_key(part) for part in path)}]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _write_table(lines, [*path, key], value)


def _key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML: {value!r}")
