"""The one schemathesis configuration: what it turns on, and that the CLI reads the same thing."""

from __future__ import annotations

import tomllib

import pytest
import schemathesis

from tools.contract.__main__ import known_values, parse_args, settings_from_args
from tools.contract.config import (
    DEFAULT_SEED,
    DEMO_PROJECT_ID,
    LONG_BUDGET,
    OTHER_PROJECT_ID,
    build_config,
    contract_settings,
    control_settings,
    to_toml,
)


@pytest.mark.parametrize("settings", [contract_settings(), control_settings(sanitize=False)])
def test_toml_for_the_cli_says_exactly_what_the_in_process_run_uses(settings: object) -> None:
    config = build_config(settings)  # type: ignore[arg-type]

    assert tomllib.loads(to_toml(config)) == config
    # schemathesis accepts it (it validates against its own JSON Schema).
    schemathesis.Config.from_dict(config)


def test_every_check_every_phase_both_modes_pinned_seed() -> None:
    config = build_config(contract_settings())

    assert config["seed"] == DEFAULT_SEED
    assert config["generation"]["mode"] == "all"
    assert config["checks"]["enabled"] is True
    # Every check runs, except the strict profile's, which `--strict` adds.
    assert [
        name
        for name, value in config["checks"].items()
        if isinstance(value, dict) and not value.get("enabled", True)
    ] == ["undocumented_response_content"]
    strict = build_config(contract_settings(strict=True))
    assert not [
        name
        for name, value in strict["checks"].items()
        if isinstance(value, dict) and not value.get("enabled", True)
    ]
    assert all(phase["enabled"] for phase in config["phases"].values())
    # Runs must not depend on earlier runs.
    assert config["cache"] == {"enabled": False}
    assert config["generation"]["database"] == "none"


def test_path_project_is_mostly_the_owned_one_and_sometimes_a_foreign_one() -> None:
    config = build_config(contract_settings())

    binding = config["parameters"]["path.project_id"]
    values = config["dictionaries"][binding["dictionary"]]["values"]
    assert values.count(DEMO_PROJECT_ID) == 3
    assert values.count(OTHER_PROJECT_ID) == 1


def test_positive_data_may_meet_a_business_rule_400_only() -> None:
    statuses = build_config(contract_settings())["checks"]["positive_data_acceptance"]["expected-statuses"]

    assert "400" in statuses
    assert "422" not in statuses
    assert build_config(contract_settings())["hooks"] == "tools.contract.checks"


def test_cli_keeps_the_token_out_of_the_config_file() -> None:
    args = parse_args(["--url", "http://127.0.0.1:1", "--token", "secret-token", "--project", "a" * 32])

    text = to_toml(build_config(settings_from_args(args)))

    assert "secret-token" not in text
    assert "${CSBS_CONTRACT_TOKEN}" in text
    assert '"' + "a" * 32 + '"' in text


def test_cli_long_budget_and_known_ids() -> None:
    args = parse_args(
        ["--long", "--known", "body.restore.checkpoint_id=x", "--known", "body.restore.checkpoint_id=y"]
    )

    settings = settings_from_args(args)

    assert settings.budget == LONG_BUDGET
    assert LONG_BUDGET.max_examples >= 10_000
    assert settings.known_values == {"body.restore.checkpoint_id": ["x", "y"]}


def test_known_value_without_equals_sign_is_a_clear_error() -> None:
    with pytest.raises(SystemExit, match="--known expects KEY=VALUE"):
        known_values(["body.restore.checkpoint_id"])
